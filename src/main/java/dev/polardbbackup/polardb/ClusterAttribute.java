package dev.polardbbackup.polardb;

/** What {@code DescribeDBClusterAttribute} tells about a cluster's readiness for a backup. */
public record ClusterAttribute(
    String dbClusterId, String status, String lockMode, String regionId) {

  /** Only a Running, unlocked cluster accepts a backup. */
  public boolean readyForBackup() {
    return "Running".equals(status)
        && (lockMode == null || lockMode.isEmpty() || "Unlock".equals(lockMode));
  }
}
