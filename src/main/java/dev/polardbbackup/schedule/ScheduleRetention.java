package dev.polardbbackup.schedule;

import static dev.polardbbackup.model.Conditions.timestamp;

import dev.polardbbackup.model.DeletionPolicy;
import dev.polardbbackup.model.Phase;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.QuotaRotation;
import dev.polardbbackup.model.Reasons;
import dev.polardbbackup.model.Retention;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Retention and quota-aware rotation: delete the oldest children beyond the limits, and free a
 * quota slot for a waiting child when the user opted in: a failed child first, never the last
 * success, and never again the same day once a deletion freed nothing.
 */
final class ScheduleRetention {
  /** Manual backups a PolarDB cluster may hold at once (see the shared OpenAPI notes). */
  private static final int MANUAL_BACKUP_QUOTA = 3;

  private final SchedulePass pass;

  ScheduleRetention(SchedulePass pass) {
    this.pass = pass;
  }

  /**
   * A deletion to free a quota slot is judged by the backup that needed the slot: accepted, the
   * deletion worked; refused again once the deleted backup is gone, the quota counts backups made
   * per day and deleting frees nothing. Until the answer is in, rotation deletes nothing more;
   * after "nothing", it stays off until PolarDB accepts a backup again (the next day), so at most
   * one backup a day is deleted in vain.
   */
  void checkLastRotation() {
    QuotaRotation rotation = pass.status.getQuotaRotation();
    if (rotation == null) {
      return;
    }
    if (rotation.freedNothingAt() != null) {
      if (pass.owned.acceptedSince(rotation)) {
        pass.status.setQuotaRotation(null);
        pass.log("quota rotation resumes: PolarDB accepts backups again");
      }
      return;
    }
    boolean due =
        pass.status
            .pendingTick()
            .map(t -> ChildCreation.childName(pass.schedule.getMetadata().getName(), t))
            .filter(rotation.waitingBackup()::equals)
            .isPresent();
    switch (pass.owned.effectOf(rotation, due)) {
      case NOT_DELETED -> {
        // Recorded, but the pass ended before the deletion: do it if it is still the choice.
        Optional<PolarDBBackup> doomed =
            canRotate()
                ? pass.owned
                    .rotationCandidate(retention())
                    .filter(b -> b.getMetadata().getName().equals(rotation.deletedBackup()))
                : Optional.empty();
        doomed.ifPresentOrElse(
            b -> deleteForQuota(b, "backup " + rotation.waitingBackup() + " needs one"),
            () -> pass.status.setQuotaRotation(null));
      }
      case DELETING -> {}
      case WATCHING -> {
        if (rotation.refusalsBefore() == null) {
          pass.status.setQuotaRotation(
              rotation.gone(pass.owned.refusalsOf(rotation.waitingBackup())));
        }
      }
      case FREED_A_SLOT, UNKNOWN -> pass.status.setQuotaRotation(null);
      case FREED_NOTHING -> {
        pass.status.setQuotaRotation(rotation.freedNothing(timestamp(pass.now)));
        pass.log(
            "deleting backup {} freed no quota slot: backup {} was refused again; quota"
                + " rotation is off until PolarDB accepts a backup",
            rotation.deletedBackup(),
            rotation.waitingBackup());
      }
    }
  }

  /**
   * Quota-aware rotation, before the tick: when this schedule's own backups already fill the
   * cluster's manual-backup slots, delete one that may go (see {@link
   * ScheduleChildren#rotationCandidate}) and let the tick wait (bounded) until it is gone. Not
   * while the last such deletion is still being judged or freed nothing.
   */
  boolean waitForQuotaRotation(Instant tick) {
    if (!canRotate()) {
      return false;
    }
    if (!pass.owned.terminating().isEmpty()) {
      if (pass.now.isBefore(tick.plus(pass.settings.rotationWait()))) {
        pass.wakeAfter(SchedulePass.min(pass.settings.recheck(), Duration.ofSeconds(5)));
        return true;
      }
      return false;
    }
    if (pass.status.getQuotaRotation() != null
        || pass.owned.slotsHeld() + 1 <= MANUAL_BACKUP_QUOTA) {
      return false;
    }
    Optional<PolarDBBackup> candidate = pass.owned.rotationCandidate(retention());
    if (candidate.isEmpty()) {
      return false;
    }
    rotate(
        candidate.get(),
        ChildCreation.childName(pass.schedule.getMetadata().getName(), tick),
        "the tick at "
            + tick
            + " would exceed the cluster's "
            + MANUAL_BACKUP_QUOTA
            + " manual-backup slots");
    pass.wakeAfter(SchedulePass.min(pass.settings.recheck(), Duration.ofSeconds(5)));
    return true;
  }

  private boolean canRotate() {
    return retention().rotates()
        && pass.spec.template().effectiveDeletionPolicy() == DeletionPolicy.Delete;
  }

  /**
   * Deletes {@code doomed} for {@code waiting} (a backup's name) and remembers it, to judge it. The
   * record is written first: were it lost after the deletion (a 409, a crash), the next pass would
   * delete a second backup before the first one is judged.
   */
  private void rotate(PolarDBBackup doomed, String waiting, String why) {
    pass.status.setQuotaRotation(QuotaRotation.deleted(doomed.getMetadata().getName(), waiting));
    pass.save();
    deleteForQuota(doomed, why);
  }

