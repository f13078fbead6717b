package dev.polardbbackup.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.emulator.BackupRecord;
import dev.polardbbackup.emulator.EmulatorServer;
import dev.polardbbackup.emulator.MutableClock;
import dev.polardbbackup.emulator.PolarDbEmulator;
import dev.polardbbackup.model.PolarDBBackupStatus;
import dev.polardbbackup.polardb.ApiResult;
import dev.polardbbackup.polardb.Backup;
import dev.polardbbackup.polardb.BackupTask;
import dev.polardbbackup.polardb.CallListener;
import dev.polardbbackup.polardb.Credentials;
import dev.polardbbackup.polardb.CredentialsProvider;
import dev.polardbbackup.polardb.DescribeBackupsQuery;
import dev.polardbbackup.polardb.PolarDbClient;
import dev.polardbbackup.polardb.PolarDbClientFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import org.junit.jupiter.api.Test;

/**
 * The poll timing with the production defaults (pollMin 5 s, pollMax 2 min), on a clock that only
 * the test moves, against the emulator: every figure is exact and the same on every run. Each
 * backup follows the steps of the reconciler's follow phase (a shared DescribeBackupTasks look,
 * then, once its job has ended, a shared DescribeBackups look), with the same {@link PollTiming}
 * and {@link ClusterObservations}; only the scheduling of reconciles is the test's. The real
 * operator's figures (with JOSDK's timers and a busy machine) come from {@code scripts/bench.sh}.
 */
class PollTimingTest {
  private static final String KEY_ID = "LTAI5tPollTiming";
  private static final String KEY_SECRET = "poll-timing-secret";
  private static final String REGION = "cn-hangzhou";
  private static final Duration MINUTE = Duration.ofMinutes(1);

  /** What a run cost and how late each backup was seen to have ended. */
  private record Outcome(
      Map<String, Long> calls,
      List<Duration> lateness,
      Duration shortestWait,
      Duration longestWait,
      int backups) {
    long looks() {
      return calls.getOrDefault("DescribeBackupTasks", 0L)
          + calls.getOrDefault("DescribeBackups", 0L);
    }

    double callsPerBackup() {
      return calls.values().stream().mapToLong(Long::longValue).sum() / (double) backups;
    }

    Duration latest() {
      return lateness.stream().max(Comparator.naturalOrder()).orElseThrow();
    }
  }

  /** One backup being followed, due for its next look at {@code due}. */
  private static final class Followed {
    final String cluster;
    final Instant createAt;
    final String uid;
    final PolarDBBackupStatus status = new PolarDBBackupStatus();
    Instant due;
    // Whether the last wait was for a neighbour's look (not a wait between two looks).
    boolean gathering;

    Followed(int index, String cluster, Instant createAt) {
      this.cluster = cluster;
      this.createAt = createAt;
      this.uid = "uid-" + index;
      this.due = createAt;
    }
  }

  /**
   * Creates {@code perCluster} backups on each of {@code clusters} clusters, one every {@code
   * spacing} (round robin over the clusters), each running {@code duration}, and follows them all
   * until their sets are seen.
   */
  private static Outcome run(int clusters, int perCluster, Duration spacing, Duration duration)
      throws Exception {
    return run(clusters, perCluster, spacing, duration, ControllerSettings.defaults());
  }

