package dev.polardbbackup.backup;

import dev.polardbbackup.model.PolarDBBackupStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * When a running backup looks at its cluster again, and how old a look taken for a neighbour may be
 * and still answer for it. This is what keeps PolarDB calls near two or three per backup: looks
 * land on a shared grid so backups of one cluster share them, and the spacing follows the reported
 * progress but never exceeds the time the backup has already run, so lateness stays bounded.
 */
final class PollTiming {
  // Looked-for end plus this: a look just before the end would cost one more.
  private static final Duration POLL_MARGIN = Duration.ofSeconds(1);
  private static final Duration MAX_SHARED_AGE = Duration.ofSeconds(30);

  private final Clock clock;
  private final Duration pollMin;
  private final Duration pollMax;

  PollTiming(Clock clock, ControllerSettings settings) {
    this.clock = clock;
    this.pollMin = settings.pollMin();
    this.pollMax = settings.pollMax();
  }

  /** The first look after PolarDB accepted a CreateBackup: pollMin later, on the shared grid. */
  Duration first() {
    return onGrid(pollMin);
  }

  /**
   * When to look again: just after the reported progress says the backup will end, but never later
   * than the time the backup has already run (so looks at least double in spacing and lateness
   * stays bounded), never sooner than pollMin nor later than pollMax. At 100% the end is due.
   */
  Duration next(PolarDBBackupStatus status) {
    Duration elapsed = elapsed(status);
    int progress = Optional.ofNullable(status.getProgress()).orElse(0);
    Duration wait;
    if (progress >= 100) {
      wait = pollMin;
    } else if (progress <= 0) {
      wait = elapsed;
    } else {
      // Early stages (NoStart, Preparing) report little progress, so an estimate from them runs
      // long: never wait longer than the backup has run so far, which bounds the lateness to
      // about half the backup's duration even when the estimate is wrong.
      Duration estimate =
          elapsed.multipliedBy(100 - progress).dividedBy(progress).plus(POLL_MARGIN);
      wait = estimate.compareTo(elapsed) < 0 ? estimate : elapsed;
    }
    if (wait.compareTo(pollMin) < 0) {
      wait = pollMin;
    }
    if (wait.compareTo(pollMax) > 0) {
      wait = pollMax;
    }
    return onGrid(wait);
  }

  /**
   * The oldest DescribeBackupTasks look that may answer for this backup: one taken within pollMin,
   * or a quarter of the time the backup has run (up to 30 s), whichever is longer; a backup looked
   * at every 40 s loses little by reading a look taken 10 s earlier for its neighbour. Never one
   * taken before the job existed: startTime has whole seconds, so the job was made before startTime
   * + 1 s.
   */
  Instant oldestUsableTasksLook(PolarDBBackupStatus status) {
    Duration quarter = elapsed(status).dividedBy(4);
    if (quarter.compareTo(MAX_SHARED_AGE) > 0) {
      quarter = MAX_SHARED_AGE;
    }
    Duration age = quarter.compareTo(pollMin) > 0 ? quarter : pollMin;
    Instant oldest = clock.instant().minus(age);
    Instant jobMade = status.startInstant().map(t -> t.plusSeconds(1)).orElse(Instant.MIN);
    return oldest.isAfter(jobMade) ? oldest : jobMade;
  }

  /** The oldest DescribeBackups look that may tell how an ended job's backup set came out. */
  Instant oldestUsableSetsLook() {
    return clock.instant().minus(pollMin);
  }

  private Duration elapsed(PolarDBBackupStatus status) {
    Instant now = clock.instant();
    return Duration.between(status.jobStartInstant().orElse(now), now);
  }

  /**
   * Rounds a wait up so that it ends on a multiple of pollMin since the epoch: backups of one
   * cluster that are due at about the same time then look at the same moment, and share the look.
   */
  private Duration onGrid(Duration wait) {
    long grid = pollMin.toMillis();
    long due = clock.millis() + wait.toMillis();
    long aligned = ((due + grid - 1) / grid) * grid;
    return Duration.ofMillis(aligned - clock.millis());
  }
}
