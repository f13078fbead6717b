package dev.polardbbackup.model;

/** What a schedule does about ticks that passed while the operator was not running. */
public enum CatchUpPolicy {
  /** Skip them: the next backup is the next tick's. */
  None,
  /** Run one backup for the most recent missed tick, never one per missed tick. */
  Latest
}
