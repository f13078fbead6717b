package dev.polardbbackup.backup;

import dev.polardbbackup.model.PolarDBBackupStatus;
import dev.polardbbackup.polardb.BackupTask;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * When a running backup looks at its cluster again. This is what keeps PolarDB calls near one look
 * of each kind per cluster and burst of backups:
 *
 * <ul>
 *   <li>Each backup aims its look at its expected end, from the cluster's usual duration: learned
 *       from the tightest bound that the jobs past their early stages give in a look at the
 *       cluster's jobs, and from the backups it has finished. Until one is known, it looks after
 *       pollMin to learn it.
 *   <li>Looks of one cluster gather: the looks wanted, in order of due time, fall into groups that
 *       each span at most {@code lookGather} from their first, and a group's members look together
 *       at its last due. This is the price in lateness paid for fewer calls. The cluster's last
 *       looks (none wanted after them) are one group if they span at most a quarter more: cut off
 *       there, a straggler would look alone, where within a run of looks it joins the next group.
 *   <li>Never a look sooner than pollMin after the last, nor later than pollMax: a wrong estimate
 *       costs at most pollMax of lateness.
 * </ul>
 *
 * It also keeps PolarDB's start of each manual job that a look at the cluster's jobs listed: the
 * starts are not written to status on their own, and the other backups of the cluster match their
 * sets by them ({@link MatchPhase}).
 *
 * <p>What is learned lives in this process only: after a restart, the first look of each backup
 * learns it again.
 */
final class PollTiming {
  // Looked-for end plus this: a look just before the end would cost one more.
  private static final Duration POLL_MARGIN = Duration.ofSeconds(1);
  private static final Duration MAX_SHARED_AGE = Duration.ofSeconds(30);
  // Below this, progress is in its early stages (NoStart, Preparing): an estimate from it runs
  // long.
  static final int TRUSTED_PROGRESS = 20;
  // A timer may fire this much early, or a neighbour's look be this much older than planned, and
  // still count as the planned look.
  private static final Duration TIMER_SLACK = Duration.ofMillis(500);
  // A due more than this in the past belongs to a backup no longer followed (deleted meanwhile).
  private static final Duration STALE_DUE = Duration.ofMinutes(1);
  // A job's start is kept this long after it was last listed: its backup is matched at its end.
  private static final Duration STARTS_KEPT = Duration.ofDays(1);

  private final Clock clock;
  private final Duration pollMin;
  private final Duration pollMax;
  private final Duration gather;
  private final Duration lastGather;
  private final Map<ClusterRef, Pace> paces = new ConcurrentHashMap<>();

  /**
   * A cluster's usual backup duration, if learned, with the progress it was learned from (100 for a
   * finished backup), and the next look each followed backup wants.
   */
  private static final class Pace {
    Duration usual;
    int learnedAt;
    final Map<String, Plan> dues = new HashMap<>();
    // When CreateBackup was sent and answered, by job id: PolarDB's start, in whole seconds, lies
    // between the two.
    final Map<String, Sent> calls = new HashMap<>();
    // PolarDB's start of each manual job listed, by job id, with when it was last listed.
    final Map<String, Seen> starts = new HashMap<>();
    // When a backup of the cluster was last let look ({@link #notYet}).
    Instant lookLetAt;
  }

  private record Seen(Instant start, Instant listedAt) {}

  /** When the CreateBackup that made a job was sent and when its reply came. */
  private record Sent(Instant at, Instant repliedAt) {}

  /**
   * A backup's next look: when it is due, when that was planned, and whether it was planned after a
   * look (not when the backup started).
   */
  private record Plan(
      Instant due, Instant plannedAt, boolean afterLook, boolean atEnd, String jobId) {}

  PollTiming(Clock clock, ControllerSettings settings) {
    this.clock = clock;
    this.pollMin = settings.pollMin();
    this.pollMax = settings.pollMax();
    this.gather = settings.lookGather();
    this.lastGather = gather.plus(gather.dividedBy(4));
  }

