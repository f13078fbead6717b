package dev.polardbbackup.backup;

import static dev.polardbbackup.backup.BackupPass.requestId;
import static dev.polardbbackup.backup.BackupPass.uid;

import dev.polardbbackup.kube.Events;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.Reasons;
import dev.polardbbackup.polardb.ApiResult;
import dev.polardbbackup.polardb.Backup;
import dev.polardbbackup.polardb.BackupTask;
import dev.polardbbackup.polardb.CredentialsProvider;
import dev.polardbbackup.polardb.PolarDbClient;
import dev.polardbbackup.polardb.PolarDbClientFactory;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Following a started backup: its job's progress from a look shared per cluster, then its backup
 * set, until it is Succeeded or Failed.
 */
final class FollowPhase {
  // The reconciler's logger: this phase's lines are the reconciler's.
  private static final Logger log = LoggerFactory.getLogger(PolarDBBackupReconciler.class);
  // A backup younger than this does not write its progress alone (see progressWorthWriting).
  private static final Duration PROGRESS_QUIET = Duration.ofMinutes(5);
  private final PolarDbClientFactory clients;
  private final ControllerSettings settings;
  private final Clock clock;
  private final Events events;
  private final ClusterObservations observations;
  private final PollTiming pollTiming;
  private final MatchPhase matching;
  private final Failures failures;
  private final RecheckPhase rechecks;

  FollowPhase(
      PolarDbClientFactory clients,
      ControllerSettings settings,
      Clock clock,
      Events events,
      ClusterObservations observations,
      PollTiming pollTiming,
      MatchPhase matching,
      Failures failures,
      RecheckPhase rechecks) {
    this.clients = clients;
    this.settings = settings;
    this.clock = clock;
    this.events = events;
    this.observations = observations;
    this.pollTiming = pollTiming;
    this.matching = matching;
    this.failures = failures;
    this.rechecks = rechecks;
  }

