package dev.polardbbackup.polardb;

import java.util.Set;

/**
 * Maps an error reply to a {@link FailureKind}. The code decides, never the HTTP status alone:
 * PolarDB answers not-found with 404 in most actions but 400 in DescribeBackupTasks, and several
 * auth errors are 400s.
 */
public final class ErrorClassifier {

  private static final Set<String> NOT_FOUND =
      Set.of(
          "InvalidDBClusterId.NotFound",
          "InvalidDBCluster.NotFound",
          "InvalidBackupSetID.NotFound",
          "InvalidBackupId.NotFound",
          // RestoreTable: no backup covers the RestoreTime.
          "InvalidBackup.NotFound");

  private static final Set<String> THROTTLED =
      Set.of("Throttling", "Throttling.User", "Throttling.Api", "Rejected.Throttling");

  // Alibaba's own Terraform provider retries these on PolarDB writes: the service is busy, not
  // refusing the request.
  private static final Set<String> TRANSIENT =
      Set.of("ServiceUnavailable", "InternalError", "LockTimeout", "ConcurrentTaskExceeded");

  private static final Set<String> CLUSTER_STATE =
      Set.of(
          "OperationDenied.DBClusterStatus",
          "OperationDenied.DBClusterLockMode",
          "IncorrectDBClusterState",
          "IncorrectDBInstanceState",
          "IncorrectDBClusterLockMode");

  private static final Set<String> AUTH =
      Set.of(
          "IncompleteSignature",
          "SignatureDoesNotMatch",
          "SignatureNonceUsed",
          "InvalidTimeStamp.Expired",
          "InvalidTimeStamp.Format",
          "NoPermission",
          "Forbidden",
          "Forbidden.RAM",
          "Forbidden.NoPermission",
          "Forbidden.AccessKeyDisabled",
          "MissingSecurityToken");

  private ErrorClassifier() {}

  public static FailureKind classify(int httpStatus, String code, boolean hasRetryAfter) {
    String c = code == null ? "" : code;
    // Both are a wait for room that nothing on our side can make: no backup slot, no stock of the
    // node class in the zone. Nothing was created; the same request may pass later.
    if (c.equals("BackupTimesExceeded") || c.equals("InsufficientResourceCapacity")) {
      return FailureKind.QUOTA_EXHAUSTED;
    }
    if (NOT_FOUND.contains(c)) {
      return FailureKind.NOT_FOUND;
    }
    if (THROTTLED.contains(c) || c.startsWith("Throttling.") || hasRetryAfter) {
      return FailureKind.THROTTLED;
    }
    if (TRANSIENT.contains(c)) {
      return FailureKind.TRANSIENT;
    }
    if (CLUSTER_STATE.contains(c)) {
      return FailureKind.WRONG_CLUSTER_STATE;
    }
    if (AUTH.contains(c)
        || c.startsWith("InvalidAccessKeyId.")
        || c.startsWith("InvalidSecurityToken.")
        || c.startsWith("Forbidden.")) {
      return FailureKind.AUTH;
    }
    if (httpStatus >= 500) {
      return FailureKind.TRANSIENT;
    }
    return FailureKind.INVALID_REQUEST;
  }

  /** Codes that a fresh signature (new nonce and timestamp) cures; safe to retry once at once. */
  static boolean curedByResigning(String code) {
    return "SignatureNonceUsed".equals(code) || "InvalidTimeStamp.Expired".equals(code);
  }

  /** An expired STS token: refresh the credential and retry once. */
  static boolean curedByRefreshingCredentials(String code) {
    return "InvalidSecurityToken.Expired".equals(code);
  }
}
