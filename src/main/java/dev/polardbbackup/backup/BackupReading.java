package dev.polardbbackup.backup;

import dev.polardbbackup.model.Conditions;
import dev.polardbbackup.model.Phase;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupSpec;
import dev.polardbbackup.model.PolarDBBackupStatus;
import java.time.Instant;
import java.util.Optional;

/**
 * One backup as whoever watches the operator sees it: its phase and, while it waits for a quota
 * slot, since when it has not been Ready. A backup only waits for quota before it runs, so that is
 * how long it has been waiting to be made.
 */
public record BackupReading(
    String namespace,
    String name,
    String regionId,
    String dbClusterId,
    Phase phase,
    Optional<Instant> waitingForQuotaSince) {

  public static BackupReading of(PolarDBBackup backup) {
    PolarDBBackupStatus status = backup.getStatus();
    PolarDBBackupSpec spec = backup.getSpec();
    // Not looked at yet: Pending is what the operator will call it.
    Phase phase = status == null || status.getPhase() == null ? Phase.Pending : status.getPhase();
    Optional<Instant> since =
        phase != Phase.WaitingForQuota
            ? Optional.empty()
            : status
                .condition(PolarDBBackupStatus.READY)
                .map(c -> c.getLastTransitionTime())
                .flatMap(Conditions::instant)
                .or(() -> Conditions.instant(backup.getMetadata().getCreationTimestamp()));
    return new BackupReading(
        backup.getMetadata().getNamespace(),
        backup.getMetadata().getName(),
        spec == null ? "" : Optional.ofNullable(spec.regionId()).orElse(""),
        spec == null ? "" : Optional.ofNullable(spec.dbClusterId()).orElse(""),
        phase,
        since);
  }
}
