package dev.polardbbackup.schedule;

import static dev.polardbbackup.model.Conditions.timestamp;
import static dev.polardbbackup.schedule.ChildCreation.childName;

import dev.polardbbackup.kube.Events;
import dev.polardbbackup.kube.ResourceLog;
import dev.polardbbackup.kube.StatusWriter;
import dev.polardbbackup.model.Conditions;
import dev.polardbbackup.model.DeletionPolicy;
import dev.polardbbackup.model.Phase;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupSchedule;
import dev.polardbbackup.model.PolarDBBackupScheduleSpec;
import dev.polardbbackup.model.PolarDBBackupScheduleStatus;
import dev.polardbbackup.model.QuotaRotation;
import dev.polardbbackup.model.Reasons;
import dev.polardbbackup.model.Retention;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One reconcile of one schedule: the status being edited, how to save it, when to look again, and
 * the problem to show, with the reconciler's collaborators passed in.
 */
final class SchedulePass {
  // The reconciler's logger: a pass's lines are the reconciler's.
  private static final Logger log = LoggerFactory.getLogger(PolarDBBackupScheduleReconciler.class);

  /** Manual backups a PolarDB cluster may hold at once (see the shared OpenAPI notes). */
  private static final int MANUAL_BACKUP_QUOTA = 3;

  static final Duration TICK_MARGIN = Duration.ofMillis(100);

  /** Why a schedule cannot do its job; becomes the Stalled condition. */
  private record Stall(String reason, String message) {}

  final ScheduleSettings settings;
  final Events events;

  /** The schedule's own backups as the cache holds them; told at once of what a pass changes. */
  final InformerEventSource<PolarDBBackup, PolarDBBackupSchedule> children;

  final PolarDBBackupSchedule schedule;
  final Context<PolarDBBackupSchedule> context;
  final PolarDBBackupScheduleSpec spec;
  final PolarDBBackupScheduleStatus original;
  final PolarDBBackupScheduleStatus status;
  final Instant now;

  /** The children as {@link #observeChildren} found them. */
  ScheduleChildren owned;

  /** The schedule and its status as last read or written in this pass. */
  private PolarDBBackupSchedule stored;

  private PolarDBBackupScheduleStatus storedStatus;
  private Stall stall;
  private Duration wake;

  SchedulePass(
      PolarDBBackupSchedule schedule,
      Context<PolarDBBackupSchedule> context,
      ScheduleSettings settings,
      Clock clock,
      Events events,
      InformerEventSource<PolarDBBackup, PolarDBBackupSchedule> children) {
    this.settings = settings;
    this.events = events;
    this.children = children;
    this.schedule = schedule;
    this.context = context;
    this.spec = schedule.getSpec();
    this.original = schedule.getStatus();
    this.status =
        original == null ? new PolarDBBackupScheduleStatus() : schedule.getStatus().copy();
    this.stored = schedule;
    this.storedStatus = original;
    this.now = clock.instant();
  }

  void paused() {
    if (status.condition(Reasons.PAUSED).isEmpty()) {
      String message =
          "Reconciliation is paused by the annotation "
              + PolarDBBackup.PAUSED_ANNOTATION
              + "=true: no backups are created or deleted; remove it to resume.";
      status.setCondition(Reasons.PAUSED, true, Reasons.PAUSED, message, now);
      status.setNextScheduleTime(null);
      events.normal(schedule, Reasons.PAUSED, message);
      log("paused");
    }
    save();
  }

  // ------------------------------------------------------------ children

  void observeChildren() {
    owned =
        new ScheduleChildren(
            context.getSecondaryResources(PolarDBBackup.class), schedule.getMetadata().getUid());
    List<String> active = owned.active().stream().map(b -> b.getMetadata().getName()).toList();
    status.setActive(active.isEmpty() ? null : active);
    status.setSucceeded(owned.succeeded().size());
    status.setFailed(owned.failed().size());
    owned
        .lastSuccessAfter(status.getLastSuccessfulBackup())
        .ifPresent(status::setLastSuccessfulBackup);
    owned
        .newestFinished()
        .filter(b -> b.getStatus().getPhase() == Phase.Failed)
        .ifPresent(
            b ->
                stall(
                    Reasons.LAST_BACKUP_FAILED,
                    "The latest backup "
                        + b.getMetadata().getName()
                        + " failed: "
                        + b.getStatus().getMessage()));
  }

