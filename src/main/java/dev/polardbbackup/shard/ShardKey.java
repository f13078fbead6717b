package dev.polardbbackup.shard;

import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupPolicy;
import dev.polardbbackup.model.PolarDBBackupSchedule;
import dev.polardbbackup.model.PolarDBRestore;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Objects;
import java.util.Optional;

/**
 * Which bucket a resource belongs in: its PolarDB cluster's. A backup keeps the cluster it was
 * accepted for (its spec is immutable, and an edit the API server let through is ignored); a
 * schedule and its backups go with the template's cluster; a policy with its cluster. A restore is
 * not tied to its source's backups (it reads them by GET and calls nothing per cluster), so any
 * bucket will do: it keeps the one it has, and an unlabelled one gets its source cluster's; for a
 * backupRef, the referenced backup's (so that a schedule's drill restore made before labels existed
 * joins its schedule), or one from the backup's name while that backup does not exist.
 */
public final class ShardKey {
  private ShardKey() {}

  /** The bucket {@code resource} must carry, or empty when it may keep whatever it has. */
  public static Optional<Integer> required(HasMetadata resource) {
    if (resource instanceof PolarDBBackup b) {
      var status = b.getStatus();
      if (status != null && status.getAcceptedDbClusterId() != null) {
        return Optional.of(
            Shard.bucket(status.getAcceptedRegionId(), status.getAcceptedDbClusterId()));
      }
      return b.getSpec() == null
          ? Optional.empty()
          : Optional.of(Shard.bucket(b.getSpec().regionId(), b.getSpec().dbClusterId()));
    }
    if (resource instanceof PolarDBBackupSchedule s) {
      return s.getSpec() == null || s.getSpec().template() == null
          ? Optional.empty()
          : Optional.of(
              Shard.bucket(
                  s.getSpec().template().regionId(), s.getSpec().template().dbClusterId()));
    }
    if (resource instanceof PolarDBBackupPolicy p) {
      return p.getSpec() == null
          ? Optional.empty()
          : Optional.of(Shard.bucket(p.getSpec().regionId(), p.getSpec().dbClusterId()));
    }
    return Optional.empty();
  }

  /**
   * The bucket to give {@code resource} when it has none, reading a restore's referenced backup
   * with {@code client}.
   */
  public static int initial(HasMetadata resource, KubernetesClient client) {
    if (resource instanceof PolarDBRestore r
        && r.getSpec() != null
        && r.getSpec().source() != null
        && r.getSpec().source().backupRef() != null) {
      PolarDBBackup source =
          client
              .resources(PolarDBBackup.class)
              .inNamespace(r.getMetadata().getNamespace())
              .withName(r.getSpec().source().backupRef().name())
              .get();
      if (source != null) {
        return initial(source);
      }
    }
    return initial(resource);
  }

  /** The bucket to give {@code resource} when it has none, from itself alone. */
  public static int initial(HasMetadata resource) {
    Optional<Integer> required = required(resource);
    if (required.isPresent()) {
      return required.get();
    }
    if (resource instanceof PolarDBRestore r
        && r.getSpec() != null
        && r.getSpec().source() != null) {
      var source = r.getSpec().source();
      if (source.dbClusterId() != null) {
        return Shard.bucket(r.getSpec().regionId(), source.dbClusterId());
      }
      if (source.backupRef() != null) {
        return Shard.bucket(
            r.getMetadata().getNamespace() + "/" + Objects.toString(source.backupRef().name()));
      }
    }
    return Shard.bucket(
        resource.getMetadata().getNamespace() + "/" + resource.getMetadata().getName());
  }
}