  UpdateControl<PolarDBBackup> follow(BackupPass step) {
    Optional<CredentialsProvider> credentials = step.credentials();
    if (credentials.isEmpty()) {
      return step.saveAndWait(step.credentialsRetry);
    }
    ClusterRef cluster = step.cluster();
    String uid = uid(step.backup);
    // A look that a neighbour of this cluster takes a little later will answer for this backup
    // too: wait for it (no call, no write).
    Optional<Duration> gathering = pollTiming.notYet(cluster, uid);
    if (gathering.isPresent()) {
      return step.saveAndWait(gathering.get());
    }
    PolarDbClient polarDb = clients.forRegion(step.regionId(), credentials.get());
    String jobId = step.status.getBackupJobId();
    recallJobsSeen(step, jobId);

    // At the end the cluster's usual duration predicts, the backup set first: once it is complete,
    // the jobs need no look. A set still running, or not listed, falls through to the jobs.
    if (step.status.getJobStartTime() != null && pollTiming.endExpected(cluster, uid)) {
      ApiResult<BackupSetLocator.Match> early = matching.locateShared(step, polarDb);
      Optional<Backup> done =
          early.isOk()
              ? early.value().set().filter(b -> b.succeeded() || b.failed())
              : Optional.empty();
      if (done.isPresent()) {
        return concluded(step, polarDb, early, done.get(), true);
      }
    }

    // Progress: one look at the cluster's jobs answers for every backup of it.
    ClusterObservations.Key tasksKey = step.observationKey("tasks");
    ApiResult<List<BackupTask>> tasks =
        observations.look(
            tasksKey,
            pollTiming.oldestUsableTasksLook(cluster, uid, step.status),
            () -> polarDb.describeBackupTasks(step.clusterId(), Optional.empty()));
    if (!tasks.isOk()) {
      return failures.handle(step, tasks.error(), "DescribeBackupTasks");
    }
    Optional<BackupTask> task =
        tasks.value().stream().filter(t -> jobId.equals(t.backupJobId())).findFirst();
    task.flatMap(BackupTask::startTime).ifPresent(step.status::jobStarted);
    step.listedJobs = tasks.value();
    step.jobsLookedAt = observations.takenAt(tasksKey).orElse(clock.instant());
    pollTiming.learnFrom(
        cluster, tasks.value(), observations.answeredAt(tasksKey).orElse(clock.instant()));
    if (task.isPresent() && !task.get().finished()) {
      BackupTask t = task.get();
      step.status.progressed(
          t.progressPercent(), t.progressStatus(), requestId(tasks), clock.instant());
      Duration next = pollTiming.next(cluster, uid, step.status);
      log.debug(
          "{}: job {} at {}% ({}), next look in {}",
          step.backup.getMetadata().getName(),
          jobId,
          t.progressPercent(),
          t.progressStatus(),
          next);
      return step.saveProgressAndWait(next, progressWorthWriting(step));
    }
    // The job has ended (Finished, or no longer listed after having been seen): the backup set
    // tells how. A job never seen in DescribeBackupTasks may just not be listed yet: only its own
    // id can answer for it until the grace has passed.
    boolean ended = task.isPresent() || matching.jobMayHaveEnded(step);
    ApiResult<BackupSetLocator.Match> located = matching.locateShared(step, polarDb);
    if (!located.isOk()) {
      return failures.handle(step, located.error(), "DescribeBackups");
    }
    BackupSetLocator.Match match = located.value();
    if (match.set().isEmpty()) {
      if (!ended) {
        return step.saveAndWait(pollTiming.next(cluster, uid, step.status));
      }
      Instant endedSince = step.status.jobEndedSince(clock.instant());
      if (Duration.between(endedSince, clock.instant()).compareTo(settings.backupNotFoundTimeout())
          > 0) {
        String message =
            "Backup job "
                + jobId
                + (match.undecided()
                    ? " ended, but its backup set cannot be told apart from "
                        + String.join(", ", match.otherCandidates())
                        + ", which started in the same second (one may be someone else's)."
                    : " ended but PolarDB lists no backup set for it"
                        + (step.status.getJobStartTime() == null
                            ? " (the job was never listed by DescribeBackupTasks)."
                            : "."));
        step.status.failed(Reasons.BACKUP_NOT_FOUND, message, requestId(located), clock.instant());
        events.warning(step.backup, Reasons.BACKUP_NOT_FOUND, message);
        pollTiming.forget(cluster, uid);
        return step.saveAndWait(null);
      }
      return step.saveAndWait(pollTiming.next(cluster, uid, step.status));
    }
    return concluded(step, polarDb, located, match.set().get(), ended);
  }

  /**
   * Our job's start, when status does not have it, from the looks at the cluster's jobs that this
   * process took, and the jobs listed by the last one, when it listed ours. Neither is written on
   * its own (a write per backup for a time that the outcome records anyway): the other backups of
   * the cluster read the starts of their neighbours' jobs from the same memory ({@link
   * MatchPhase}), and after a restart the next look learns them again.
   */
  private void recallJobsSeen(BackupPass step, String jobId) {
    if (step.status.getJobStartTime() == null) {
      pollTiming.seenStart(step.cluster(), jobId).ifPresent(step.status::jobStarted);
    }
    observations
        .<List<BackupTask>>recent(step.observationKey("tasks"), Instant.MIN)
        .filter(jobs -> jobs.stream().anyMatch(t -> jobId.equals(t.backupJobId())))
        .ifPresent(jobs -> step.listedJobs = jobs);
  }

  /**
   * Progress alone is written only for a backup that has run a while: a short one shows its phase,
   * and its outcome within seconds of the end; a long one shows how far it is at most one look old.
   */
  private boolean progressWorthWriting(BackupPass step) {
    Instant started = step.status.jobStartInstant().orElse(clock.instant());
    return Duration.between(started, clock.instant()).compareTo(PROGRESS_QUIET) >= 0;
  }

