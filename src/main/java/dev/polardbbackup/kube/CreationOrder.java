package dev.polardbbackup.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.time.Instant;

/**
 * Which of two objects came first: by creation time, the uid breaking a tie within one second
 * (creationTimestamp has whole seconds). Used wherever the older of two claimants wins.
 */
public final class CreationOrder {
  private CreationOrder() {}

  /** True when {@code a} was created before {@code b}. */
  public static boolean olderThan(HasMetadata a, HasMetadata b) {
    int byTime =
        Instant.parse(a.getMetadata().getCreationTimestamp())
            .compareTo(Instant.parse(b.getMetadata().getCreationTimestamp()));
    return byTime != 0
        ? byTime < 0
        : a.getMetadata().getUid().compareTo(b.getMetadata().getUid()) < 0;
  }
}
