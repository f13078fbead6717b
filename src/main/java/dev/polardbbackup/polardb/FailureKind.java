package dev.polardbbackup.polardb;

/**
 * What a failed call means for the caller. The operator decides retries from this alone, so each
 * value states whether the request could have taken effect.
 */
public enum FailureKind {
  /**
   * {@code BackupTimesExceeded}: the cluster's manual-backup quota is used up; or {@code
   * InsufficientResourceCapacity}: the zone has no stock for a new cluster or a table restore.
   * Nothing created; the same request may pass later. Tell them apart by the code.
   */
  QUOTA_EXHAUSTED,
  /** The cluster or backup set does not exist. */
  NOT_FOUND,
  /** Flow control; nothing was done. Retry later, honouring a retry-after hint. */
  THROTTLED,
  /** The service failed on its side (5xx) or could not be reached before the request was sent. */
  TRANSIENT,
  /**
   * The request may or may not have been processed (timeout, connection dropped after sending, an
   * unreadable reply). Retry only with the same idempotency token.
   */
  OUTCOME_UNKNOWN,
  /** Credentials missing, wrong, expired or lacking permission. */
  AUTH,
  /** The request itself is wrong; repeating it will not help. */
  INVALID_REQUEST,
  /** The cluster exists but is not in a state that allows the operation (not Running, locked). */
  WRONG_CLUSTER_STATE;

  /** True when the failure proves the request had no effect. */
  public boolean isDefiniteRejection() {
    return this != OUTCOME_UNKNOWN && this != TRANSIENT;
  }
}
