package dev.polardbbackup.polardb;

import java.time.Instant;
import java.util.Optional;

/**
 * Parameters of {@code DescribeBackups}. The window is required by the API and has minute
 * precision; the client widens it to whole minutes so that nothing at its edges is missed.
 *
 * @param pageSize 30, 50 or 100 (the only values the API accepts)
 */
public record DescribeBackupsQuery(
    String dbClusterId,
    Instant startTime,
    Instant endTime,
    Optional<String> backupId,
    Optional<String> backupStatus,
    Optional<String> backupMode,
    int pageSize,
    int pageNumber) {

  public DescribeBackupsQuery {
    if (pageSize != 30 && pageSize != 50 && pageSize != 100) {
      throw new IllegalArgumentException("PageSize must be 30, 50 or 100, was " + pageSize);
    }
    if (pageNumber < 1) {
      throw new IllegalArgumentException("PageNumber starts at 1, was " + pageNumber);
    }
  }

  /** Every manual backup of a cluster started in the window, first page of 100. */
  public static DescribeBackupsQuery manual(String dbClusterId, Instant start, Instant end) {
    return new DescribeBackupsQuery(
        dbClusterId, start, end, Optional.empty(), Optional.empty(), Optional.of("Manual"), 100, 1);
  }

  /** One backup by id. */
  public static DescribeBackupsQuery byId(
      String dbClusterId, String backupId, Instant start, Instant end) {
    return new DescribeBackupsQuery(
        dbClusterId, start, end, Optional.of(backupId), Optional.empty(), Optional.empty(), 30, 1);
  }

  public DescribeBackupsQuery page(int number) {
    return new DescribeBackupsQuery(
        dbClusterId, startTime, endTime, backupId, backupStatus, backupMode, pageSize, number);
  }
}