  /**
   * The first look after a CreateBackup sent at {@code sentAt} that PolarDB accepted at {@code
   * repliedAt}: at the expected end when the cluster's usual duration is known, else after pollMin
   * (to learn it); gathered with the cluster's others.
   */
  Duration first(
      ClusterRef cluster,
      String uid,
      PolarDBBackupStatus status,
      Instant sentAt,
      Instant repliedAt) {
    Instant now = clock.instant();
    Pace pace = paces.computeIfAbsent(cluster, c -> new Pace());
    synchronized (pace) {
      pace.calls.put(status.getBackupJobId(), new Sent(sentAt, repliedAt));
    }
    Optional<Instant> end =
        usual(cluster)
            .map(d -> endOf(cluster, status, d))
            .filter(e -> e.isAfter(now.plus(pollMin)));
    // Never later than pollMax: such a look is for the jobs' progress, not the end look.
    boolean atEnd = end.filter(e -> !e.isAfter(now.plus(pollMax))).isPresent();
    Instant due = end.map(e -> atEnd ? e : now.plus(pollMax)).orElse(now.plus(pollMin));
    return plan(cluster, uid, status.getBackupJobId(), due, false, atEnd);
  }

  /**
   * After a look that saw the job unfinished: just after the end that the cluster's usual duration
   * predicts, never sooner than pollMin nor later than pollMax. Without one, the wait is the time
   * the job has run so far (looks double in spacing and lateness stays bounded). At 100% the end is
   * due.
   */
  Duration next(ClusterRef cluster, String uid, PolarDBBackupStatus status) {
    Instant now = clock.instant();
    Optional<Duration> usual = usual(cluster);
    Duration wait =
        usual
            .map(d -> Duration.between(now, endOf(cluster, status, d)))
            .orElse(Duration.between(start(cluster, status), now));
    if (Optional.ofNullable(status.getProgress()).orElse(0) >= 100) {
      wait = pollMin;
    }
    if (wait.compareTo(pollMin) < 0) {
      wait = pollMin;
    }
    // A look put off by pollMax is not the end look: it is for the jobs' progress.
    boolean atEnd = usual.isPresent() && wait.compareTo(pollMax) <= 0;
    if (wait.compareTo(pollMax) > 0) {
      wait = pollMax;
    }
    return plan(cluster, uid, status.getBackupJobId(), now.plus(wait), true, atEnd);
  }

  /**
   * Learns the cluster's usual duration from a look at its jobs that PolarDB answered at {@code
   * answeredAt}: the tightest bound on it that the jobs past their early stages give (in those,
   * progress says little). Progress is rounded down, so a job at p% that has run t since the
   * earliest start it can have had takes at most t × 100 / p, and a look aimed by the least of
   * these does not come before the end, if the cluster's backups take equally long. The jobs this
   * process started are preferred (it knows their starts to the reply's latency, and they are the
   * kind of backup it follows); a DBA's counts when none of ours is far enough along. A duration
   * learned from further along, or from a finished backup, stays.
   */
  void learnFrom(ClusterRef cluster, List<BackupTask> jobs, Instant answeredAt) {
    remember(cluster, jobs, answeredAt);
    List<BackupTask> trusted =
        jobs.stream()
            .filter(t -> !t.finished() && t.startTime().isPresent())
            .filter(t -> t.progressPercent() >= TRUSTED_PROGRESS && t.progressPercent() < 100)
            .toList();
    List<BackupTask> ours =
        trusted.stream().filter(t -> sent(cluster, t.backupJobId()).isPresent()).toList();
    List<BackupTask> bounding = ours.isEmpty() ? trusted : ours;
    Optional<Duration> bound =
        bounding.stream()
            .map(t -> atMost(cluster, t, answeredAt))
            .filter(d -> d.compareTo(Duration.ZERO) > 0)
            .min(Comparator.naturalOrder());
    int furthest = bounding.stream().mapToInt(BackupTask::progressPercent).max().orElse(0);
    bound.ifPresent(d -> learn(cluster, d, furthest));
  }

