package dev.polardbbackup.model;

/** What a schedule does when a tick comes while its previous backup is still running. */
public enum ConcurrencyPolicy {
  /**
   * Start no new backup while one of this schedule is running; the tick waits and runs when the
   * running one ends (within startingDeadlineSeconds, when set). Ticks that pile up meanwhile run
   * once, never as a burst.
   */
  Forbid,
  /** Start the new backup anyway. */
  Allow
}
