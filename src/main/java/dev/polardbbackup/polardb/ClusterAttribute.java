package dev.polardbbackup.polardb;

import java.time.Instant;
import java.util.Optional;

/**
 * What {@code DescribeDBClusterAttribute} tells about a cluster: its readiness for a backup, and
 * what a clone of it must ask for (engine, version, node class, network). Text fields the reply
 * leaves out are empty.
 *
 * @param status {@code DBClusterStatus}: {@code Running}, or {@code Creating} for a new clone, or
 *     another transitional value
 */
public record ClusterAttribute(
    String dbClusterId,
    String status,
    String lockMode,
    String regionId,
    Optional<Instant> creationTime,
    String description,
    String dbType,
    String dbVersion,
    String dbNodeClass,
    String zoneIds,
    String vpcId,
    String vSwitchId) {

  /** The four fields a backup needs; the rest empty. */
  public ClusterAttribute(String dbClusterId, String status, String lockMode, String regionId) {
    this(dbClusterId, status, lockMode, regionId, Optional.empty(), "", "", "", "", "", "", "");
  }

  /** Only a Running, unlocked cluster accepts a backup. */
  public boolean readyForBackup() {
    return isRunning() && (lockMode == null || lockMode.isEmpty() || "Unlock".equals(lockMode));
  }

  public boolean isRunning() {
    return "Running".equals(status);
  }

  /** A new cluster (a clone) still being made. */
  public boolean isCreating() {
    return "Creating".equals(status);
  }
}