  /** The longest that {@code job} can take, by its progress when PolarDB answered. */
  private Duration atMost(ClusterRef cluster, BackupTask job, Instant answeredAt) {
    Instant started = earliestStart(cluster, job.backupJobId(), job.startTime().get());
    return Duration.between(started, answeredAt).multipliedBy(100).dividedBy(job.progressPercent());
  }

  /** Keeps the starts of the manual jobs that a look taken at {@code lookedAt} lists. */
  private void remember(ClusterRef cluster, List<BackupTask> jobs, Instant lookedAt) {
    Pace pace = paces.computeIfAbsent(cluster, c -> new Pace());
    synchronized (pace) {
      jobs.stream()
          .filter(t -> !"Automated".equalsIgnoreCase(t.jobMode()))
          .forEach(
              t ->
                  t.startTime()
                      .ifPresent(at -> pace.starts.put(t.backupJobId(), new Seen(at, lookedAt))));
      pace.starts.values().removeIf(seen -> seen.listedAt().isBefore(lookedAt.minus(STARTS_KEPT)));
    }
  }

  /** PolarDB's start of job {@code jobId}, if a look at the cluster's jobs listed it. */
  Optional<Instant> seenStart(ClusterRef cluster, String jobId) {
    return Optional.ofNullable(
        read(
            cluster,
            null,
            pace -> Optional.ofNullable(pace.starts.get(jobId)).map(Seen::start).orElse(null)));
  }

  /**
   * When a timer fires: how much longer to wait for a neighbour's look that will serve this backup
   * too, or empty when the look is due now. A backup that has no look planned (this process has
   * just started) looks now, and so does one whose look fell due before a backup of the cluster was
   * let look: that look answers for it too (its group's others must not wait on for a group that
   * its first members have left, finished).
   */
  Optional<Duration> notYet(ClusterRef cluster, String uid) {
    Instant now = clock.instant();
    return read(
        cluster,
        Optional.empty(),
        pace -> {
          Plan own = pace.dues.get(uid);
          if (own == null
              || (pace.lookLetAt != null
                  && !pace.lookLetAt.isBefore(own.due().minus(TIMER_SLACK)))) {
            return Optional.empty();
          }
          Duration wait = Duration.between(now, gathered(pace, own));
          if (wait.compareTo(TIMER_SLACK) > 0) {
            return Optional.of(wait);
          }
          pace.lookLetAt = now;
          return Optional.empty();
        });
  }

  /** Whether this backup's look now is the one planned for its expected end. */
  boolean endExpected(ClusterRef cluster, String uid) {
    Plan plan = read(cluster, null, pace -> pace.dues.get(uid));
    return plan != null && plan.atEnd() && !plan.due().minus(TIMER_SLACK).isAfter(clock.instant());
  }

  /**
   * A finished backup's duration, as PolarDB reports its start and end: the cluster's usual one.
   */
  void finished(ClusterRef cluster, String uid, PolarDBBackupStatus status, Optional<Instant> end) {
    Optional<Instant> start = Optional.ofNullable(status.getJobStartTime()).map(Instant::parse);
    if (start.isPresent() && end.isPresent() && end.get().isAfter(start.get())) {
      learn(cluster, Duration.between(start.get(), end.get()), 100);
    }
    forget(cluster, uid);
  }

  /** The backup is no longer followed (finished, failed, or deleted). */
  void forget(ClusterRef cluster, String uid) {
    read(
        cluster,
        null,
        pace -> {
          Plan plan = pace.dues.remove(uid);
          return plan == null ? null : pace.calls.remove(plan.jobId());
        });
  }

  /** The cluster has no backup left in this process. */
  void forget(ClusterRef cluster) {
    paces.remove(cluster);
  }