  private static Outcome run(
      int clusters,
      int perCluster,
      Duration spacing,
      Duration duration,
      ControllerSettings settings)
      throws Exception {
    // Off the grid on purpose: a start on a multiple of pollMin would flatter the figures.
    MutableClock clock = MutableClock.at("2030-01-01T00:00:01.300Z");
    PolarDbEmulator.Builder builder =
        PolarDbEmulator.builder()
            .clock(clock)
            .seed(11)
            .accessKey(KEY_ID, KEY_SECRET)
            .quota(perCluster)
            .backupDuration(duration);
    for (int c = 0; c < clusters; c++) {
      builder.cluster("pc-poll" + c, REGION);
    }
    PolarDbEmulator emulator = builder.build();
    try (EmulatorServer server =
        EmulatorServer.start(emulator, new InetSocketAddress("127.0.0.1", 0))) {
      PolarDbClient polarDb =
          new PolarDbClient(
              server.baseUri(),
              CredentialsProvider.of(Credentials.of(KEY_ID, KEY_SECRET, "test")),
              PolarDbClientFactory.httpClient(Duration.ofSeconds(2), Duration.ofSeconds(5)),
              clock,
              CallListener.NONE);
      PollTiming timing = new PollTiming(clock, settings);
      ClusterObservations observations = new ClusterObservations(clock);

      PriorityQueue<Followed> queue =
          new PriorityQueue<>(Comparator.comparing((Followed f) -> f.due));
      Instant first = clock.instant();
      for (int i = 0; i < clusters * perCluster; i++) {
        queue.add(new Followed(i, "pc-poll" + (i % clusters), first.plus(spacing.multipliedBy(i))));
      }
      List<Duration> lateness = new ArrayList<>();
      Duration shortestWait = Duration.ofDays(1);
      Duration longestWait = Duration.ZERO;
      while (!queue.isEmpty()) {
        Followed f = queue.poll();
        clock.set(f.due);
        Optional<Duration> next = step(f, polarDb, timing, observations, emulator, lateness);
        if (next.isPresent() && !f.gathering) {
          shortestWait = next.get().compareTo(shortestWait) < 0 ? next.get() : shortestWait;
          longestWait = next.get().compareTo(longestWait) > 0 ? next.get() : longestWait;
        }
        if (next.isPresent()) {
          f.due = clock.instant().plus(next.get());
          queue.add(f);
        }
      }
      return new Outcome(
          emulator.ledger().callsByAction(),
          lateness,
          shortestWait,
          longestWait,
          clusters * perCluster);
    }
  }

  /**
   * One reconcile of a backup, in the follow phase's order: wait for a neighbour's look if one is
   * due soon; at the expected end, the sets first; else the jobs, then the sets once the job ended.
   * Returns its next wait, or empty once its set was seen to have ended.
   */
  private static Optional<Duration> step(
      Followed f,
      PolarDbClient polarDb,
      PollTiming timing,
      ClusterObservations observations,
      PolarDbEmulator emulator,
      List<Duration> lateness) {
    Instant now = f.due;
    PolarDBBackupStatus status = f.status;
    ClusterRef cluster = new ClusterRef(REGION, f.cluster);
    if (status.getBackupJobId() == null) {
      ApiResult<String> created = polarDb.createBackup(f.cluster, "token-" + f.createAt);
      assertTrue(created.isOk(), () -> "CreateBackup: " + created);
      status.started(created.value(), "r", now);
      return Optional.of(timing.first(cluster, f.uid, status, now, now));
    }
    Optional<Duration> gathering = timing.notYet(cluster, f.uid);
    f.gathering = gathering.isPresent();
    if (gathering.isPresent()) {
      return gathering;
    }
    String jobId = status.getBackupJobId();
    ClusterObservations.Key tasksKey = new ClusterObservations.Key(cluster, "tasks", "operator");
    if (status.getJobStartTime() == null) {
      observations.<List<BackupTask>>recent(tasksKey, Instant.MIN).stream()
          .flatMap(List::stream)
          .filter(t -> jobId.equals(t.backupJobId()))
          .findFirst()
          .flatMap(BackupTask::startTime)
          .ifPresent(status::jobStarted);
    }
    if (status.getJobStartTime() != null && timing.endExpected(cluster, f.uid)) {
      Optional<Backup> done = ourSet(f, polarDb, observations, emulator, timing);
      if (done.isPresent()) {
        return finish(f, done.get(), timing, lateness);
      }
    }
    ApiResult<List<BackupTask>> tasks =
        observations.look(
            tasksKey,
            timing.oldestUsableTasksLook(cluster, f.uid, status),
            () -> polarDb.describeBackupTasks(f.cluster, Optional.empty()));
    assertTrue(tasks.isOk(), () -> "DescribeBackupTasks: " + tasks);
    Optional<BackupTask> task =
        tasks.value().stream().filter(t -> jobId.equals(t.backupJobId())).findFirst();
    task.flatMap(BackupTask::startTime).ifPresent(status::jobStarted);
    timing.learnFrom(cluster, tasks.value(), observations.answeredAt(tasksKey).orElseThrow());
    if (task.isPresent() && !task.get().finished()) {
      status.progressed(task.get().progressPercent(), task.get().progressStatus(), "r", now);
      return Optional.of(timing.next(cluster, f.uid, status));
    }
    Optional<Backup> set = ourSet(f, polarDb, observations, emulator, timing);
    if (set.isEmpty()) {
      return Optional.of(timing.next(cluster, f.uid, status));
    }
    return finish(f, set.get(), timing, lateness);
  }

