package dev.polardbbackup.model;

/**
 * Where a backup is in its life. The order is the only order a backup moves in: a later phase never
 * gives way to an earlier one, and Succeeded and Failed are final.
 */
public enum Phase {
  /** Accepted; no backup has been started yet. */
  Pending(0),
  /** PolarDB refused with BackupTimesExceeded; waiting for a manual-backup slot. */
  WaitingForQuota(1),
  /** PolarDB accepted the backup and is making it. */
  Running(2),
  Succeeded(3),
  Failed(3);

  private final int rank;

  Phase(int rank) {
    this.rank = rank;
  }

  public boolean isTerminal() {
    return this == Succeeded || this == Failed;
  }

  /** Staying put is allowed; moving back or out of a final phase is not. */
  public boolean canMoveTo(Phase next) {
    if (this == next) {
      return true;
    }
    return !isTerminal() && next.rank >= rank;
  }
}