  Optional<Duration> usual(ClusterRef cluster) {
    return Optional.ofNullable(read(cluster, null, pace -> pace.usual));
  }

  /**
   * {@code read} applied to the cluster's pace under its lock, or {@code absent} when this process
   * keeps none for the cluster.
   */
  private <T> T read(ClusterRef cluster, T absent, Function<Pace, T> read) {
    Pace pace = paces.get(cluster);
    if (pace == null) {
      return absent;
    }
    synchronized (pace) {
      return read.apply(pace);
    }
  }

  /**
   * Learns a duration estimated at {@code progress}: it replaces the one known unless that came
   * from further along (a finished backup's duration always replaces: the latest is the best guess
   * for the next).
   */
  private void learn(ClusterRef cluster, Duration duration, int progress) {
    Pace pace = paces.computeIfAbsent(cluster, c -> new Pace());
    synchronized (pace) {
      if (pace.usual == null || progress >= pace.learnedAt || progress == 100) {
        pace.usual = duration;
        pace.learnedAt = progress;
      }
    }
  }

  /**
   * Plans this backup's look for {@code due}, and returns the wait until its gathered time: the
   * latest look wanted by the cluster's backups that is due at most {@code lookGather} after this
   * one's, so that one look answers for all of them.
   */
  private Duration plan(
      ClusterRef cluster, String uid, String jobId, Instant due, boolean afterLook, boolean atEnd) {
    Pace pace = paces.computeIfAbsent(cluster, c -> new Pace());
    Instant at;
    synchronized (pace) {
      Plan own = new Plan(due, clock.instant(), afterLook, atEnd, jobId);
      pace.dues.put(uid, own);
      at = gathered(pace, own);
    }
    Duration wait = Duration.between(clock.instant(), at);
    return wait.isNegative() ? Duration.ZERO : wait;
  }

  /**
   * When {@code own}'s look is taken: the cluster's wanted looks, in order of due time, are cut
   * into groups, each from its first due to the last one due within {@code lookGather} of that
   * first, and every look of a group is taken at the group's last due. Counted from the group's
   * first due, not from each look's own, so that every member computes the same time (a chain of
   * looks each due just within the gather of the one before would otherwise have each wait for the
   * next, and none share), and no look waits longer than {@code lookGather}. The cluster's last
   * looks are one group if they span at most a quarter more: at the end of a burst a look cut off
   * would serve itself alone. A backup that started since is waited for (its first look is the one
   * that lists all of them), but one whose look was planned after a look taken since {@code own}
   * fell due is not: that look answers for this one too.
   */
  private Instant gathered(Pace pace, Plan own) {
    Instant stale = clock.instant().minus(STALE_DUE);
    pace.dues.values().removeIf(d -> d.due().isBefore(stale));
    List<Instant> dues =
        pace.dues.values().stream()
            .filter(d -> d == own || !d.afterLook() || d.plannedAt().isBefore(own.due()))
            .map(Plan::due)
            .sorted()
            .toList();
    Instant last = dues.isEmpty() ? own.due() : dues.get(dues.size() - 1);
    Instant groupEnd = null;
    Instant at = null;
    for (Instant due : dues) {
      if (at != null && due.isAfter(groupEnd)) {
        if (!own.due().isAfter(at)) {
          return at;
        }
        at = null;
      }
      if (at == null) {
        groupEnd = due.plus(gather);
        // The cluster's last looks: one group, if they fit in a quarter more.
        if (!last.isAfter(due.plus(lastGather))) {
          groupEnd = last;
        }
      }
      at = due;
    }
    return at == null || at.isBefore(own.due()) ? own.due() : at;
  }

