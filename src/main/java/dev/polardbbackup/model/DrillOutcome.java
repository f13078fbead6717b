package dev.polardbbackup.model;

/** How a schedule's restore drill ended. */
public enum DrillOutcome {
  /** The clone became Running and listed the backup's databases. */
  Succeeded,
  /** It did not: see the reason and message. */
  Failed
}
