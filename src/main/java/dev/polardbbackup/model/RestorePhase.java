package dev.polardbbackup.model;

/**
 * Where a restore is in its life. A later phase never gives way to an earlier one, and Succeeded
 * and Failed are final (a Succeeded clone deleted for its ttl stays Succeeded).
 */
public enum RestorePhase {
  /** Accepted; nothing has been asked of PolarDB yet, or it was refused and will be asked again. */
  Pending(0),
  /** PolarDB accepted: the new cluster is being created, or the tables are being restored. */
  Creating(1),
  /** The new cluster is Running, or the tables are restored. */
  Succeeded(2),
  Failed(2);

  private final int rank;

  RestorePhase(int rank) {
    this.rank = rank;
  }

  public boolean isTerminal() {
    return this == Succeeded || this == Failed;
  }

  /** Staying put is allowed; moving back or out of a final phase is not. */
  public boolean canMoveTo(RestorePhase next) {
    if (this == next) {
      return true;
    }
    return !isTerminal() && next.rank >= rank;
  }
}
