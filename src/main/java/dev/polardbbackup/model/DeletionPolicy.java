package dev.polardbbackup.model;

/**
 * What happens to the cloud object a resource made when the resource is deleted: a PolarDBBackup's
 * backup set, or the new cluster of a PolarDBRestore.
 */
public enum DeletionPolicy {
  /** Keep the cloud object; only the Kubernetes object goes. */
  Retain,
  /** Delete the cloud object too (a backup: once it has finished; a cluster: DeleteDBCluster). */
  Delete
}
