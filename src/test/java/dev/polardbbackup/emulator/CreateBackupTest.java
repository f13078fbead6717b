package dev.polardbbackup.emulator;

import static dev.polardbbackup.emulator.EmulatorHarness.CLUSTER;
import static dev.polardbbackup.emulator.EmulatorHarness.OTHER_CLUSTER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class CreateBackupTest {

  @Test
  void createsAManualBackupThatRunsForTheBackupDuration() {
    try (EmulatorHarness h = EmulatorHarness.start(b -> b.backupDuration(Duration.ofMinutes(5)))) {
      AcsTestClient.Reply reply = h.createBackup();

      assertEquals(200, reply.status(), reply.body().toString());
      String jobId = reply.text("BackupJobId");
      assertTrue(reply.body().path("BackupJobId").isTextual());
      BackupRecord backup = h.emulator.ledger().backups().get(0);
      assertEquals(jobId, backup.backupJobId());
      assertNotEquals(jobId, backup.backupId(), "by default the job id is not the backup id");
      assertEquals(CLUSTER, backup.dbClusterId());
      assertEquals("Running", backup.status());
      assertEquals(EmulatorHarness.START, backup.createdAt());

      h.clock.advance(Duration.ofMinutes(5));
      assertEquals("Success", h.emulator.ledger().backups().get(0).status());
    }
  }

  @Test
  void sameClientTokenReturnsTheFirstBackupAgain() {
    try (EmulatorHarness h = EmulatorHarness.start()) {
      AcsTestClient.Reply first = h.createBackup(CLUSTER, "token-1");
      AcsTestClient.Reply retry =
          h.client
              .call("CreateBackup")
              .param("DBClusterId", CLUSTER)
              .param("ClientToken", "token-1")
              .v1();

      assertEquals(200, retry.status());
      assertEquals(first.text("BackupJobId"), retry.text("BackupJobId"));
      assertNotEquals(first.text("RequestId"), retry.text("RequestId"));
      assertEquals(1, h.emulator.ledger().backupsCreatedWithToken("token-1"));
      assertEquals(1, h.emulator.ledger().backups().size());
    }
  }

  @Test
  void clientTokenIsRememberedForEverByDefault() {
    try (EmulatorHarness h = EmulatorHarness.start()) {
      String jobId = h.createBackup(CLUSTER, "token-1").text("BackupJobId");
      h.clock.advance(Duration.ofDays(365));

      assertEquals(jobId, h.createBackup(CLUSTER, "token-1").text("BackupJobId"));
      assertEquals(1, h.emulator.ledger().backups().size());
    }
  }

  @Test
  void clientTokenFirstUsedLongerAgoThanTheTtlMakesANewBackup() {
    try (EmulatorHarness h = EmulatorHarness.start(b -> b.tokenTtl(Duration.ofMinutes(10)))) {
      String first = h.createBackup(CLUSTER, "token-1").text("BackupJobId");
      h.clock.advance(Duration.ofMinutes(10));
      assertEquals(first, h.createBackup(CLUSTER, "token-1").text("BackupJobId"), "at the TTL");

      h.clock.advance(Duration.ofSeconds(1));
      AcsTestClient.Reply forgotten = h.createBackup(CLUSTER, "token-1");

      assertEquals(200, forgotten.status());
      String second = forgotten.text("BackupJobId");
      assertNotEquals(first, second);
      assertEquals(2, h.emulator.ledger().backupsCreatedWithToken("token-1"));
      assertEquals(second, h.createBackup(CLUSTER, "token-1").text("BackupJobId"));
    }
  }

  @Test
  void forgottenClientTokenStillNeedsRoomInTheQuota() {
    try (EmulatorHarness h =
        EmulatorHarness.start(b -> b.quota(1).tokenTtl(Duration.ofMinutes(10)))) {
      h.createBackup(CLUSTER, "token-1");
      h.clock.advance(Duration.ofMinutes(11));

      assertEquals("BackupTimesExceeded", h.createBackup(CLUSTER, "token-1").code());
      assertEquals(1, h.emulator.ledger().backups().size());
    }
  }

  @Test
  void sameClientTokenForAnotherClusterIsIdempotentParameterMismatch() {
    try (EmulatorHarness h = EmulatorHarness.start()) {
      h.createBackup(CLUSTER, "token-1");

      AcsTestClient.Reply reply = h.createBackup(OTHER_CLUSTER, "token-1");

      assertEquals(400, reply.status());
      assertEquals("IdempotentParameterMismatch", reply.code());
      assertEquals(1, h.emulator.ledger().backups().size());
    }
  }

  @Test
  void retryWithTheSameTokenIsAnsweredEvenWhenTheQuotaIsNowFullOrTheClusterStopped() {
    try (EmulatorHarness h = EmulatorHarness.start(b -> b.quota(1))) {
      String jobId = h.createBackup(CLUSTER, "token-1").text("BackupJobId");

      assertEquals(jobId, h.createBackup(CLUSTER, "token-1").text("BackupJobId"));
      assertEquals("BackupTimesExceeded", h.createBackup(CLUSTER, "token-2").code());
      h.emulator.setClusterStatus(CLUSTER, "Stopped");
      assertEquals(jobId, h.createBackup(CLUSTER, "token-1").text("BackupJobId"));
      assertEquals(1, h.emulator.ledger().backups().size());
    }
  }

  @Test
  void quotaFirstRefusesARetryWhenTheQuotaIsFullEvenByItsOwnBackup() {
    try (EmulatorHarness h =
        EmulatorHarness.start(
            b -> b.quota(2).quotaCheckOrder(PolarDbEmulator.QuotaCheckOrder.QUOTA_FIRST))) {
      String jobId = h.createBackup(CLUSTER, "token-1").text("BackupJobId");
      assertEquals(jobId, h.createBackup(CLUSTER, "token-1").text("BackupJobId"), "room left");
      h.createBackup(CLUSTER, "token-2");

      AcsTestClient.Reply retry = h.createBackup(CLUSTER, "token-1");

      assertEquals(403, retry.status());
      assertEquals("BackupTimesExceeded", retry.code());
      assertEquals(2, h.emulator.ledger().backups().size());
      assertEquals(1, h.emulator.ledger().backupsCreatedWithToken("token-1"));
    }
  }

  @Test
  void quotaFirstRefusesARetryWhileTheClusterIsNotRunningThenReplaysIt() {
    try (EmulatorHarness h =
        EmulatorHarness.start(
            b -> b.quotaCheckOrder(PolarDbEmulator.QuotaCheckOrder.QUOTA_FIRST))) {
      String jobId = h.createBackup(CLUSTER, "token-1").text("BackupJobId");
      h.emulator.setClusterStatus(CLUSTER, "Stopped");

      AcsTestClient.Reply refused = h.createBackup(CLUSTER, "token-1");
      assertEquals(403, refused.status());
      assertEquals("OperationDenied.DBClusterStatus", refused.code());

      h.emulator.setClusterStatus(CLUSTER, "Running");
      assertEquals(jobId, h.createBackup(CLUSTER, "token-1").text("BackupJobId"));
      assertEquals(1, h.emulator.ledger().backups().size());
    }
  }

  @Test
  void unknownMalformedAndNotRunningClustersAreRefused() {
    try (EmulatorHarness h = EmulatorHarness.start()) {
      AcsTestClient.Reply unknown = h.createBackup("pc-nosuch", null);
      assertEquals(404, unknown.status());
      assertEquals("InvalidDBClusterId.NotFound", unknown.code());

      AcsTestClient.Reply malformed = h.createBackup("rm-notpolardb", null);
      assertEquals(404, malformed.status());
      assertEquals("InvalidDBClusterId.Malformed", malformed.code());

      h.emulator.setClusterStatus(CLUSTER, "ClassChanging");
      AcsTestClient.Reply busy = h.createBackup();
      assertEquals(403, busy.status());
      assertEquals("OperationDenied.DBClusterStatus", busy.code());

      assertTrue(h.emulator.ledger().backups().isEmpty());
    }
  }

  @Test
  void missingClusterIdAndMalformedClientTokenAreRejected() {
    try (EmulatorHarness h = EmulatorHarness.start()) {
      AcsTestClient.Reply missing = h.client.call("CreateBackup").v3();
      assertEquals(400, missing.status());
      assertEquals("MissingDBClusterId", missing.code());

      assertEquals("InvalidClientToken.Malformed", h.createBackup(CLUSTER, "x".repeat(65)).code());
      assertEquals("InvalidClientToken.Malformed", h.createBackup(CLUSTER, "tökén").code());
      assertEquals(200, h.createBackup(CLUSTER, "x".repeat(64)).status());
    }
  }

  @Test
  void jobIdCanEqualTheBackupIdWhenConfigured() {
    try (EmulatorHarness h = EmulatorHarness.start(b -> b.jobIdEqualsBackupId(true))) {
      String jobId = h.createBackup().text("BackupJobId");

      assertEquals(jobId, h.backupIdOf(jobId));
      AcsTestClient.Reply found = h.describeBackups(CLUSTER).param("BackupId", jobId).v3();
      assertEquals("1", found.text("TotalRecordCount"));
    }
  }
}
