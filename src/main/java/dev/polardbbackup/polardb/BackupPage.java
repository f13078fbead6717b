package dev.polardbbackup.polardb;

import java.util.List;

/**
 * One page of {@code DescribeBackups}.
 *
 * @param pageNumber the page that was asked for (not the one the reply claims to be)
 */
public record BackupPage(List<Backup> backups, int totalRecordCount, int pageNumber, int pageSize) {

  /**
   * Whether a next page may hold more: not when this page is short or empty (the API fills every
   * page but the last), nor when the pages so far cover the total.
   */
  public boolean hasMore() {
    return backups.size() >= pageSize && (long) pageNumber * pageSize < totalRecordCount;
  }
}
