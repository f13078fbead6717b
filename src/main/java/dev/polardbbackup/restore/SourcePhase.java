package dev.polardbbackup.restore;

import dev.polardbbackup.model.Phase;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupStatus;
import dev.polardbbackup.model.PolarDBRestoreSpec;
import dev.polardbbackup.model.Reasons;
import dev.polardbbackup.model.RestoreSource;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * What a restore restores from, decided without a PolarDB call where the operator can tell: the
 * {@code backupRef}'s backup set once that PolarDBBackup has Succeeded (and still has its set), or
 * the spec's cluster with its backup id or point in time (not in the future). Once known, the
 * source is recorded in status and used from there: deleting the PolarDBBackup later changes
 * nothing.
 */
final class SourcePhase {
  private static final DateTimeFormatter SECONDS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

  /** What deciding the source came to. */
  sealed interface Outcome {}

  /** The source cluster and CreateDBCluster's CloneDataPoint (a backup-set id or a UTC time). */
  record Resolved(String sourceDbClusterId, String cloneDataPoint, Optional<Instant> pointInTime)
      implements Outcome {}

  /** Not yet: {@code reason} and {@code message} say what is awaited. */
  record NotYet(String reason, String message) implements Outcome {}

  /** Never: the source cannot be restored from. */
  record Refused(String reason, String message) implements Outcome {}

  private final Clock clock;

  SourcePhase(Clock clock) {
    this.clock = clock;
  }

  Outcome resolve(RestorePass pass) {
    PolarDBRestoreSpec spec = pass.spec();
    RestoreSource source = spec.source();
    if (pass.status.getSourceDbClusterId() != null && pass.status.getSourceBackupId() != null) {
      return new Resolved(
          pass.status.getSourceDbClusterId(), pass.status.getSourceBackupId(), Optional.empty());
    }
    if (source.backupRef() != null) {
      return fromBackup(pass, source.backupRef().name());
    }
    if (source.backupId() != null) {
      return new Resolved(source.dbClusterId(), source.backupId(), Optional.empty());
    }
    Instant at = source.pointInTimeInstant().orElseThrow();
    if (at.isAfter(clock.instant())) {
      return new Refused(
          Reasons.INVALID_SPEC,
          "spec.source.pointInTime " + source.pointInTime() + " is in the future.");
    }
    return new Resolved(
        source.dbClusterId(), SECONDS.format(at.truncatedTo(ChronoUnit.SECONDS)), Optional.of(at));
  }

  /** The backup set of a PolarDBBackup of the same namespace, once it has Succeeded. */
  private Outcome fromBackup(RestorePass pass, String name) {
    PolarDBBackup backup =
        pass.context
            .getClient()
            .resources(PolarDBBackup.class)
            .inNamespace(pass.restore.getMetadata().getNamespace())
            .withName(name)
            .get();
    if (backup == null) {
      return new NotYet(
          Reasons.SOURCE_NOT_READY,
          "PolarDBBackup "
              + name
              + " does not exist (yet); the restore starts once it has Succeeded.");
    }
    PolarDBBackupStatus status = backup.getStatus();
    Phase phase = status == null ? null : status.getPhase();
    if (phase == Phase.Failed) {
      return new Refused(
          Reasons.SOURCE_FAILED,
          "PolarDBBackup "
              + name
              + " has Failed ("
              + status.getReason()
              + "): nothing to restore.");
    }
    if (phase != Phase.Succeeded) {
      return new NotYet(
          Reasons.SOURCE_NOT_READY,
          "PolarDBBackup "
              + name
              + " is "
              + (phase == null ? "not accepted yet" : phase)
              + "; the restore starts once it has Succeeded.");
    }
    if (status.isGone()) {
      return new Refused(
          Reasons.SOURCE_FAILED,
          "The backup set "
              + status.getBackupId()
              + " of PolarDBBackup "
              + name
              + " no longer exists (BackupGone): nothing to restore.");
    }
    if (!pass.spec().regionId().equals(status.getAcceptedRegionId())) {
      return new Refused(
          Reasons.INVALID_SPEC,
          "PolarDBBackup "
              + name
              + " is in region "
              + status.getAcceptedRegionId()
              + ", this restore in "
              + pass.spec().regionId()
              + ": a clone is made in its source's region.");
    }
    pass.status.sourceResolved(status.getAcceptedDbClusterId(), status.getBackupId());
    return new Resolved(status.getAcceptedDbClusterId(), status.getBackupId(), Optional.empty());
  }
}