  private void deleteForQuota(PolarDBBackup doomed, String why) {
    var doomedStatus = doomed.getStatus();
    String message =
        "Deleted "
            + (doomedStatus.getPhase() == Phase.Failed ? "failed" : "successful")
            + " backup "
            + doomed.getMetadata().getName()
            + " ("
            + Optional.ofNullable(doomedStatus.getBackupId())
                .orElse("job " + doomedStatus.getBackupJobId())
            + ") to free a manual-backup slot: "
            + why
            + ".";
    if (delete(doomed)) {
      pass.status.setLastRotationTime(timestamp(pass.now));
      pass.events.normal(pass.schedule, Reasons.ROTATED_FOR_QUOTA, message);
      pass.log("{}", message);
    }
  }

  void applyRetention() {
    for (ScheduleChildren.Doomed doomed : pass.owned.beyond(retention(), pass.now)) {
      PolarDBBackup backup = doomed.backup();
      boolean cloudToo =
          backup.getSpec() != null
              && backup.getSpec().effectiveDeletionPolicy() == DeletionPolicy.Delete;
      String message =
          "Deleted backup "
              + backup.getMetadata().getName()
              + " ("
              + doomed.why()
              + "); "
              + (cloudToo
                  ? "its PolarDB backup is deleted too (deletionPolicy Delete)."
                  : "its PolarDB backup is kept (deletionPolicy Retain).");
      if (delete(backup)) {
        pass.events.normal(pass.schedule, Reasons.RETENTION_DELETED, message);
        pass.log("{}", message);
      }
    }
    // The oldest waiting child: a freed slot goes to it first (ClusterQueue).
    pass.owned.active().stream()
        .filter(b -> b.getStatus() != null && b.getStatus().getPhase() == Phase.WaitingForQuota)
        .reduce((newer, older) -> older)
        .ifPresent(this::freeSlotFor);
  }

  /** A child waits for a slot that others hold (or that the daily reading of the quota took). */
  private void freeSlotFor(PolarDBBackup waiting) {
    String name = waiting.getMetadata().getName();
    QuotaRotation rotation = pass.status.getQuotaRotation();
    boolean judging = rotation != null && rotation.freedNothingAt() == null;
    if (canRotate() && (!pass.owned.terminating().isEmpty() || judging)) {
      return; // a slot is being freed, or was just freed and the backup retries soon
    }
    Optional<PolarDBBackup> candidate =
        canRotate() && rotation == null
            ? pass.owned.rotationCandidate(retention())
            : Optional.empty();
    if (candidate.isPresent()) {
      rotate(candidate.get(), name, "backup " + name + " is waiting for one");
      return;
    }
    String advice;
    if (!retention().rotates()) {
      advice =
          "set retention.rotateWhenQuotaFull: true (with deletionPolicy Delete) to let this"
              + " schedule free one, or delete a manual backup of the cluster.";
    } else if (pass.spec.template().effectiveDeletionPolicy() != DeletionPolicy.Delete) {
      advice =
          "rotation cannot free one: the template's deletionPolicy is Retain, so deleting a"
              + " backup object keeps its PolarDB backup. Delete a manual backup of the cluster.";
    } else if (rotation != null) {
      advice =
          "deleting backup "
              + rotation.deletedBackup()
              + " to free one did not let backup "
              + rotation.waitingBackup()
              + " through: PolarDB still answers BackupTimesExceeded. The quota then counts the "
              + MANUAL_BACKUP_QUOTA
              + " manual backups made per day, not the ones kept, so deleting backups frees"
              + " nothing until the daily reset (or another backup took the freed slot)."
              + " Rotation is off until PolarDB accepts a backup of this schedule again; the"
              + " backup retries by itself.";
    } else {
      advice =
          "rotation deletes only a failed backup of this schedule, or a successful one that"
              + " retention would delete anyway (more than retention.keepLast="
              + retention().effectiveKeepLast()
              + " once the new one succeeds), and never the newest successful one; the slots"
              + " are held by other backups. Delete a manual backup of the cluster.";
    }
    pass.stall(
        Reasons.QUOTA_FULL,
        "Backup "
            + name
            + " waits for a manual-backup slot of cluster "
            + pass.spec.template().dbClusterId()
            + "; "
            + advice);
  }

  /**
   * Deletes a child; false when it was gone already. The cache is told at once that the child is
   * terminating, so that the next pass neither deletes nor counts it again.
   */
  private boolean delete(PolarDBBackup backup) {
    try {
      var client = pass.context.getClient();
      boolean deleted =
          !client
              .resource(backup)
              .withPropagationPolicy(DeletionPropagation.BACKGROUND)
              .delete()
              .isEmpty();
      if (!deleted) {
        return false;
      }
      PolarDBBackup terminating =
          client
              .resources(PolarDBBackup.class)
              .inNamespace(backup.getMetadata().getNamespace())
              .withName(backup.getMetadata().getName())
              .get();
      if (terminating != null) {
        pass.children.handleRecentResourceUpdate(
            ResourceID.fromResource(terminating), terminating, backup);
      }
      pass.status.countDeleted();
      return true;
    } catch (KubernetesClientException e) {
      pass.log("could not delete backup {}: {}", backup.getMetadata().getName(), e.getMessage());
      pass.wakeAfter(pass.settings.errorRetry());
      return false;
    }
  }

  private Retention retention() {
    return pass.spec.effectiveRetention();
  }
}
