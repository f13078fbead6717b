package dev.polardbbackup.schedule;

import static dev.polardbbackup.model.Conditions.timestamp;
import static dev.polardbbackup.schedule.PolarDBBackupScheduleReconciler.MANAGED_BY_LABEL;
import static dev.polardbbackup.schedule.PolarDBBackupScheduleReconciler.SCHEDULE_LABEL;

import dev.polardbbackup.kube.Events;
import dev.polardbbackup.model.BackupTemplate;
import dev.polardbbackup.model.DeletionPolicy;
import dev.polardbbackup.model.DrillInProgress;
import dev.polardbbackup.model.DrillOutcome;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBRestore;
import dev.polardbbackup.model.PolarDBRestoreSpec;
import dev.polardbbackup.model.PolarDBRestoreStatus;
import dev.polardbbackup.model.Reasons;
import dev.polardbbackup.model.RestoreDrill;
import dev.polardbbackup.model.RestorePhase;
import dev.polardbbackup.model.RestoreSource;
import dev.polardbbackup.model.RestoreTarget;
import dev.polardbbackup.model.VerifiedRestore;
import dev.polardbbackup.shard.Shard;
import dev.polardbbackup.shard.ShardKey;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Restore drills ({@code spec.verify}): on its interval a schedule restores its newest successful
 * backup into a throw-away clone, through a child PolarDBRestore that does the exactly-once work
 * (deletionPolicy Delete, and a ttl as a backstop). The child's verdict is read once it has
 * finished (Running with its databases compared to the backup's, see {@link
 * PolarDBRestoreStatus#DATABASES_LISTED}, or Failed); then the child is deleted, which deletes the
 * clone, and the drill is recorded in {@code lastVerifiedRestore} once the child is gone.
 *
 * <p>At most one drill clone per schedule: {@code status.drill} names the one child, and is written
 * before the child is created, so that a restart finds it instead of making another; a child with
 * the drill label that status does not name (a replica's with a stale view) is deleted.
 */
final class RestoreDrills {
  static final String DRILL_LABEL = PolarDBBackup.GROUP + "/drill";

  /** A clone left Running this long is deleted by its own restore, even if the schedule is not. */
  static final String CLONE_TTL = "1h";

  /** After a drill that failed before any clone was made, the next one comes this soon. */
  static final Duration RETRY_WITHOUT_CLONE = Duration.ofHours(1);

  private final SchedulePass pass;
  private final InformerEventSource<PolarDBRestore, ?> restores;

  RestoreDrills(SchedulePass pass, InformerEventSource<PolarDBRestore, ?> restores) {
    this.pass = pass;
    this.restores = restores;
  }

  /** Starts, follows or finishes this schedule's drill; removes stray drill children. */
  void run() {
    DrillInProgress drill = pass.status.getDrill();
    deleteStrays(drill == null ? null : drill.restoreName());
    if (drill != null) {
      follow(drill);
    } else {
      maybeStart();
    }
    recordVerdict();
  }

  // ---- starting ----

  private void maybeStart() {
    RestoreDrill verify = pass.spec.verify();
    if (verify == null || pass.spec.suspended() || !pass.spec.problems().isEmpty()) {
      pass.status.setNextVerifyTime(null);
      return;
    }
    Duration every = verify.interval().orElseThrow();
    Optional<Instant> due = pass.status.nextVerify();
    if (due.isEmpty() && pass.status.getLastVerifiedRestore() != null) {
      // The spec gained drills again after they were off: the next one is due an interval after
      // the last.
      due = Optional.of(Instant.parse(pass.status.getLastVerifiedRestore().time()).plus(every));
      pass.status.setNextVerifyTime(timestamp(due.get()));
    }
    if (due.isPresent() && pass.now.isBefore(due.get())) {
      pass.wakeAt(due.get());
      return;
    }
    Optional<PolarDBBackup> newest =
        pass.owned.succeeded().stream()
            .filter(b -> b.getStatus().getBackupId() != null && !b.getStatus().isGone())
            .findFirst();
    if (newest.isEmpty()) {
      return; // the next backup that succeeds wakes the schedule
    }
    start(newest.get(), verify);
  }

  private void start(PolarDBBackup backup, RestoreDrill verify) {
    String name = drillName(pass.schedule.getMetadata().getName(), pass.now);
    DrillInProgress drill =
        DrillInProgress.start(
                timestamp(pass.now),
                backup.getStatus().getBackupId(),
                backup.getMetadata().getName(),
                null)
            .withRestoreName(name);
    // The intent first: from this write on a restart looks for the child instead of making one.
    pass.status.drillStarted(drill);
    pass.save();
    pass.owned.keepForDrill(backup.getMetadata().getName());
    if (create(drill, verify)) {
      String message =
          "Restore drill: restoring backup "
              + backup.getMetadata().getName()
              + " ("
              + drill.backupId()
              + ") into a throw-away clone through PolarDBRestore "
              + name
              + ".";
      pass.events.normal(pass.schedule, Reasons.DRILL_STARTED, message);
      pass.log("{}", message);
    }
  }

  /** Creates the drill's child; false when it could not (the next pass tries again). */
  private boolean create(DrillInProgress drill, RestoreDrill verify) {
    PolarDBRestore child = child(drill, verify);
    try {
      PolarDBRestore created = pass.context.getClient().resource(child).create();
      restores.handleRecentResourceCreate(ResourceID.fromResource(created), created);
      made(created);
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        PolarDBRestore existing = fetch(drill.restoreName());
        if (existing != null && ownedByThis(existing)) {
          made(existing); // made before a restart
          return false;
        }
        verdict(
            drill,
            DrillOutcome.Failed,
            Reasons.DRILL_FAILED,
            "A PolarDBRestore named "
                + drill.restoreName()
                + " already exists and does not belong to this schedule; no clone was made.");
        return false;
      }
      pass.log("could not create restore {}: {}", drill.restoreName(), e.getMessage());
      pass.wakeAfter(pass.settings.errorRetry());
      return false;
    }
  }

  /**
   * The child exists: its UID (its CreateDBCluster ClientToken) is recorded, so that a child found
   * missing later was deleted by someone, not never made.
   */
  private void made(PolarDBRestore child) {
    DrillInProgress drill = pass.status.getDrill();
    if (drill.clientToken() == null) {
      pass.status.drillProgressed(drill.withClientToken(child.getMetadata().getUid()));
      pass.save();
    }
  }

  private PolarDBRestore child(DrillInProgress drill, RestoreDrill verify) {
    BackupTemplate template = pass.spec.template();
    var meta = pass.schedule.getMetadata();
    PolarDBRestore child =
        new PolarDBRestore(
            meta.getNamespace(),
            drill.restoreName(),
            new PolarDBRestoreSpec(
                template.regionId(),
                template.credentialsSecretRef(),
                RestoreSource.ofBackup(drill.backupName()),
                RestoreTarget.ofNewCluster(verify.newCluster()),
                DeletionPolicy.Delete,
                CLONE_TTL));
    child
        .getMetadata()
        .setLabels(
            Map.of(
                SCHEDULE_LABEL,
                ChildCreation.labelValue(meta.getName()),
                DRILL_LABEL,
                "true",
                MANAGED_BY_LABEL,
                Events.COMPONENT,
                // In its schedule's bucket, so that the schedule's shard sees and judges it.
                Shard.LABEL,
                Integer.toString(ShardKey.initial(pass.schedule))));
    child.getMetadata().setOwnerReferences(List.of(ChildCreation.ownerReference(pass.schedule)));
    return child;
  }

  // ---- following ----

  private void follow(DrillInProgress drill) {
    PolarDBRestore child = find(drill.restoreName());
    if (child == null) {
      if (drill.verdict() == null) {
        RestoreDrill verify = pass.spec.verify();
        if (drill.clientToken() == null && verify != null) {
          // Never made: the process stopped between the status write and the create.
          create(drill, verify);
          return;
        }
        verdict(
            drill,
            DrillOutcome.Failed,
            Reasons.DRILL_FAILED,
            verify == null
                ? "spec.verify was removed before the drill's restore was made."
                : "PolarDBRestore "
                    + drill.restoreName()
                    + " was deleted before the drill finished (its deletionPolicy Delete deletes"
                    + " the clone).");
      }
      finish();
      return;
    }
    made(child);
    if (pass.status.getDrill().verdict() == null) {
      judge(pass.status.getDrill(), child);
    }
    DrillInProgress now = pass.status.getDrill();
    if (now.verdict() != null) {
      deleteChild(now, child);
    }
  }

  /** The verdict, once the child has finished or the drill has taken too long. */
  private void judge(DrillInProgress drill, PolarDBRestore child) {
    PolarDBRestoreStatus status = child.getStatus();
    RestorePhase phase = status == null ? null : status.getPhase();
    if (status != null) {
      drill = withChildProgress(drill, status);
      pass.status.drillProgressed(drill);
    }
    if (phase == RestorePhase.Succeeded) {
      Optional<Condition> listed = status.condition(PolarDBRestoreStatus.DATABASES_LISTED);
      String clone = status.getDbClusterId();
      String took = cloneSeconds(drill).map(s -> " in " + s + " s").orElse("");
      String what =
          "Backup " + drill.backupName() + " (" + drill.backupId() + ") restored into " + clone;
      boolean passed =
          listed
              .map(
                  c ->
                      "True".equals(c.getStatus())
                          || Reasons.CLONE_NOT_LISTABLE.equals(c.getReason()))
              .orElse(false);
      String detail = listed.map(Condition::getMessage).orElse("Its databases were not checked.");
      verdict(
          drill,
          passed ? DrillOutcome.Succeeded : DrillOutcome.Failed,
          passed ? Reasons.DRILL_SUCCEEDED : Reasons.DRILL_FAILED,
          what + took + (passed ? ". " : ", but the check failed: ") + detail);
    } else if (status != null && Reasons.NOT_PERMITTED.equals(status.getReason())) {
      // Waiting for a grant: say so now rather than at the timeout; no clone was made.
      verdict(
          drill,
          DrillOutcome.Failed,
          Reasons.DRILL_FAILED,
          "The drill's restore is not permitted: " + status.getMessage());
    } else if (status != null
        && Reasons.SOURCE_NOT_READY.equals(status.getReason())
        && pass.owned.live(drill.backupName()).isEmpty()) {
      verdict(
          drill,
          DrillOutcome.Failed,
          Reasons.DRILL_FAILED,
          "Backup "
              + drill.backupName()
              + " was deleted before the drill could restore it; no clone was made.");
    } else if (phase == RestorePhase.Failed) {
      verdict(
          drill,
          DrillOutcome.Failed,
          Reasons.DRILL_FAILED,
          "The restore of backup "
              + drill.backupName()
              + " failed ("
              + status.getReason()
              + "): "
              + status.getMessage());
    } else {
      Instant started = Instant.parse(drill.startedAt());
      Instant deadline = started.plus(pass.settings.drillTimeout());
      if (pass.now.isBefore(deadline)) {
        pass.wakeAt(deadline);
        return;
      }
      verdict(
          drill,
          DrillOutcome.Failed,
          Reasons.DRILL_FAILED,
          "The clone was not Running "
              + pass.settings.drillTimeout()
              + " after the drill started"
              + (status == null || status.getMessage() == null
                  ? "."
                  : "; the restore says: " + status.getMessage()));
    }
  }

  private static DrillInProgress withChildProgress(
      DrillInProgress drill, PolarDBRestoreStatus status) {
    DrillInProgress next = drill;
    if (status.getCreateFirstSent() != null) {
      next = next.withCreateSent(status.getCreateFirstSent());
    }
    if (status.getDbClusterId() != null && next.cloneDbClusterId() == null) {
      next = next.withClone(status.getDbClusterId());
    }
    if (status.getRunningTime() != null) {
      next = next.withRunning(status.getRunningTime());
    }
    return next;
  }

  private void verdict(DrillInProgress drill, DrillOutcome outcome, String why, String text) {
    pass.status.drillProgressed(drill.withVerdict(outcome, why, text));
    pass.save();
  }

  /** The verdict is in: the child goes, and its finalizer deletes the clone. */
  private void deleteChild(DrillInProgress drill, PolarDBRestore child) {
    if (child.getMetadata().getDeletionTimestamp() != null) {
      pass.wakeAfter(pass.settings.recheck());
      return; // its finalizer is deleting the clone; its removal wakes the schedule
    }
    pass.status.drillProgressed(drill.withDeleteSent(timestamp(pass.now)));
    pass.save();
    try {
      pass.context.getClient().resource(child).delete();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) {
        pass.log("could not delete restore {}: {}", drill.restoreName(), e.getMessage());
        pass.wakeAfter(pass.settings.errorRetry());
        return;
      }
    }
    pass.wakeAfter(pass.settings.recheck());
  }

  /** The child and its clone are gone: the drill is recorded, and the next one is due. */
  private void finish() {
    DrillInProgress drill = pass.status.getDrill();
    Duration every =
        Optional.ofNullable(pass.spec.verify()).flatMap(RestoreDrill::interval).orElse(null);
    Instant next = null;
    if (every != null) {
      next = later(Instant.parse(drill.startedAt()).plus(every), pass.now);
      if (drill.verdict() == DrillOutcome.Failed && drill.cloneDbClusterId() == null) {
        // Nothing was billed: try again within the hour (a grant added, a backup to restore).
        next = earlier(next, pass.now.plus(RETRY_WITHOUT_CLONE));
      }
    }
    VerifiedRestore result =
        new VerifiedRestore(
            timestamp(pass.now),
            drill.backupId(),
            drill.verdict(),
            drill.reason(),
            drill.message(),
            drill.cloneDbClusterId(),
            cloneSeconds(drill).orElse(null));
    pass.status.drillFinished(result, next);
    String message =
        drill.message()
            + (drill.cloneDbClusterId() == null
                ? ""
                : " The clone " + drill.cloneDbClusterId() + " is deleted.");
    if (drill.verdict() == DrillOutcome.Succeeded) {
      pass.events.normal(pass.schedule, Reasons.DRILL_SUCCEEDED, message);
    } else {
      pass.events.warning(pass.schedule, Reasons.DRILL_FAILED, message);
    }
    pass.log("restore drill finished: {}", message);
    if (next != null) {
      pass.wakeAt(next);
    }
  }

  /** A failed last drill keeps the schedule Stalled until a drill succeeds. */
  private void recordVerdict() {
    VerifiedRestore last = pass.status.getLastVerifiedRestore();
    if (last != null && last.outcome() == DrillOutcome.Failed && pass.spec.verify() != null) {
      pass.stallUnlessOther(
          Reasons.DRILL_FAILED,
          "The restore drill finished at "
              + last.time()
              + " failed: "
              + last.message()
              + Optional.ofNullable(pass.status.getNextVerifyTime())
                  .map(t -> " The next drill is at " + t + ".")
                  .orElse(""));
    }
  }

  // ---- the children ----

  /** Drill children of this schedule that status does not name: a stale replica's; deleted. */
  private void deleteStrays(String current) {
    for (PolarDBRestore r : pass.context.getSecondaryResources(PolarDBRestore.class)) {
      String name = r.getMetadata().getName();
      if (!ownedByThis(r)
          || name.equals(current)
          || r.getMetadata().getDeletionTimestamp() != null) {
        continue;
      }
      try {
        pass.context.getClient().resource(r).delete();
        String message =
            "Deleted PolarDBRestore "
                + name
                + ": a drill this schedule does not run (at most one drill clone at a time).";
        pass.events.normal(pass.schedule, Reasons.DRILL_CLONE_DELETED, message);
        pass.log("{}", message);
      } catch (KubernetesClientException e) {
        pass.log("could not delete stray restore {}: {}", name, e.getMessage());
      }
    }
  }

  /** The child as the cache holds it, else as the API server does (a cache may lag a create). */
  private PolarDBRestore find(String name) {
    return pass.context.getSecondaryResources(PolarDBRestore.class).stream()
        .filter(r -> r.getMetadata().getName().equals(name))
        .filter(this::ownedByThis)
        .findFirst()
        .orElseGet(
            () -> {
              PolarDBRestore fetched = fetch(name);
              return fetched != null && ownedByThis(fetched) ? fetched : null;
            });
  }

  private PolarDBRestore fetch(String name) {
    return pass.context
        .getClient()
        .resources(PolarDBRestore.class)
        .inNamespace(pass.schedule.getMetadata().getNamespace())
        .withName(name)
        .get();
  }

  private boolean ownedByThis(PolarDBRestore restore) {
    return ScheduleChildren.ownedBy(restore, pass.schedule.getMetadata().getUid());
  }

  private static Optional<Long> cloneSeconds(DrillInProgress drill) {
    if (drill.createSent() == null || drill.runningTime() == null) {
      return Optional.empty();
    }
    return Optional.of(
        Duration.between(Instant.parse(drill.createSent()), Instant.parse(drill.runningTime()))
            .toSeconds());
  }

  private static Instant later(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }

  private static Instant earlier(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }

  /** The child's name: schedule name, "-drill-" and the UTC minute the drill started. */
  static String drillName(String scheduleName, Instant started) {
    return ChildCreation.timedName(scheduleName, "-drill-", started);
  }
}