  /** Our set from a shared DescribeBackups look, once it is complete. */
  private static Optional<Backup> ourSet(
      Followed f,
      PolarDbClient polarDb,
      ClusterObservations observations,
      PolarDbEmulator emulator,
      PollTiming timing) {
    Instant now = f.due;
    ApiResult<List<Backup>> sets =
        observations.look(
            new ClusterObservations.Key(new ClusterRef(REGION, f.cluster), "backups", "operator"),
            timing.oldestUsableSetsLook(new ClusterRef(REGION, f.cluster), f.uid),
            () ->
                polarDb.describeAllBackups(
                    DescribeBackupsQuery.manual(
                        f.cluster, now.minus(Duration.ofDays(7)), now.plus(MINUTE))));
    assertTrue(sets.isOk(), () -> "DescribeBackups: " + sets);
    // Which set is ours is BackupSetLocator's business (BackupSetLocatorTest); here the ledger
    // says.
    String ours =
        emulator.ledger().backups().stream()
            .filter(b -> b.backupJobId().equals(f.status.getBackupJobId()))
            .map(BackupRecord::backupId)
            .findFirst()
            .orElseThrow();
    return sets.value().stream()
        .filter(b -> b.backupId().equals(ours) && "Success".equals(b.backupStatus()))
        .findFirst();
  }

  private static Optional<Duration> finish(
      Followed f, Backup set, PollTiming timing, List<Duration> lateness) {
    lateness.add(Duration.between(set.endTime().orElseThrow(), f.due));
    timing.finished(new ClusterRef(REGION, f.cluster), f.uid, f.status, set.endTime());
    return Optional.empty();
  }

  @Test
  void aLoneOneMinuteBackupIsSeenToEndWithinFiveSecondsForFourLooks() throws Exception {
    Outcome lone = run(1, 1, Duration.ZERO, MINUTE);

    // Jobs at 5, 10 and 20 s (the spacing doubles while progress is in its early stages, below
    // 20%), then, just after the end that 33% predicts, the set (the jobs need no look then).
    assertEquals(1L, lone.calls().get("CreateBackup"));
    assertEquals(4L, lone.looks(), "looks for one backup: " + lone.calls());
    assertTrue(
        lone.latest().compareTo(Duration.ofSeconds(5)) <= 0,
        "seen to end " + lone.latest() + " after it ended");
  }

  @Test
  void backupsOfOneClusterStartedTogetherCostNoMoreLooksThanOne() throws Exception {
    Outcome lone = run(1, 1, Duration.ZERO, MINUTE);
    // Five backups created within 4 s, as a burst of kubectl applies gives them.
    Outcome burst = run(1, 5, Duration.ofMillis(800), MINUTE);

    assertEquals(5L, burst.calls().get("CreateBackup"));
    // Fewer than one alone: the look that lists the whole burst also learns its duration.
    assertEquals(
        3L,
        burst.looks(),
        "five backups of one cluster: " + burst.calls() + "; one alone: " + lone.calls());
    assertTrue(burst.looks() <= lone.looks());
    assertTrue(
        burst.latest().compareTo(Duration.ofSeconds(10)) <= 0,
        "the last was seen to end " + burst.latest() + " after it ended");
  }

