package dev.polardbbackup.backup;

import static dev.polardbbackup.backup.BackupPass.requestId;

import dev.polardbbackup.model.PolarDBBackupStatus;
import dev.polardbbackup.polardb.ApiResult;
import dev.polardbbackup.polardb.Backup;
import dev.polardbbackup.polardb.BackupTask;
import dev.polardbbackup.polardb.DescribeBackupsQuery;
import dev.polardbbackup.polardb.PolarDbClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which backup set is this backup's: by id when PolarDB gives the set the job's id, else by start
 * time among the cluster's manual backups that no other PolarDBBackup holds ({@link
 * BackupSetLocator}), from a look shared with the cluster's other backups where it can be.
 */
final class MatchPhase {
  private static final Duration SHARED_LOOKBACK = Duration.ofDays(7);

  private final ControllerSettings settings;
  private final Clock clock;
  private final ClusterObservations observations;
  private final PollTiming pollTiming;

  MatchPhase(
      ControllerSettings settings,
      Clock clock,
      ClusterObservations observations,
      PollTiming pollTiming) {
    this.settings = settings;
    this.clock = clock;
    this.observations = observations;
    this.pollTiming = pollTiming;
  }

  /**
   * A job that DescribeBackupTasks does not list has ended if it was listed before. One never
   * listed may not be listed yet (PolarDB may list a new job late); it counts as ended only once a
   * look at the cluster's jobs has missed it for the longest poll interval (pollMax) after our
   * reply, as it may have come and gone while nobody looked. The look is this pass's, which may be
   * a neighbour's shared look a little older than now.
   */
  boolean jobMayHaveEnded(BackupPass step) {
    PolarDBBackupStatus status = step.status;
    if (status.getJobStartTime() != null) {
      return true;
    }
    Instant lookedAt = Optional.ofNullable(step.jobsLookedAt).orElse(clock.instant());
    return status
        .startInstant()
        // startTime has whole seconds: add one so that the grace is never shorter than pollMax.
        .map(t -> Duration.between(t, lookedAt).compareTo(settings.pollMax().plusSeconds(1)) >= 0)
        .orElse(true);
  }

  /**
   * Finds the backup set of our job whether or not PolarDB gives it the job's id: first by id, then
   * through {@link BackupSetLocator} among the cluster's manual backups that no other PolarDBBackup
   * has claimed.
   */
  ApiResult<BackupSetLocator.Match> locate(BackupPass step, PolarDbClient polarDb) {
    String known =
        Optional.ofNullable(step.status.getBackupId()).orElse(step.status.getBackupJobId());
    Instant jobStart = step.status.jobStartInstant().orElse(clock.instant());
    Instant from =
        step.status.getBackupJobId() == null
            ? clock.instant().minus(AdoptPhase.ADOPT_LOOKBACK)
            : jobStart.minus(Duration.ofMinutes(10));
    Instant to = clock.instant().plus(Duration.ofMinutes(1));
    return match(
        step,
        polarDb.describeAllBackups(DescribeBackupsQuery.byId(step.clusterId(), known, from, to)),
        () -> polarDb.describeAllBackups(DescribeBackupsQuery.manual(step.clusterId(), from, to)));
  }

  /**
   * {@link #locate} for a running backup, from one shared look at all the cluster's manual backups
   * of the last week: backups of one cluster that finish together cost one call.
   */
  ApiResult<BackupSetLocator.Match> locateShared(BackupPass step, PolarDbClient polarDb) {
    Instant now = clock.instant();
    Instant jobStart = step.status.jobStartInstant().orElse(now);
    if (jobStart.isBefore(now.minus(SHARED_LOOKBACK).plus(Duration.ofMinutes(10)))) {
      return locate(step, polarDb);
    }
    ApiResult<List<Backup>> manual =
        observations.look(
            step.observationKey("backups"),
            pollTiming.oldestUsableSetsLook(step.cluster(), BackupPass.uid(step.backup)),
            () ->
                polarDb.describeAllBackups(
                    DescribeBackupsQuery.manual(
                        step.clusterId(),
                        now.minus(SHARED_LOOKBACK),
                        now.plus(Duration.ofMinutes(1)))));
    return match(step, manual, () -> manual);
  }

  /**
   * Our backup set among {@code listed}: the one with our known id (the backup id once identified,
   * else the job id). If the id is a backup id, absence is the answer; if it is only a job id,
   * PolarDB may have given the set another id, so match among {@code manual} by start time, once
   * the job has been seen (or the grace for a never-listed job has passed).
   */
  private ApiResult<BackupSetLocator.Match> match(
      BackupPass step,
      ApiResult<List<Backup>> listed,
      java.util.function.Supplier<ApiResult<List<Backup>>> manual) {
    if (!listed.isOk()) {
      return new ApiResult.Failed<>(listed.error());
    }
    String known =
        Optional.ofNullable(step.status.getBackupId()).orElse(step.status.getBackupJobId());
    Optional<Backup> exact =
        listed.value().stream().filter(b -> known.equals(b.backupId())).findFirst();
    if (exact.isPresent() || step.status.getBackupId() != null) {
      return new ApiResult.Ok<>(new BackupSetLocator.Match(exact, List.of()), requestId(listed));
    }
    if (!jobMayHaveEnded(step)) {
      return new ApiResult.Ok<>(BackupSetLocator.Match.NONE, requestId(listed));
    }
    ApiResult<List<Backup>> candidates = manual.get();
    if (!candidates.isOk()) {
      return new ApiResult.Failed<>(candidates.error());
    }
    BackupSetLocator.Match found = locateIn(step, candidates.value());
    if (found.set().isPresent() && !step.claim(found.set().get().backupId())) {
      // Another resource of this process claimed it a moment ago; look again next time.
      return new ApiResult.Ok<>(BackupSetLocator.Match.NONE, requestId(candidates));
    }
    return new ApiResult.Ok<>(found, requestId(candidates));
  }

