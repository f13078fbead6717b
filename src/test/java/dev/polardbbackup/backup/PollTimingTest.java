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
    final PolarDBBackupStatus status = new PolarDBBackupStatus();
    Instant due;

    Followed(String cluster, Instant createAt) {
      this.cluster = cluster;
      this.createAt = createAt;
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
      ControllerSettings settings = ControllerSettings.defaults();
      PollTiming timing = new PollTiming(clock, settings);
      ClusterObservations observations = new ClusterObservations(clock);

      PriorityQueue<Followed> queue =
          new PriorityQueue<>(Comparator.comparing((Followed f) -> f.due));
      Instant first = clock.instant();
      for (int i = 0; i < clusters * perCluster; i++) {
        queue.add(new Followed("pc-poll" + (i % clusters), first.plus(spacing.multipliedBy(i))));
      }
      List<Duration> lateness = new ArrayList<>();
      Duration shortestWait = Duration.ofDays(1);
      Duration longestWait = Duration.ZERO;
      while (!queue.isEmpty()) {
        Followed f = queue.poll();
        clock.set(f.due);
        Optional<Duration> next = step(f, polarDb, timing, observations, emulator, lateness);
        if (next.isPresent()) {
          shortestWait = next.get().compareTo(shortestWait) < 0 ? next.get() : shortestWait;
          longestWait = next.get().compareTo(longestWait) > 0 ? next.get() : longestWait;
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

  /** One reconcile of a backup: its next wait, or empty once its set was seen to have ended. */
  private static Optional<Duration> step(
      Followed f,
      PolarDbClient polarDb,
      PollTiming timing,
      ClusterObservations observations,
      PolarDbEmulator emulator,
      List<Duration> lateness) {
    Instant now = f.due;
    PolarDBBackupStatus status = f.status;
    if (status.getBackupJobId() == null) {
      ApiResult<String> created = polarDb.createBackup(f.cluster, "token-" + f.createAt);
      assertTrue(created.isOk(), () -> "CreateBackup: " + created);
      status.started(created.value(), "r", now);
      return Optional.of(timing.first());
    }
    String jobId = status.getBackupJobId();
    ApiResult<List<BackupTask>> tasks =
        observations.look(
            new ClusterObservations.Key(
                new ClusterRef("cn-hangzhou", f.cluster), "tasks", "operator"),
            timing.oldestUsableTasksLook(status),
            () -> polarDb.describeBackupTasks(f.cluster, Optional.empty()));
    assertTrue(tasks.isOk(), () -> "DescribeBackupTasks: " + tasks);
    Optional<BackupTask> task =
        tasks.value().stream().filter(t -> jobId.equals(t.backupJobId())).findFirst();
    task.flatMap(BackupTask::startTime).ifPresent(status::jobStarted);
    if (task.isPresent() && !task.get().finished()) {
      status.progressed(task.get().progressPercent(), task.get().progressStatus(), "r", now);
      return Optional.of(timing.next(status));
    }
    ApiResult<List<Backup>> sets =
        observations.look(
            new ClusterObservations.Key(
                new ClusterRef("cn-hangzhou", f.cluster), "backups", "operator"),
            timing.oldestUsableSetsLook(),
            () ->
                polarDb.describeAllBackups(
                    DescribeBackupsQuery.manual(
                        f.cluster, now.minus(Duration.ofDays(7)), now.plus(MINUTE))));
    assertTrue(sets.isOk(), () -> "DescribeBackups: " + sets);
    // Which set is ours is BackupSetLocator's business (BackupSetLocatorTest); here the ledger
    // says.
    String ours =
        emulator.ledger().backups().stream()
            .filter(b -> b.backupJobId().equals(jobId))
            .map(BackupRecord::backupId)
            .findFirst()
            .orElseThrow();
    Optional<Backup> set =
        sets.value().stream()
            .filter(b -> b.backupId().equals(ours) && "Success".equals(b.backupStatus()))
            .findFirst();
    if (set.isEmpty()) {
      return Optional.of(timing.next(status));
    }
    lateness.add(Duration.between(set.get().endTime().orElseThrow(), now));
    return Optional.empty();
  }

  @Test
  void aLoneOneMinuteBackupIsSeenToEndWithinFiveSecondsForFiveLooks() throws Exception {
    Outcome lone = run(1, 1, Duration.ZERO, MINUTE);

    // Looks at about 5, 10 and 20 s (the spacing doubles while it is shorter than the estimate),
    // then just after the end that the progress predicts, then the set.
    assertEquals(1L, lone.calls().get("CreateBackup"));
    assertEquals(5L, lone.looks(), "looks for one backup: " + lone.calls());
    assertTrue(
        lone.latest().compareTo(Duration.ofSeconds(5)) <= 0,
        "seen to end " + lone.latest() + " after it ended");
  }

  @Test
  void backupsOfOneClusterStartedTogetherCostTheLooksOfOne() throws Exception {
    Outcome lone = run(1, 1, Duration.ZERO, MINUTE);
    // Five backups created within 4 s, as a burst of kubectl applies gives them.
    Outcome burst = run(1, 5, Duration.ofMillis(800), MINUTE);

    assertEquals(5L, burst.calls().get("CreateBackup"));
    assertEquals(
        lone.looks(),
        burst.looks(),
        "five backups of one cluster against one alone: " + burst.calls());
    assertTrue(
        burst.latest().compareTo(Duration.ofSeconds(10)) <= 0,
        "the last was seen to end " + burst.latest() + " after it ended");
  }

  @Test
  void theBenchmarkShapeCostsAtMostTwoAndAHalfLooksPerBackup() throws Exception {
    // scripts/bench.sh 1000 200 60s in miniature: five one-minute backups a cluster, created one
    // after the other across the clusters, 100 ms apart, so that a cluster's five start 2 s apart
    // and share some looks but not all. Measured: 113 DescribeBackupTasks and 41 DescribeBackups
    // for 100 backups (2.54 calls per backup with the CreateBackup), the last seen 25 s late.
    Outcome bench = run(20, 5, Duration.ofMillis(100), MINUTE);

    assertEquals(100L, bench.calls().get("CreateBackup"));
    assertTrue(bench.looks() <= 160, bench.looks() + " looks for 100 backups: " + bench.calls());
    assertTrue(
        bench.shortestWait().compareTo(Duration.ofSeconds(5)) >= 0,
        "a backup looked again after " + bench.shortestWait() + ", sooner than pollMin");
    // The design's bound on lateness: a look is never put off longer than the backup has run, so
    // an end is seen within about half the backup's duration.
    assertTrue(
        bench.latest().compareTo(Duration.ofSeconds(30)) <= 0,
        "the last was seen to end " + bench.latest() + " after it ended");
  }

  @Test
  void aLongBackupIsLookedAtEveryPollMaxOnceItHasRunThatLong() throws Exception {
    Outcome hour = run(1, 1, Duration.ZERO, Duration.ofHours(1));

    // Doubling from 5 s up to the 2-minute cap (5 looks), then one per 2 minutes for the rest of
    // the hour (29), then the set: 35 measured. Never more often, and never later than pollMax.
    assertTrue(hour.looks() <= 36, "looks for a one-hour backup: " + hour.calls());
    // pollMax, rounded up to the 5 s grid.
    assertTrue(
        hour.longestWait().compareTo(Duration.ofMinutes(2).plusSeconds(5)) <= 0,
        "waited " + hour.longestWait() + " between two looks");
    assertTrue(
        hour.latest().compareTo(Duration.ofMinutes(2)) <= 0,
        "seen to end " + hour.latest() + " after it ended");
  }

  @Test
  void aBackupAboutToEndIsStillLookedAtNoSoonerThanPollMin() {
    // Half a second past a grid line; the job has run 100 s and reports 99%: the end is due in
    // about 2 s, sooner than pollMin (5 s). Rounded up to the grid alone, the wait would be 4.5 s.
    MutableClock clock = MutableClock.at("2030-01-01T00:01:40.500Z");
    Instant started = Instant.parse("2030-01-01T00:00:00.500Z");
    PolarDBBackupStatus status = new PolarDBBackupStatus();
    status.started("job-1", "req-1", started);
    status.jobStarted(started);
    status.progressed(99, "Running", "req-2", clock.instant());

    Duration wait = new PollTiming(clock, ControllerSettings.defaults()).next(status);

    // pollMin, then up to the next grid line: 5 s later is 0.5 s past one, so 9.5 s.
    assertEquals(Duration.ofMillis(9500), wait);
  }
}
