package dev.polardbbackup.backup;

import java.time.Instant;

/**
 * A listener told of the moments that matter to whoever runs the operator, so the application can
 * count them (metrics) without the controller depending on a metrics library.
 */
public interface BackupListener {
  BackupListener NONE = new BackupListener() {};

  /** PolarDB accepted a CreateBackup. */
  default void backupStarted(String regionId, String dbClusterId) {}

  default void backupSucceeded(String regionId, String dbClusterId, Instant completedAt) {}

  default void backupFailed(String regionId, String dbClusterId, String reason) {}

  /** A CreateBackup was refused for quota and the backup waits. */
  default void quotaWait(String regionId, String dbClusterId) {}

  /**
   * No PolarDBBackup of the cluster is left: whatever is kept per cluster can go, so that what is
   * kept is bounded by the objects that exist, not by every cluster id anyone ever typed.
   */
  default void clusterForgotten(String regionId, String dbClusterId) {}
}
