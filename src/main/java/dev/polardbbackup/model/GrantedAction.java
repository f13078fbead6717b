package dev.polardbbackup.model;

/** What a {@link PolarDBAccessGrant} lets the selected namespaces do with the cloud. */
public enum GrantedAction {
  /** Make backups (CreateBackup) and follow them. */
  Backup,
  /** Take an existing backup set under management ({@code spec.backupId}). */
  Adopt,
  /** Delete cloud backups: needed by every object with {@code deletionPolicy: Delete}. */
  Delete,
  /** Read and change the cluster's automatic backup policy (PolarDBBackupPolicy). */
  Policy,
  /**
   * Create clusters from backups (CreateDBCluster clones), restore tables, and delete the clusters
   * a PolarDBRestore made (PolarDBRestore, and a schedule's restore drills). Checked against the
   * source cluster.
   */
  Restore
}