  /**
   * Matches our job to one of the cluster's manual backups that could be ours: by PolarDB's start
   * of the job when it was seen, else within the window of our sends.
   */
  private BackupSetLocator.Match locateIn(BackupPass step, List<Backup> manual) {
    PolarDBBackupStatus status = step.status;
    Optional<Instant> jobStart = Optional.ofNullable(status.getJobStartTime()).map(Instant::parse);
    // Statuses written before the send times were recorded have only the reply's time.
    Instant firstSent =
        status.tokenFirstSentInstant().or(status::startInstant).orElse(clock.instant());
    Instant lastSent =
        Optional.ofNullable(status.getClientTokenLastSent())
            .map(Instant::parse)
            .or(status::startInstant)
            .orElse(clock.instant());
    Instant earliest =
        status.tokenFirstSentInstant().isPresent()
            ? BackupSetLocator.earliestStart(firstSent)
            : firstSent.minus(BackupSetLocator.MAX_SKEW);
    Instant latest = lastSent.plus(BackupSetLocator.MAX_SKEW);
    Set<String> excluded = new java.util.HashSet<>(step.claimedByOthers());
    excluded.addAll(status.preexisting());
    Instant near = jobStart.orElse(lastSent);
    List<PolarDBBackupStatus> others = withStartsSeen(step);
    List<PolarDBBackupStatus> unidentified =
        others.stream()
            .filter(s -> s.getBackupJobId() != null && s.getBackupId() == null)
            .filter(s -> s.jobStartInstant().isPresent())
            .toList();
    // Others of ours that may own one of these sets: unidentified jobs, and calls whose outcome is
    // unknown, near ours in time.
    List<Instant> possibleOwners =
        others.stream()
            .filter(
                s ->
                    s.getBackupJobId() != null && s.getBackupId() == null
                        || s.mayHaveUnseenBackup())
            .map(s -> s.jobStartInstant().or(s::tokenFirstSentInstant))
            .flatMap(Optional::stream)
            .toList();
    Set<String> sameSecondJobs =
        jobStart
            .map(t -> sameSecondJobs(step, unidentified, t))
            .orElseGet(() -> jobsSentMeanwhile(others, earliest, latest));
    int othersNear =
        (int)
            possibleOwners.stream()
                .filter(
                    t -> Duration.between(t, near).abs().compareTo(BackupSetLocator.MAX_SKEW) <= 0)
                .count();
    return BackupSetLocator.locate(
        status.getBackupJobId(),
        jobStart,
        earliest,
        latest,
        manual,
        excluded,
        sameSecondJobs,
        othersNear);
  }

  /**
   * The other PolarDBBackups of the cluster, each with PolarDB's start of its job where its status
   * has only our reply time but a look at the cluster's jobs in this process listed it: the start
   * is not written on its own, and the reply may come a second after PolarDB's start, so the
   * reply's second would rank same-second jobs wrongly.
   */
  private List<PolarDBBackupStatus> withStartsSeen(BackupPass step) {
    return step.othersOnCluster().stream()
        .map(
            other -> {
              if (other.getJobStartTime() != null || other.getBackupJobId() == null) {
                return other;
              }
              return pollTiming
                  .seenStart(step.cluster(), other.getBackupJobId())
                  .map(
                      seen -> {
                        PolarDBBackupStatus known = other.copy();
                        known.jobStarted(seen);
                        return known;
                      })
                  .orElse(other);
            })
        .toList();
  }

  /**
   * The other manual jobs that started in the same second as ours: those of other unidentified
   * PolarDBBackups, and any other listed by the last DescribeBackupTasks (a DBA's, say). Job ids
   * and backup ids are handed out in creation order, so our rank among them picks our set.
   */
  private static Set<String> sameSecondJobs(
      BackupPass step, List<PolarDBBackupStatus> unidentified, Instant jobStart) {
    Instant second = jobStart.truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    Set<String> jobs = new java.util.HashSet<>();
    unidentified.stream()
        .filter(
            s ->
                s.jobStartInstant()
                    .get()
                    .truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                    .equals(second))
        .map(PolarDBBackupStatus::getBackupJobId)
        .forEach(jobs::add);
    // Jobs of other PolarDBBackups are counted above while unidentified; once identified, their
    // sets are no longer candidates, so their jobs must not count either.
    Set<String> ours = step.jobsOfOthers();
    step.listedJobs.stream()
        .filter(t -> !"Automated".equalsIgnoreCase(t.jobMode()))
        .filter(t -> !t.backupJobId().equals(step.status.getBackupJobId()))
        .filter(t -> !ours.contains(t.backupJobId()))
        .filter(
            t ->
                t.startTime()
                    .map(x -> x.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).equals(second))
                    .orElse(false))
        .map(BackupTask::backupJobId)
        .forEach(jobs::add);
    return jobs;
  }

  /**
   * Other unidentified jobs of this cluster whose CreateBackup calls went out between {@code
   * earliest} and {@code latest}: their sets are among the same candidates.
   */
  private static Set<String> jobsSentMeanwhile(
      List<PolarDBBackupStatus> others, Instant earliest, Instant latest) {
    return others.stream()
        .filter(s -> s.getBackupJobId() != null && s.getBackupId() == null)
        .filter(
            s ->
                s.tokenFirstSentInstant()
                    .or(s::startInstant)
                    .map(t -> !t.isBefore(earliest) && !t.isAfter(latest))
                    .orElse(false))
        .map(PolarDBBackupStatus::getBackupJobId)
        .collect(Collectors.toSet());
  }
}
