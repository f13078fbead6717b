package dev.polardbbackup.model;

/**
 * Which backup sets PolarDB keeps when the cluster is deleted ({@code
 * BackupRetentionPolicyOnClusterDeletion}).
 */
public enum RetentionOnClusterDeletion {
  /** Keep every backup set, for ever. */
  ALL,
  /** Keep the most recent backup set, for ever. */
  LATEST,
  /**
   * Keep nothing: deleting the cluster deletes its backup sets, including manual backups (those a
   * PolarDBBackup made). PolarDB's default.
   */
  NONE
}
