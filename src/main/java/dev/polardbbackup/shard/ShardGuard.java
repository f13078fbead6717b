package dev.polardbbackup.shard;

import dev.polardbbackup.kube.ResourceLog;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asked first by every reconcile and cleanup: may this process act on this resource now? Not while
 * the {@link LeaseFence} holds (a Lease of another shard count is alive), and not on a resource
 * whose bucket label is wrong: that one is relabelled, which hands it to the shard that owns its
 * cluster, and left alone here.
 */
public final class ShardGuard {
  private static final Logger log = LoggerFactory.getLogger(ShardGuard.class);

  /** The answer for one resource. */
  public enum Placement {
    /** This process may act on it. */
    HERE,
    /** Nothing may be done by anyone in this process yet: ask again after {@link #retry()}. */
    FENCED,
    /** It belongs to another shard (now labelled so): leave it. */
    ELSEWHERE
  }

  private final Shard shard;
  private final Duration retry;
  // Why this process must not act yet, or null once it may.
  private final AtomicReference<String> fencedBy;

  private ShardGuard(Shard shard, Duration retry, String fencedBy) {
    this.shard = shard;
    this.retry = retry;
    this.fencedBy = new AtomicReference<>(fencedBy);
  }

  /** The unsharded operator without leader election: every resource, at once. */
  public static ShardGuard unsharded() {
    return open(Shard.ONLY);
  }

  /** Shard {@code shard}, fenced until {@link #clear()}: no work before the fence has looked. */
  public static ShardGuard fenced(Shard shard, Duration retry) {
    return new ShardGuard(shard, retry, "the Leases of other shard counts have not been read yet");
  }

  /** Shard {@code shard}, acting at once (no leader election, so no Lease to fence with). */
  public static ShardGuard open(Shard shard) {
    return new ShardGuard(shard, Duration.ofSeconds(5), null);
  }

  public Shard shard() {
    return shard;
  }

  /** How soon to ask again about a fenced resource. */
  public Duration retry() {
    return retry;
  }

  /**
   * Holds all work, saying why (logged once per change): as a warning, unless it is what a standby
   * replica is ({@code standby}).
   */
  void fence(String why, boolean standby) {
    if (!why.equals(fencedBy.getAndSet(why))) {
      if (standby) {
        log.info("{}: holding all work: {}", shard, why);
      } else {
        log.warn("{}: holding all work: {}", shard, why);
      }
    }
  }

  void clear() {
    if (fencedBy.getAndSet(null) != null) {
      log.info("{}: no Lease of another shard count is alive; working", shard);
    }
  }

  /** Why work is held, if it is. */
  public Optional<String> fencedBy() {
    return Optional.ofNullable(fencedBy.get());
  }

  /**
   * Where {@code resource} is handled. A sharded operator relabels a resource whose bucket label is
   * missing or wrong before anything else; if the right bucket is another shard's, that shard takes
   * it from there.
   */
  public Placement place(HasMetadata resource, KubernetesClient client) {
    if (fencedBy.get() != null) {
      return Placement.FENCED;
    }
    if (!shard.sharded()) {
      return Placement.HERE;
    }
    Map<String, String> labels = resource.getMetadata().getLabels();
    Optional<Integer> current = Shard.parse(labels == null ? null : labels.get(Shard.LABEL));
    int target =
        ShardKey.required(resource)
            .or(() -> current)
            .orElseGet(() -> ShardKey.initial(resource, client));
    if (current.isEmpty() || current.get() != target) {
      label(resource, target, client);
      ResourceLog.info(
          log,
          resource,
          "bucket label {} -> {} (its cluster's); {}",
          current.map(Object::toString).orElse("none"),
          target,
          shard.owns(target) ? "still " + shard : "handed to shard " + target % shard.count());
    }
    return shard.owns(target) ? Placement.HERE : Placement.ELSEWHERE;
  }

  /** What a reconcile returns when {@code resource} is not handled here now, or empty if it is. */
  public <P extends HasMetadata> Optional<UpdateControl<P>> updateUnlessHere(
      P resource, KubernetesClient client) {
    return switch (place(resource, client)) {
      case HERE -> Optional.empty();
      case FENCED -> Optional.of(UpdateControl.<P>noUpdate().rescheduleAfter(retry));
      case ELSEWHERE -> Optional.of(UpdateControl.noUpdate());
    };
  }

  /** What a cleanup returns when {@code resource} is not handled here now, or empty if it is. */
  public Optional<DeleteControl> deleteUnlessHere(HasMetadata resource, KubernetesClient client) {
    return switch (place(resource, client)) {
      case HERE -> Optional.empty();
      case FENCED -> Optional.of(DeleteControl.noFinalizerRemoval().rescheduleAfter(retry));
      case ELSEWHERE -> Optional.of(DeleteControl.noFinalizerRemoval());
    };
  }

  /** Sets the bucket label of {@code resource}; the value depends on the resource alone. */
  static void label(HasMetadata resource, int bucket, KubernetesClient client) {
    client
        .resource(resource)
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            "{\"metadata\":{\"labels\":{\"" + Shard.LABEL + "\":\"" + bucket + "\"}}}");
  }
}
