package dev.polardbbackup.polardb;

import java.time.Instant;
import java.util.Optional;

/**
 * One backup job from {@code DescribeBackupTasks}. PolarDB jobs carry no failure state: a job that
 * is {@code Finished} or no longer listed has ended, and DescribeBackups tells how.
 */
public record BackupTask(
    String backupJobId,
    String progressStatus,
    int progressPercent,
    String jobMode,
    Optional<Instant> startTime,
    String taskAction) {

  public boolean finished() {
    return "Finished".equals(progressStatus);
  }
}