  /** Our backup set is known: record how it stands. */
  private UpdateControl<PolarDBBackup> concluded(
      BackupPass step,
      PolarDbClient polarDb,
      ApiResult<BackupSetLocator.Match> located,
      Backup b,
      boolean ended) {
    ClusterRef cluster = step.cluster();
    String uid = uid(step.backup);
    String jobId = step.status.getBackupJobId();
    BackupSetLocator.Match match = located.value();
    step.status.identified(b.backupId());
    if (match.ambiguous()) {
      recordDoubt(step, b, match);
    }
    if (b.succeeded()) {
      step.status.succeeded(
          b.backupId(),
          b.backupSetSize(),
          b.consistentTime(),
          b.endTime(),
          requestId(located),
          clock.instant());
      pollTiming.finished(cluster, uid, step.status, b.endTime());
      step.log("backup {} succeeded", b.backupId());
      events.normal(
          step.backup,
          Reasons.BACKUP_SUCCEEDED,
          "Backup " + b.backupId() + " is complete (RequestId " + requestId(located) + ").");
      return step.saveAndWait(rechecks.succeeded(step, polarDb));
    }
    if (b.failed()) {
      String message =
          "PolarDB reports backup "
              + b.backupId()
              + " (job "
              + jobId
              + ") as Failed (RequestId "
              + requestId(located)
              + ").";
      step.status.failed(Reasons.BACKUP_FAILED, message, requestId(located), clock.instant());
      pollTiming.forget(cluster, uid);
      step.log("backup {} failed", b.backupId());
      events.warning(step.backup, Reasons.BACKUP_FAILED, message);
      return step.saveAndWait(null);
    }
    if (ended) {
      // The docs name only Success and Failed; a set that stays in another status after its job
      // ended would otherwise be polled for ever.
      Instant endedSince = step.status.jobEndedSince(clock.instant());
      if (Duration.between(endedSince, clock.instant()).compareTo(settings.backupNotFoundTimeout())
          > 0) {
        String message =
            "Backup "
                + b.backupId()
                + " is still in status '"
                + b.backupStatus()
                + "' "
                + settings.backupNotFoundTimeout()
                + " after its job ended; PolarDB documents only Success and Failed. Treated as"
                + " failed; check it in the PolarDB console.";
        step.status.failed(
            Reasons.BACKUP_STATUS_UNKNOWN, message, requestId(located), clock.instant());
        pollTiming.forget(cluster, uid);
        events.warning(step.backup, Reasons.BACKUP_STATUS_UNKNOWN, message);
        step.log("failed: {}", message);
        return step.saveAndWait(null);
      }
    }
    return step.saveAndWait(pollTiming.next(cluster, uid, step.status));
  }

  /** Matched by start time with room for doubt: say so once; deletion will never delete it. */
  private void recordDoubt(BackupPass step, Backup chosen, BackupSetLocator.Match match) {
    List<String> candidates = new java.util.ArrayList<>();
    candidates.add(chosen.backupId());
    candidates.addAll(match.otherCandidates());
    if (candidates.equals(step.status.getUncertainMatch())) {
      return;
    }
    step.status.matchedWithDoubt(candidates);
    String message =
        "Backup job "
            + step.status.getBackupJobId()
            + " was matched to backup set "
            + chosen.backupId()
            + " by start time, but "
            + String.join(", ", match.otherCandidates())
            + " started at about the same time and no other PolarDBBackup claims "
            + (match.otherCandidates().size() == 1 ? "it" : "them")
            + ": one of them may have been made by someone else. This resource will never delete"
            + " its cloud backup; check job "
            + step.status.getBackupJobId()
            + " in the PolarDB console.";
    step.status.setCondition(
        Reasons.UNCERTAIN_MATCH, true, Reasons.UNCERTAIN_MATCH, message, clock.instant());
    events.warning(step.backup, Reasons.UNCERTAIN_MATCH, message);
    step.log("{}", message);
  }
}
