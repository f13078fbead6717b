package dev.polardbbackup.schedule;

import dev.polardbbackup.kube.Events;
import dev.polardbbackup.kube.ResourceLog;
import dev.polardbbackup.kube.StatusWriter;
import dev.polardbbackup.model.Conditions;
import dev.polardbbackup.model.Phase;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupSchedule;
import dev.polardbbackup.model.PolarDBBackupScheduleSpec;
import dev.polardbbackup.model.PolarDBBackupScheduleStatus;
import dev.polardbbackup.model.Reasons;
import io.javaoperatorsdk.operator.api.reconciler.Context;
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

  void observeChildren() {
    owned =
        new ScheduleChildren(
            context.getSecondaryResources(PolarDBBackup.class), schedule.getMetadata().getUid());
    if (status.getDrill() != null) {
      owned.keepForDrill(status.getDrill().backupName());
    }
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

  void invalid(String problem) {
    status.setNextScheduleTime(null);
    status.setPendingTickTime(null);
    setAndWarnOnce(PolarDBBackupScheduleStatus.READY, false, Reasons.INVALID_SCHEDULE, problem);
  }

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

  /** A lasting problem shown only when nothing else is (a failed restore drill). */
  void stallUnlessOther(String reason, String message) {
    if (stall == null) {
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
