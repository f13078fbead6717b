package dev.polardbbackup.emulator;

import java.time.Duration;
import java.time.Instant;

/**
 * One manual backup. Its progress is not stored but derived from the clock: a backup started at
 * {@code createdAt} runs for {@code duration}, then ends as Success, or Failed when its cluster was
 * set to fail. Only {@code deleted} and {@code detached} ever change, under the emulator's lock.
 */
final class Backup {
  static final String RUNNING = "Running";
  static final String SUCCESS = "Success";
  static final String FAILED = "Failed";

  final String backupId;
  final String backupJobId;
  final String dbClusterId;
  final String clientToken;
  final BackupRecord.Origin origin;
  final Instant createdAt;
  final Duration duration;
  final String failureReason;
  // A status PolarDB does not document, shown once the backup has ended (null: Success or Failed).
  final String endStatus;
  final long setSize;
  private boolean deleted;
  private boolean detached;

  Backup(
      String backupId,
      String backupJobId,
      String dbClusterId,
      String clientToken,
      BackupRecord.Origin origin,
      Instant createdAt,
      Duration duration,
      String failureReason,
      String endStatus,
      long setSize) {
    this.backupId = backupId;
    this.backupJobId = backupJobId;
    this.dbClusterId = dbClusterId;
    this.clientToken = clientToken;
    this.origin = origin;
    this.createdAt = createdAt;
    this.duration = duration;
    this.failureReason = failureReason;
    this.endStatus = endStatus;
    this.setSize = setSize;
  }

  Instant endsAt() {
    return createdAt.plus(duration);
  }

  boolean done(Instant now) {
    return !now.isBefore(endsAt());
  }

  String status(Instant now) {
    if (!done(now)) {
      return RUNNING;
    }
    if (endStatus != null) {
      return endStatus;
    }
    return failureReason == null ? SUCCESS : FAILED;
  }

  /** Elapsed fraction of the duration, 0 to 1. */
  double fraction(Instant now) {
    if (done(now)) {
      return 1.0;
    }
    long elapsed = Duration.between(createdAt, now).toMillis();
    return Math.max(0.0, (double) elapsed / Math.max(1, duration.toMillis()));
  }

  /**
   * The job phases PolarDB reports, by elapsed share: a job that started a moment ago has not
   * started yet, most of the time goes to uploading, and it only reads Finished once the backup set
   * has its final status.
   */
  String progressStatus(Instant now) {
    double f = fraction(now);
    if (f >= 1.0) {
      return "Finished";
    } else if (f < 0.05) {
      return "NoStart";
    } else if (f < 0.15) {
      return "Preparing";
    } else if (f < 0.25) {
      return "Waiting";
    } else if (f < 0.9) {
      return "Uploading";
    }
    return "Checking";
  }

  int percent(Instant now) {
    return (int) Math.floor(fraction(now) * 100);
  }

  boolean deleted() {
    return deleted;
  }

  void delete() {
    deleted = true;
  }

  /** Kept after its cluster was deleted (retention ALL or LATEST): no longer the cluster's. */
  boolean detached() {
    return detached;
  }

  void detach() {
    detached = true;
  }

  BackupRecord record(Instant now) {
    return new BackupRecord(
        backupId,
        backupJobId,
        dbClusterId,
        clientToken,
        origin,
        createdAt,
        status(now),
        deleted,
        detached);
  }
}