  /**
   * A deletion to free a quota slot is judged by the backup that needed the slot: accepted, the
   * deletion worked; refused again once the deleted backup is gone, the quota counts backups made
   * per day and deleting frees nothing. Until the answer is in, rotation deletes nothing more;
   * after "nothing", it stays off until PolarDB accepts a backup again (the next day), so at most
   * one backup a day is deleted in vain.
   */
  void checkLastRotation() {
    QuotaRotation rotation = status.getQuotaRotation();
    if (rotation == null) {
      return;
    }
    if (rotation.freedNothingAt() != null) {
      if (owned.acceptedSince(rotation)) {
        status.setQuotaRotation(null);
        log("quota rotation resumes: PolarDB accepts backups again");
      }
      return;
    }
    boolean due =
        status
            .pendingTick()
            .map(t -> childName(schedule.getMetadata().getName(), t))
            .filter(rotation.waitingBackup()::equals)
            .isPresent();
    switch (owned.effectOf(rotation, due)) {
      case NOT_DELETED -> {
        // Recorded, but the pass ended before the deletion: do it if it is still the choice.
        Optional<PolarDBBackup> doomed =
            canRotate()
                ? owned
                    .rotationCandidate(retention())
                    .filter(b -> b.getMetadata().getName().equals(rotation.deletedBackup()))
                : Optional.empty();
        doomed.ifPresentOrElse(
            b -> deleteForQuota(b, "backup " + rotation.waitingBackup() + " needs one"),
            () -> status.setQuotaRotation(null));
      }
      case DELETING -> {}
      case WATCHING -> {
        if (rotation.refusalsBefore() == null) {
          status.setQuotaRotation(rotation.gone(owned.refusalsOf(rotation.waitingBackup())));
        }
      }
      case FREED_A_SLOT, UNKNOWN -> status.setQuotaRotation(null);
      case FREED_NOTHING -> {
        status.setQuotaRotation(rotation.freedNothing(timestamp(now)));
        log(
            "deleting backup {} freed no quota slot: backup {} was refused again; quota"
                + " rotation is off until PolarDB accepts a backup",
            rotation.deletedBackup(),
            rotation.waitingBackup());
      }
    }
  }

