package dev.polardbbackup.polardb;

import java.util.List;

/** One page of {@code DescribeBackups}. */
public record BackupPage(List<Backup> backups, int totalRecordCount, int pageNumber, int pageSize) {

  public boolean hasMore() {
    return (long) pageNumber * pageSize < totalRecordCount && !backups.isEmpty();
  }
}