  /**
   * The oldest DescribeBackupTasks look that may answer for this backup: one taken at or after the
   * time its look was planned for (a neighbour's look, gathered with it, is one), and within
   * pollMin, or a quarter of the time the backup has run (up to 30 s), whichever is longer; a
   * backup looked at every 40 s loses little by reading a look taken 10 s earlier for its
   * neighbour. Never one taken before the job existed: startTime has whole seconds, so the job was
   * made before startTime + 1 s.
   */
  Instant oldestUsableTasksLook(ClusterRef cluster, String uid, PolarDBBackupStatus status) {
    Duration quarter = elapsed(status).dividedBy(4);
    if (quarter.compareTo(MAX_SHARED_AGE) > 0) {
      quarter = MAX_SHARED_AGE;
    }
    Duration age = quarter.compareTo(pollMin) > 0 ? quarter : pollMin;
    Instant oldest = latest(clock.instant().minus(age), planned(cluster, uid));
    Instant jobMade = status.startInstant().map(t -> t.plusSeconds(1)).orElse(Instant.MIN);
    return latest(oldest, jobMade);
  }

  /**
   * The oldest DescribeBackups look that may tell how this backup's set came out: within pollMin,
   * and at or after the time its look was planned for.
   */
  Instant oldestUsableSetsLook(ClusterRef cluster, String uid) {
    return latest(clock.instant().minus(pollMin), planned(cluster, uid));
  }

  /** When this backup's look was planned for, before gathering; the epoch when there is no plan. */
  private Instant planned(ClusterRef cluster, String uid) {
    Plan plan = read(cluster, null, pace -> pace.dues.get(uid));
    return plan == null ? Instant.EPOCH : plan.due().minus(TIMER_SLACK);
  }

  private static Instant latest(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }

  private static Instant earliest(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }

  private Instant endOf(ClusterRef cluster, PolarDBBackupStatus status, Duration duration) {
    return start(cluster, status).plus(duration).plus(POLL_MARGIN);
  }

  private Duration elapsed(PolarDBBackupStatus status) {
    Instant now = clock.instant();
    Duration elapsed = Duration.between(status.jobStartInstant().orElse(now), now);
    return elapsed.isNegative() ? Duration.ZERO : elapsed;
  }

  /**
   * When the job of {@code status} started, as well as it is known; the latest it can have been, so
   * that an end aimed from it is not early.
   */
  private Instant start(ClusterRef cluster, PolarDBBackupStatus status) {
    Optional<Instant> polarDb = Optional.ofNullable(status.getJobStartTime()).map(Instant::parse);
    if (polarDb.isPresent()) {
      return latestStart(cluster, status.getBackupJobId(), polarDb.get());
    }
    return sent(cluster, status.getBackupJobId())
        .map(Sent::repliedAt)
        .or(status::startInstant)
        .orElse(clock.instant());
  }

  /**
   * The latest a job that PolarDB says started at {@code second} (whole seconds) can have started:
   * when CreateBackup answered, if this process sent it, else the middle of that second.
   */
  private Instant latestStart(ClusterRef cluster, String jobId, Instant second) {
    return sentWithin(cluster, jobId, second)
        .map(s -> earliest(s.repliedAt(), second.plusSeconds(1)))
        .orElse(second.plusMillis(500));
  }

  /**
   * The earliest a job that PolarDB says started at {@code second} (whole seconds) can have
   * started: when CreateBackup was sent, if this process sent it, else the second itself.
   */
  private Instant earliestStart(ClusterRef cluster, String jobId, Instant second) {
    return sentWithin(cluster, jobId, second).map(s -> latest(s.at(), second)).orElse(second);
  }

  /** This process's CreateBackup for the job, if its call overlaps {@code second}. */
  private Optional<Sent> sentWithin(ClusterRef cluster, String jobId, Instant second) {
    return sent(cluster, jobId)
        .filter(s -> !s.repliedAt().isBefore(second) && s.at().isBefore(second.plusSeconds(1)));
  }

  private Optional<Sent> sent(ClusterRef cluster, String jobId) {
    return Optional.ofNullable(read(cluster, null, pace -> pace.calls.get(jobId)));
  }
}