  @Test
  void theBenchmarkShapeCostsTwoLooksPerClusterAndIsSeenWithinTwelveSeconds() throws Exception {
    // scripts/bench.sh 1000 200 60s in miniature: five one-minute backups a cluster, created one
    // after the other across the clusters, 100 ms apart, so that a cluster's five start 2 s apart
    // (8 s from first to last). Each first look waits for the next one's (within lookGather), so
    // one look at the jobs lists all five and learns the usual duration from the oldest (21%);
    // the ends then gather on the last one's end: one look at the sets.
    Outcome bench = run(20, 5, Duration.ofMillis(100), MINUTE);

    assertEquals(100L, bench.calls().get("CreateBackup"));
    assertEquals(20L, bench.calls().get("DescribeBackupTasks"), () -> "" + bench.calls());
    assertEquals(20L, bench.calls().get("DescribeBackups"), () -> "" + bench.calls());
    assertTrue(
        bench.shortestWait().compareTo(Duration.ofSeconds(5)) >= 0,
        "a backup looked again after " + bench.shortestWait() + ", sooner than pollMin");
    // The gathering's price: the first of a cluster waits for the last (8 s), plus the margin.
    assertTrue(
        bench.latest().compareTo(Duration.ofSeconds(12)) <= 0,
        "the last was seen to end " + bench.latest() + " after it ended");
  }

  @Test
  void aClusterThatFinishedABackupLooksOnceAtTheNextOnesEnd() throws Exception {
    // One backup, then (once it is done) a second of the same cluster: its first look lands at
    // the end learned from the first, costing the jobs and the set, nothing before.
    Outcome two = run(1, 2, Duration.ofMinutes(2), MINUTE);
    Outcome lone = run(1, 1, Duration.ZERO, MINUTE);

    assertEquals(lone.looks() + 2, two.looks(), "two backups one after the other: " + two.calls());
    assertTrue(
        two.latest().compareTo(Duration.ofSeconds(5)) <= 0,
        "seen to end " + two.latest() + " after it ended");
  }

  @Test
  void aLongBackupIsLookedAtEveryPollMaxOnceItHasRunThatLong() throws Exception {
    Outcome hour = run(1, 1, Duration.ZERO, Duration.ofHours(1));

    // Doubling from 5 s up to the 2-minute cap (5 looks), then one per 2 minutes for the rest of
    // the hour (29), then the set. Never more often, and never later than pollMax.
    assertTrue(hour.looks() <= 36, "looks for a one-hour backup: " + hour.calls());
    assertTrue(
        hour.longestWait().compareTo(Duration.ofMinutes(2)) <= 0,
        "waited " + hour.longestWait() + " between two looks");
    assertTrue(
        hour.latest().compareTo(Duration.ofMinutes(2)) <= 0,
        "seen to end " + hour.latest() + " after it ended");
  }

  @Test
  void aBackupAboutToEndIsStillLookedAtNoSoonerThanPollMin() {
    // The job has run 100 s and reports 99%: the end is due in about 2 s, sooner than pollMin.
    MutableClock clock = MutableClock.at("2030-01-01T00:01:40.500Z");
    Instant started = Instant.parse("2030-01-01T00:00:00Z");
    PolarDBBackupStatus status = new PolarDBBackupStatus();
    status.started("job-1", "req-1", started);
    status.jobStarted(started);
    status.progressed(99, "Uploading", "req-2", clock.instant());
    PollTiming timing = new PollTiming(clock, ControllerSettings.defaults());
    ClusterRef cluster = new ClusterRef(REGION, "pc-1");
    timing.learnFrom(cluster, List.of(job("job-1", "Uploading", 99, started)), clock.instant());

    assertEquals(Duration.ofSeconds(5), timing.next(cluster, "uid-1", status));
  }