  // ------------------------------------------------------- quota rotation

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
    if (!owned.terminating().isEmpty()) {
      if (now.isBefore(tick.plus(settings.rotationWait()))) {
        wakeAfter(min(settings.recheck(), Duration.ofSeconds(5)));
        return true;
      }
      return false;
    }
    if (status.getQuotaRotation() != null || owned.slotsHeld() + 1 <= MANUAL_BACKUP_QUOTA) {
      return false;
    }
    Optional<PolarDBBackup> candidate = owned.rotationCandidate(retention());
    if (candidate.isEmpty()) {
      return false;
    }
    rotate(
        candidate.get(),
        childName(schedule.getMetadata().getName(), tick),
        "the tick at "
            + tick
            + " would exceed the cluster's "
            + MANUAL_BACKUP_QUOTA
            + " manual-backup slots");
    wakeAfter(min(settings.recheck(), Duration.ofSeconds(5)));
    return true;
  }

  private boolean canRotate() {
    return retention().rotates()
        && spec.template().effectiveDeletionPolicy() == DeletionPolicy.Delete;
  }

  /**
   * Deletes {@code doomed} for {@code waiting} (a backup's name) and remembers it, to judge it. The
   * record is written first: were it lost after the deletion (a 409, a crash), the next pass would
   * delete a second backup before the first one is judged.
   */
  private void rotate(PolarDBBackup doomed, String waiting, String why) {
    status.setQuotaRotation(QuotaRotation.deleted(doomed.getMetadata().getName(), waiting));
    save();
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
      status.setLastRotationTime(timestamp(now));
      events.normal(schedule, Reasons.ROTATED_FOR_QUOTA, message);
      log("{}", message);
    }
  }

  void invalid(String problem) {
    status.setNextScheduleTime(null);
    status.setPendingTickTime(null);
    setAndWarnOnce(PolarDBBackupScheduleStatus.READY, false, Reasons.INVALID_SCHEDULE, problem);
  }

  // ------------------------------------------------------------ retention

  void applyRetention() {
    for (ScheduleChildren.Doomed doomed : owned.beyond(retention(), now)) {
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
        events.normal(schedule, Reasons.RETENTION_DELETED, message);
        log("{}", message);
      }
    }
    // The oldest waiting child: a freed slot goes to it first (ClusterQueue).
    owned.active().stream()
        .filter(b -> b.getStatus() != null && b.getStatus().getPhase() == Phase.WaitingForQuota)
        .reduce((newer, older) -> older)
        .ifPresent(this::freeSlotFor);
  }

  /** A child waits for a slot that others hold (or that the daily reading of the quota took). */
  private void freeSlotFor(PolarDBBackup waiting) {
    String name = waiting.getMetadata().getName();
    QuotaRotation rotation = status.getQuotaRotation();
    boolean judging = rotation != null && rotation.freedNothingAt() == null;
    if (canRotate() && (!owned.terminating().isEmpty() || judging)) {
      return; // a slot is being freed, or was just freed and the backup retries soon
    }
    Optional<PolarDBBackup> candidate =
        canRotate() && rotation == null ? owned.rotationCandidate(retention()) : Optional.empty();
    if (candidate.isPresent()) {
      rotate(candidate.get(), name, "backup " + name + " is waiting for one");
      return;
    }
    String advice;
    if (!retention().rotates()) {
      advice =
          "set retention.rotateWhenQuotaFull: true (with deletionPolicy Delete) to let this"
              + " schedule free one, or delete a manual backup of the cluster.";
    } else if (spec.template().effectiveDeletionPolicy() != DeletionPolicy.Delete) {
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
    stall(
        Reasons.QUOTA_FULL,
        "Backup "
            + name
            + " waits for a manual-backup slot of cluster "
            + spec.template().dbClusterId()
            + "; "
            + advice);
  }

  /**
   * Deletes a child; false when it was gone already. The cache is told at once that the child is
   * terminating, so that the next pass neither deletes nor counts it again.
   */
  private boolean delete(PolarDBBackup backup) {
    try {
      var client = context.getClient();
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
        children.handleRecentResourceUpdate(
            ResourceID.fromResource(terminating), terminating, backup);
      }
      status.countDeleted();
      return true;
    } catch (KubernetesClientException e) {
      log("could not delete backup {}: {}", backup.getMetadata().getName(), e.getMessage());
      wakeAfter(settings.errorRetry());
      return false;
    }
  }

  private Retention retention() {
    return spec.effectiveRetention();
  }

  // ------------------------------------------------------------ status

  void ready(CronSchedule cron) {
    if (spec.suspended()) {
      status.setNextScheduleTime(null);
      status.setCondition(
          PolarDBBackupScheduleStatus.READY,
          true,
          Reasons.SUSPENDED,
          "Suspended: no new backups until spec.suspend is false. Ticks meanwhile are skipped.",
          now);
      wakeAfter(settings.recheck());
      return;
    }
    Optional<Instant> next = cron.nextAfter(now);
    status.setNextScheduleTime(next.map(Conditions::timestamp).orElse(null));
    next.ifPresent(t -> wakeAt(t.plus(TICK_MARGIN)));
    wakeAfter(settings.recheck());
    String message =
        status.getPendingTickTime() != null
            ? "The backup for the tick at " + status.getPendingTickTime() + " waits to start."
            : next.map(t -> "Next backup at " + t + ".").orElse("No further ticks.");
    status.setCondition(PolarDBBackupScheduleStatus.READY, true, Reasons.SCHEDULED, message, now);
  }

  /**
   * The first problem of a pass is the one shown, except that one blocking the schedule now (a
   * backup that cannot get a slot or be created) outranks the news that the last backup failed.
   */
  void stall(String reason, String message) {
    if (stall == null || Reasons.LAST_BACKUP_FAILED.equals(stall.reason())) {
      stall = new Stall(reason, message);
    }
  }

  void recordStall() {
    if (stall == null) {
      status.removeCondition(PolarDBBackupScheduleStatus.STALLED);
      return;
    }
    setAndWarnOnce(PolarDBBackupScheduleStatus.STALLED, true, stall.reason(), stall.message());
  }

  /**
   * Sets a condition; a Warning event and a log line only when its reason or message is new, so
   * that a lasting problem is reported once, not on every pass.
   */
  private void setAndWarnOnce(String type, boolean value, String reason, String message) {
    boolean known =
        status
            .condition(type)
            .filter(c -> reason.equals(c.getReason()))
            .filter(c -> message.equals(c.getMessage()))
            .isPresent();
    status.setCondition(type, value, reason, message, now);
    if (!known) {
      events.warning(schedule, reason, message);
      log("{} {}: {}", type, reason, message);
    }
  }

  /** Writes the status if it changed; may be called again later in the same pass. */
  void save() {
    if (status.equals(storedStatus)) {
      return;
    }
    PolarDBBackupSchedule copy = new PolarDBBackupSchedule();
    copy.setMetadata(stored.getMetadata());
    copy.setSpec(stored.getSpec());
    copy.setStatus(status);
    stored = StatusWriter.update(context, stored, copy);
    storedStatus = status.copy();
  }

  /** When to look again (the soonest asked for in this pass); null when nothing asked. */
  Duration wake() {
    return wake;
  }

  void wakeAt(Instant time) {
    wakeAfter(Duration.between(now, time));
  }

  void wakeAfter(Duration delay) {
    Duration d = delay.isNegative() ? Duration.ZERO : delay;
    wake = wake == null ? d : min(wake, d);
  }

  void log(String format, Object... args) {
    ResourceLog.info(log, schedule, format, args);
  }

  static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
