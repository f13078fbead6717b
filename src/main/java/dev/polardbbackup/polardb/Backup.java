package dev.polardbbackup.polardb;

import java.time.Instant;
import java.util.Optional;

/**
 * One backup set from {@code DescribeBackups}. Only {@code Success} and {@code Failed} are
 * documented statuses; anything else counts as not finished.
 */
public record Backup(
    String backupId,
    String dbClusterId,
    String backupStatus,
    String backupMode,
    Optional<Instant> startTime,
    Optional<Instant> endTime,
    Optional<Long> backupSetSize,
    Optional<Instant> consistentTime) {

  public boolean succeeded() {
    return "Success".equals(backupStatus);
  }

  public boolean failed() {
    return "Failed".equals(backupStatus);
  }

  public boolean finished() {
    return succeeded() || failed();
  }

  public boolean manual() {
    return "Manual".equals(backupMode);
  }
}