  @Test
  void theUsualDurationIsTheBoundAJobPastItsEarlyStagesGives() {
    MutableClock clock = MutableClock.at("2030-01-01T00:00:30Z");
    Instant early = Instant.parse("2030-01-01T00:00:00Z");
    Instant late = Instant.parse("2030-01-01T00:00:20Z");
    PollTiming timing = new PollTiming(clock, ControllerSettings.defaults());
    ClusterRef cluster = new ClusterRef(REGION, "pc-1");
    // 10% is an early stage: nothing learned from it.
    timing.learnFrom(cluster, List.of(job("job-2", "Preparing", 10, late)), clock.instant());
    assertEquals(Optional.empty(), timing.usual(cluster));

    // A DBA's job counts too when none of ours is far enough along: the cluster's speed is the
    // cluster's. At most 30 s (from the start of its whole second) at 50%: a minute at most.
    timing.learnFrom(
        cluster,
        List.of(job("job-2", "Preparing", 10, late), job("job-1", "Uploading", 50, early)),
        clock.instant());
    assertEquals(Optional.of(MINUTE), timing.usual(cluster));

    // An estimate from less far along does not replace it; a finished backup's duration does.
    timing.learnFrom(cluster, List.of(job("job-2", "Uploading", 25, late)), clock.instant());
    assertEquals(Optional.of(MINUTE), timing.usual(cluster));
    PolarDBBackupStatus done = new PolarDBBackupStatus();
    done.started("job-1", "req-1", early);
    done.jobStarted(early);
    timing.finished(cluster, "uid-1", done, Optional.of(early.plusSeconds(62)));
    assertEquals(Optional.of(Duration.ofSeconds(62)), timing.usual(cluster));
  }

  @Test
  void theUsualDurationIsTheTightestBoundOfTheJobsThisProcessStarted() {
    // Two one-minute backups of ours, started 3.51 s apart, answered at 20.34 s: the first reads
    // 33% (33.9, rounded down), so it bounds the minute by 61.6 s; the second reads 28% (28.05),
    // so by 60.1 s. The look at their end comes 1.5 s sooner when aimed by the second. A DBA's job
    // at 50% after 20 s (it takes 40 s) is not ours, and does not make ours look early.
    Instant first = Instant.parse("2030-01-01T00:00:00Z");
    Instant second = Instant.parse("2030-01-01T00:00:03.510Z");
    MutableClock clock = MutableClock.at("2030-01-01T00:00:00Z");
    PollTiming timing = new PollTiming(clock, ControllerSettings.defaults());
    ClusterRef cluster = new ClusterRef(REGION, "pc-1");
    started(timing, cluster, "uid-1", "job-1", first);
    clock.set(second);
    started(timing, cluster, "uid-2", "job-2", second);

    clock.set(Instant.parse("2030-01-01T00:00:20.340Z"));
    Instant dba = Instant.parse("2030-01-01T00:00:00.340Z");
    timing.learnFrom(
        cluster,
        List.of(
            job("job-1", "Uploading", 33, first),
            job("job-2", "Uploading", 28, second.truncatedTo(ChronoUnit.SECONDS)),
            job("job-dba", "Uploading", 50, dba.truncatedTo(ChronoUnit.SECONDS))),
        clock.instant());

    Duration usual = timing.usual(cluster).orElseThrow();
    assertTrue(usual.compareTo(MINUTE) >= 0, "never short of the minute: " + usual);
    assertTrue(
        usual.compareTo(Duration.ofMillis(60_200)) <= 0,
        "the second job's bound, not the first's 61.6 s: " + usual);
  }

  /** A CreateBackup of ours for {@code jobId}, sent and answered at the clock's time. */
  private static void started(
      PollTiming timing, ClusterRef cluster, String uid, String jobId, Instant at) {
    PolarDBBackupStatus status = new PolarDBBackupStatus();
    status.started(jobId, "req-" + jobId, at);
    timing.first(cluster, uid, status, at, at);
  }

