package dev.polardbbackup.model;

/** What a {@link PolarDBBackupPolicy} does when PolarDB's policy differs from its spec. */
public enum ManagementPolicy {
  /** Change PolarDB's policy to the spec (only the fields that differ). */
  Enforce,
  /** Report the difference (a condition and an Event); never change PolarDB's policy. */
  ObserveOnly
}
