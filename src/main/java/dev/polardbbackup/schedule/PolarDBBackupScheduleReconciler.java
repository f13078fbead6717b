package dev.polardbbackup.schedule;

import dev.polardbbackup.kube.Events;
import dev.polardbbackup.kube.SpecOrLifecycleChange;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupSchedule;
import dev.polardbbackup.model.PolarDBBackupScheduleSpec;
import dev.polardbbackup.model.PolarDBRestore;
import dev.polardbbackup.model.Reasons;
import dev.polardbbackup.shard.ShardGuard;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Turns one {@link PolarDBBackupSchedule} into a PolarDBBackup per cron tick and deletes the
 * oldest. It makes no PolarDB call of its own: its backups do that.
 *
 * <ol>
 *   <li>Paused objects are left alone.
 *   <li>Look at the children: which run, which succeeded, which failed; and whether the last backup
 *       deleted to free a quota slot let the backup that needed it through.
 *   <li>Find the due tick, if any, and decide: run it, let it wait (Forbid, quota rotation), or
 *       skip it (suspended, missed while down with catch-up None, past its starting deadline). The
 *       tick of a runImmediately first backup is "now", so it is recorded in status before its
 *       backup is made.
 *   <li>Run it: create the child with a name made of the schedule's name and the tick, so that a
 *       restart between creating it and recording it finds it instead of making a second one.
 *       Likewise one extra child for a new value of the backup-now annotation.
 *   <li>Restore drill ({@code spec.verify}): start one when due, follow it, delete its clone
 *       ({@link RestoreDrills}).
 *   <li>Retention: delete the oldest children beyond the limits, and free a quota slot for a
 *       waiting child when the user opted in: a failed child first, never the last success, and
 *       never again the same day once a deletion freed nothing.
 *   <li>Record status and look again at the next tick.
 * </ol>
 */
// Not generation-aware: the pause annotation is metadata and must act at once
// (SpecOrLifecycleChange).
@ControllerConfiguration(
    name = PolarDBBackupScheduleReconciler.NAME,
    generationAwareEventProcessing = false,
    informer = @Informer(onUpdateFilter = SpecOrLifecycleChange.class))
public class PolarDBBackupScheduleReconciler implements Reconciler<PolarDBBackupSchedule> {
  private final ShardGuard shardGuard;
  public static final String NAME = "polardbbackupschedule";
  public static final String SCHEDULE_LABEL = PolarDBBackup.GROUP + "/schedule";
  public static final String MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";

  private static final Duration PAUSED_RECHECK = Duration.ofSeconds(10);

  private final ScheduleSettings settings;
  private final Clock clock;
  private final Events events;
  private InformerEventSource<PolarDBBackup, PolarDBBackupSchedule> children;
  private InformerEventSource<PolarDBRestore, PolarDBBackupSchedule> drills;
  private volatile IndexerResourceCache<PolarDBBackupSchedule> schedules;

  public PolarDBBackupScheduleReconciler(
      ScheduleSettings settings, Clock clock, Events events, ShardGuard shardGuard) {
    this.shardGuard = shardGuard;
    this.settings = settings;
    this.clock = clock;
    this.events = events;
  }

  /**
   * The schedules' own backups and their restore drills' PolarDBRestores (labelled), mapped back
   * through their owner reference.
   */
  @Override
  public List<EventSource<?, PolarDBBackupSchedule>> prepareEventSources(
      EventSourceContext<PolarDBBackupSchedule> context) {
    var config =
        InformerEventSourceConfiguration.from(PolarDBBackup.class, PolarDBBackupSchedule.class)
            .withLabelSelector(shardGuard.shard().selector(SCHEDULE_LABEL))
            .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(PolarDBBackupSchedule.class))
            .withNamespacesInheritedFromController()
            .build();
    children = new InformerEventSource<>(config, context);
    var drillConfig =
        InformerEventSourceConfiguration.from(PolarDBRestore.class, PolarDBBackupSchedule.class)
            .withLabelSelector(shardGuard.shard().selector(RestoreDrills.DRILL_LABEL))
            .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(PolarDBBackupSchedule.class))
            .withNamespacesInheritedFromController()
            .build();
    drills = new InformerEventSource<>(drillConfig, context);
    schedules = context.getPrimaryCache();
    return List.of(children, drills);
  }

  /**
   * Every schedule this replica reconciles, as the metrics see it; none before the controller has
   * its cache.
   */
  public List<ScheduleReading> readings() {
    IndexerResourceCache<PolarDBBackupSchedule> cache = schedules;
    if (cache == null) {
      return List.of();
    }
    var now = clock.instant();
    return cache.list().map(s -> ScheduleReading.of(s, now)).toList();
  }

  @Override
  public UpdateControl<PolarDBBackupSchedule> reconcile(
      PolarDBBackupSchedule schedule, Context<PolarDBBackupSchedule> context) {
    // 0. Only where this shard may act (another shard's schedule is handed over).
    var notHere = shardGuard.updateUnlessHere(schedule, context.getClient());
    if (notHere.isPresent()) {
      return notHere.get();
    }
    SchedulePass pass = new SchedulePass(schedule, context, settings, clock, events, children);
    ScheduleRetention retention = new ScheduleRetention(pass);
    ScheduleTicks ticks = new ScheduleTicks(pass, retention);
    ChildCreation creation = new ChildCreation(pass, ticks);
    // 1. Paused: nothing changes but the Paused condition.
    if (schedule.isPaused()) {
      pass.paused();
      return UpdateControl.<PolarDBBackupSchedule>noUpdate()
          .rescheduleAfter(SchedulePass.min(settings.recheck(), PAUSED_RECHECK));
    }
    pass.status.removeCondition(Reasons.PAUSED);
    pass.status.setObservedGeneration(schedule.getMetadata().getGeneration());
    PolarDBBackupScheduleSpec spec = pass.spec;
    if (spec == null || spec.template() == null) {
      // The schema requires both; an object written past it gets the same answer as a bad cron.
      pass.invalid(spec == null ? "spec is required" : "spec.template is required");
      pass.save();
      return UpdateControl.noUpdate();
    }
    // 2. What the children say, and what the last deletion to free a quota slot did.
    pass.observeChildren();
    retention.checkLastRotation();
    // 3-4. The due tick, if any, and its backup when it runs now.
    CronSchedule.Parsed parsed = CronSchedule.parse(spec.schedule(), spec.timeZone());
    Optional<CronSchedule> cron = parsed.schedule();
    if (cron.isPresent()) {
      ticks.tick(cron.get()).ifPresent(creation::create);
    } else {
      pass.invalid(parsed.problem());
    }
    // 4b. A "back up now" annotation with a value not acted on yet: one extra backup.
    creation.createOnDemand();
    // 5. The restore drill, if one is due or under way; then retention, which keeps its backup.
    List<String> problems = spec.problems();
    if (!problems.isEmpty()) {
      pass.stall(Reasons.INVALID_SPEC, String.join(" ", problems));
    }
    new RestoreDrills(pass, drills).run();
    retention.applyRetention();
    // 6. Record and sleep until the next thing to do.
    cron.ifPresent(pass::ready);
    pass.recordStall();
    pass.save();
    UpdateControl<PolarDBBackupSchedule> control = UpdateControl.noUpdate();
    Duration wake = pass.wake();
    return wake == null ? control : control.rescheduleAfter(wake);
  }
}