  @Test
  void aSlowReplyToCreateBackupDoesNotMakeTheLearnedDurationShort() {
    // PolarDB started the job at 00:00:00.0 (it says 00:00:00); CreateBackup, sent just before,
    // answered only at 00:00:00.8, as the run's first call or one under load does. At 17 s the job
    // reads 28% (it runs a minute). Counted from the reply it would have run 16.2 s: 57.9 s, and
    // the look at its end would come at 59.7 s, before it ended, and cost a second look.
    Instant second = Instant.parse("2030-01-01T00:00:00Z");
    MutableClock clock = MutableClock.at("2030-01-01T00:00:00.800Z");
    PollTiming timing = new PollTiming(clock, ControllerSettings.defaults());
    ClusterRef cluster = new ClusterRef(REGION, "pc-1");
    PolarDBBackupStatus status = new PolarDBBackupStatus();
    status.started("job-1", "req-1", clock.instant());
    timing.first(cluster, "uid-1", status, second.minusMillis(5), clock.instant());

    clock.set(Instant.parse("2030-01-01T00:00:17Z"));
    timing.learnFrom(cluster, List.of(job("job-1", "Uploading", 28, second)), clock.instant());
    status.jobStarted(second);
    status.progressed(28, "Uploading", "req-2", clock.instant());
    Duration wait = timing.next(cluster, "uid-1", status);

    Instant end = second.plus(MINUTE);
    assertTrue(
        timing.usual(cluster).orElseThrow().compareTo(MINUTE) >= 0,
        "learned " + timing.usual(cluster));
    assertTrue(
        !clock.instant().plus(wait).isBefore(end),
        "the look at the end comes at " + clock.instant().plus(wait) + ", before " + end);
  }

  @Test
  void theStartOfEveryListedManualJobIsKeptADayAfterItWasLastListed() {
    // The starts are not written to status on their own: the cluster's other backups match their
    // sets by them after the job has left the list, so they outlive the look that listed them.
    MutableClock clock = MutableClock.at("2030-01-01T00:00:30Z");
    Instant started = Instant.parse("2030-01-01T00:00:00Z");
    PollTiming timing = new PollTiming(clock, ControllerSettings.defaults());
    ClusterRef cluster = new ClusterRef(REGION, "pc-1");
    BackupTask automated =
        new BackupTask("job-auto", "Uploading", 50, "Automated", Optional.of(started), "Backup");
    timing.learnFrom(
        cluster, List.of(job("job-1", "Preparing", 10, started), automated), clock.instant());

    clock.advance(Duration.ofMinutes(5));
    timing.learnFrom(cluster, List.of(), clock.instant());
    assertEquals(Optional.of(started), timing.seenStart(cluster, "job-1"));
    assertEquals(Optional.empty(), timing.seenStart(cluster, "job-auto"), "only manual jobs");
    assertEquals(Optional.empty(), timing.seenStart(new ClusterRef(REGION, "pc-2"), "job-1"));

    clock.advance(Duration.ofDays(1));
    timing.learnFrom(cluster, List.of(), clock.instant());
    assertEquals(Optional.empty(), timing.seenStart(cluster, "job-1"), "a day after, forgotten");
    timing.learnFrom(cluster, List.of(job("job-2", "Preparing", 10, started)), clock.instant());
    timing.forget(cluster);
    assertEquals(Optional.empty(), timing.seenStart(cluster, "job-2"), "and with the cluster");
  }

