package dev.polardbbackup.model;

/** How a new cluster is billed, in CreateDBCluster's spelling. */
public enum PayType {
  /** Pay-as-you-go: the default, and the only sensible choice for a throw-away clone. */
  Postpaid,
  /** Subscription. */
  Prepaid
}
