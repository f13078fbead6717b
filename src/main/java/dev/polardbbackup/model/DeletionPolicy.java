package dev.polardbbackup.model;

/** What happens to the cloud backup when the resource is deleted. */
public enum DeletionPolicy {
  /** Keep the PolarDB backup; only the Kubernetes object goes. */
  Retain,
  /** Delete the PolarDB backup too (waiting for it to finish first). */
  Delete
}