  @Test
  void aLookIsPutOffForANeighbourDueSoonButNotForOneDueMuchLater() {
    MutableClock clock = MutableClock.at("2030-01-01T00:00:00Z");
    PollTiming timing = new PollTiming(clock, ControllerSettings.defaults());
    ClusterRef cluster = new ClusterRef(REGION, "pc-1");
    PolarDBBackupStatus first = new PolarDBBackupStatus();
    first.started("job-1", "req-1", clock.instant());
    assertEquals(
        Duration.ofSeconds(5), timing.first(cluster, "a", first, clock.instant(), clock.instant()));

    clock.set(Instant.parse("2030-01-01T00:00:04Z"));
    PolarDBBackupStatus second = new PolarDBBackupStatus();
    second.started("job-2", "req-2", clock.instant());
    timing.first(cluster, "b", second, clock.instant(), clock.instant());
    clock.set(Instant.parse("2030-01-01T00:00:05Z"));
    // a's look (due now) waits 4 s for b's, within the 12 s gather: one look for both.
    assertEquals(Optional.of(Duration.ofSeconds(4)), timing.notYet(cluster, "a"));

    clock.set(Instant.parse("2030-01-01T00:00:09Z"));
    assertEquals(Optional.empty(), timing.notYet(cluster, "a"));
    assertEquals(Optional.empty(), timing.notYet(cluster, "b"));
    // Another cluster's backups gather nothing with these.
    assertEquals(Optional.empty(), timing.notYet(new ClusterRef(REGION, "pc-2"), "a"));

    PolarDBBackupStatus late = new PolarDBBackupStatus();
    late.started("job-3", "req-3", Instant.parse("2030-01-01T00:00:30Z"));
    clock.set(Instant.parse("2030-01-01T00:00:30Z"));
    timing.first(cluster, "c", late, clock.instant(), clock.instant());
    clock.set(Instant.parse("2030-01-01T00:00:09Z"));
    // c is due 26 s after a: a does not wait for it.
    assertEquals(Optional.empty(), timing.notYet(cluster, "a"));
  }

  /** A manual job as DescribeBackupTasks lists it. */
  private static BackupTask job(String id, String phase, int percent, Instant started) {
    return new BackupTask(id, phase, percent, "Manual", Optional.of(started), "t");
  }

  /**
   * Starts a backup per uid, {@code apart} from each other, from the clock's time; their first
   * looks are due 5 s in.
   */
  private static void startApart(
      Duration apart, PollTiming timing, MutableClock clock, ClusterRef cluster, String... uids) {
    for (String uid : uids) {
      PolarDBBackupStatus status = new PolarDBBackupStatus();
      status.started("job-" + uid, "req-" + uid, clock.instant());
      timing.first(cluster, uid, status, clock.instant(), clock.instant());
      clock.set(clock.instant().plus(apart));
    }
  }

  @Test
  void looksDueOneAfterAnotherGatherInGroupsCountedFromTheFirst() {
    // Three backups of one cluster due 8 s apart, with the 12 s gather: a and b share b's look and
    // c looks alone. Counted from each look's own due instead, a would wait for b, b for c, and a
    // would look alone at b's due, having waited for nothing.
    MutableClock clock = MutableClock.at("2030-01-01T00:00:00Z");
    PollTiming timing = new PollTiming(clock, ControllerSettings.defaults());
    ClusterRef cluster = new ClusterRef(REGION, "pc-1");
    startApart(Duration.ofSeconds(8), timing, clock, cluster, "a", "b", "c");
    // First looks due at 5, 13 and 21 s.
    clock.set(Instant.parse("2030-01-01T00:00:05Z"));
    assertEquals(Optional.of(Duration.ofSeconds(8)), timing.notYet(cluster, "a"));
    clock.set(Instant.parse("2030-01-01T00:00:13Z"));
    assertEquals(Optional.empty(), timing.notYet(cluster, "a"));
    assertEquals(Optional.empty(), timing.notYet(cluster, "b"), "b looks with a, not after c");
    clock.set(Instant.parse("2030-01-01T00:00:21Z"));
    assertEquals(Optional.empty(), timing.notYet(cluster, "c"));
  }

