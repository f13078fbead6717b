package dev.polardbbackup.polardb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every row of the classification the controller decides retries from. */
class ErrorClassificationTest {

  @ParameterizedTest(name = "{0} {1} retryAfter={2} -> {3}")
  @CsvSource({
    "403, BackupTimesExceeded, false, QUOTA_EXHAUSTED",
    "404, InvalidDBClusterId.NotFound, false, NOT_FOUND",
    // DescribeBackupTasks answers not-found with 400: the code decides.
    "400, InvalidDBClusterId.NotFound, false, NOT_FOUND",
    "404, InvalidDBCluster.NotFound, false, NOT_FOUND",
    "400, InvalidBackupSetID.NotFound, false, NOT_FOUND",
    // Restore: no stock is a wait like the backup quota; a repeat of a restore stays its own code.
    "400, InsufficientResourceCapacity, false, QUOTA_EXHAUSTED",
    "404, InvalidBackup.NotFound, false, NOT_FOUND",
    "400, InvalidDBName.Duplicate, false, INVALID_REQUEST",
    "400, IncorrectBackupSetState, false, INVALID_REQUEST",
    "400, InvalidRestoreTime.Format, false, INVALID_REQUEST",
    "400, IdempotentParameterMismatch, false, INVALID_REQUEST",
    "400, Throttling, false, THROTTLED",
    "400, Throttling.User, false, THROTTLED",
    "400, Throttling.Api, false, THROTTLED",
    "400, Throttling.Something.New, false, THROTTLED",
    "403, Rejected.Throttling, false, THROTTLED",
    "400, SomeOtherCode, true, THROTTLED",
    "500, InternalError, false, TRANSIENT",
    "503, ServiceUnavailable, false, TRANSIENT",
    "502, HTTP502, false, TRANSIENT",
    "504, GatewayTimeout, false, TRANSIENT",
    "400, LockTimeout, false, TRANSIENT",
    "400, ConcurrentTaskExceeded, false, TRANSIENT",
    "404, InvalidAccessKeyId.NotFound, false, AUTH",
    "400, InvalidAccessKeyId.Inactive, false, AUTH",
    "400, SignatureDoesNotMatch, false, AUTH",
    "400, IncompleteSignature, false, AUTH",
    "400, InvalidSecurityToken.Expired, false, AUTH",
    "400, InvalidSecurityToken.Malformed, false, AUTH",
    "400, InvalidSecurityToken.MismatchWithAccessKey, false, AUTH",
    "400, SignatureNonceUsed, false, AUTH",
    "400, InvalidTimeStamp.Expired, false, AUTH",
    "403, Forbidden.RAM, false, AUTH",
    "403, NoPermission, false, AUTH",
    "403, OperationDenied.DBClusterStatus, false, WRONG_CLUSTER_STATE",
    "403, IncorrectDBClusterState, false, WRONG_CLUSTER_STATE",
    "404, InvalidDBClusterId.Malformed, false, INVALID_REQUEST",
    "400, InvalidBackupType.Malformed, false, INVALID_REQUEST",
    "400, IdempotentParameterMismatch, false, INVALID_REQUEST",
    "404, InvalidAction.NotFound, false, INVALID_REQUEST",
    "400, InvalidVersion, false, INVALID_REQUEST",
    "400, MissingDBClusterId, false, INVALID_REQUEST",
    // Backup policy: a bad value, an unknown region (a NotFound that is no missing cluster), and a
    // policy PolarDB refuses as a whole are all the request's fault.
    "400, InvalidDataLevel1BackupRetentionPeriod.Malformed, false, INVALID_REQUEST",
    "400, InvalidDataLevel2AnotherRegionRegion.NotFound, false, INVALID_REQUEST",
    "403, IncorrectBackupPolicy, false, INVALID_REQUEST",
    "400, MissingPreferredBackupPeriod, false, INVALID_REQUEST",
  })
  void errorRepliesAreClassifiedByCode(
      int status, String code, boolean retryAfter, FailureKind expected) {
    assertEquals(expected, ErrorClassifier.classify(status, code, retryAfter));
  }

  @ParameterizedTest
  @CsvSource({
    "QUOTA_EXHAUSTED, true",
    "NOT_FOUND, true",
    "THROTTLED, true",
    "AUTH, true",
    "INVALID_REQUEST, true",
    "WRONG_CLUSTER_STATE, true",
    "TRANSIENT, false",
    "OUTCOME_UNKNOWN, false",
  })
  void onlyFailuresThatProveNothingHappenedAreDefinite(FailureKind kind, boolean definite) {
    assertEquals(definite, kind.isDefiniteRejection());
  }

  @ParameterizedTest
  @CsvSource({"SignatureNonceUsed", "InvalidTimeStamp.Expired"})
  void freshSignatureCuresNonceAndClockErrors(String code) {
    assertTrue(ErrorClassifier.curedByResigning(code));
    assertFalse(ErrorClassifier.curedByRefreshingCredentials(code));
  }
}