  @Test
  void aLookLetGoAnswersForEveryBackupWhoseLookFellDueBeforeIt() {
    // a and b share b's look (due 13 s); c is due 8 s after b. a is let look first and its backup
    // ends there, so it leaves the cluster's plans. b must not then count its group from its own
    // due and wait on for c: the look a was let take answers for b too.
    MutableClock clock = MutableClock.at("2030-01-01T00:00:00Z");
    PollTiming timing = new PollTiming(clock, ControllerSettings.defaults());
    ClusterRef cluster = new ClusterRef(REGION, "pc-1");
    startApart(Duration.ofSeconds(8), timing, clock, cluster, "a", "b", "c");
    clock.set(Instant.parse("2030-01-01T00:00:13Z"));
    assertEquals(Optional.empty(), timing.notYet(cluster, "a"));
    timing.forget(cluster, "a");

    assertEquals(Optional.empty(), timing.notYet(cluster, "b"));
    clock.set(Instant.parse("2030-01-01T00:00:21Z"));
    assertEquals(Optional.empty(), timing.notYet(cluster, "c"));
  }

  @Test
  void aClustersBackupsStartedEveryFewSecondsShareTheirLooksTwoByTwo() throws Exception {
    // scripts/bench.sh 5000 200 60s in miniature: 25 one-minute backups a cluster, created 7.5 s
    // apart. A look at the sets serves two backups (the 12 s gather spans two ends), instead of
    // nearly one look per backup when each waited for the next (230 sets looks for 250 backups).
    Outcome bench = run(10, 25, Duration.ofMillis(750), MINUTE);

    long sets = bench.calls().get("DescribeBackups");
    assertTrue(sets <= 135, () -> "looks at the sets of 250 backups: " + bench.calls());
    // Up to 15 s for the first of a cluster's last looks, plus the margin and the first estimate's
    // overshoot.
    assertTrue(
        bench.latest().compareTo(Duration.ofSeconds(17)) <= 0,
        "the last was seen to end " + bench.latest() + " after it ended");
  }

  @Test
  void theClustersLastLooksGatherAQuarterLonger() {
    // Three backups 7 s apart: their first looks, due at 5, 12 and 19 s, are the cluster's last
    // and span 14 s, within 15 (the 12 s gather and a quarter): one group, at 19 s. Cut at 12 s,
    // c would look alone.
    MutableClock clock = MutableClock.at("2030-01-01T00:00:00Z");
    PollTiming timing = new PollTiming(clock, ControllerSettings.defaults());
    ClusterRef cluster = new ClusterRef(REGION, "pc-1");
    startApart(Duration.ofSeconds(7), timing, clock, cluster, "a", "b", "c");
    clock.set(Instant.parse("2030-01-01T00:00:05Z"));
    assertEquals(Optional.of(Duration.ofSeconds(14)), timing.notYet(cluster, "a"));

    // Only the last: once d is due 7 s after c, a's group is cut at 12 s again (a and b), and
    // c and d share d's look.
    clock.set(Instant.parse("2030-01-01T00:00:21Z"));
    startApart(Duration.ofSeconds(7), timing, clock, cluster, "d");
    clock.set(Instant.parse("2030-01-01T00:00:05Z"));
    assertEquals(Optional.of(Duration.ofSeconds(7)), timing.notYet(cluster, "a"));
    clock.set(Instant.parse("2030-01-01T00:00:19Z"));
    assertEquals(Optional.of(Duration.ofSeconds(7)), timing.notYet(cluster, "c"));
  }

  @Test
  void theBenchmarkShapeSpreadOverFourteenSecondsStillCostsOneLookOfEachKind() throws Exception {
    // scripts/bench.sh 1000 200 60s as this machine creates it: a cluster's five backups 3.5 s
    // apart, 14 s from first to last. Cut at the 12 s gather, the last of each cluster would look
    // alone at the jobs and at the sets (40 and 40 looks); as the cluster's last looks they gather
    // with the others.
    Outcome bench = run(20, 5, Duration.ofMillis(175), MINUTE);

    assertEquals(20L, bench.calls().get("DescribeBackupTasks"), () -> "" + bench.calls());
    assertEquals(20L, bench.calls().get("DescribeBackups"), () -> "" + bench.calls());
    // The first of a cluster waits for the last (14 s), plus the margin and the first estimate's
    // overshoot.
    assertTrue(
        bench.latest().compareTo(Duration.ofSeconds(18)) <= 0,
        "the first was seen to end " + bench.latest() + " after it ended");
  }
}
