package dev.polardbbackup.emulator;

import static dev.polardbbackup.emulator.EmulatorHarness.CLUSTER;
import static dev.polardbbackup.emulator.EmulatorHarness.OTHER_CLUSTER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DeleteBackupTest {

  @Test
  void deletedBackupIsGoneAndASecondDeleteIsNotFound() {
    try (EmulatorHarness h = EmulatorHarness.start()) {
      String backupId = h.backupIdOf(h.createBackup().text("BackupJobId"));
      h.clock.advance(Duration.ofMinutes(1));

      AcsTestClient.Reply deleted = h.deleteBackup(CLUSTER, backupId);
      assertEquals(200, deleted.status());
      assertTrue(deleted.body().has("RequestId"));
      assertTrue(h.emulator.ledger().backups().get(0).deleted());

      AcsTestClient.Reply again = h.deleteBackup(CLUSTER, backupId);
      assertEquals(400, again.status());
      assertEquals("InvalidBackupSetID.NotFound", again.code());
    }
  }

  @Test
  void runningBackupCannotBeDeleted() {
    try (EmulatorHarness h = EmulatorHarness.start()) {
      String backupId = h.backupIdOf(h.createBackup().text("BackupJobId"));

      AcsTestClient.Reply reply = h.deleteBackup(CLUSTER, backupId);
      assertEquals(403, reply.status());
      assertEquals("OperationDenied.BackupStatus", reply.code());
      assertFalse(h.emulator.ledger().backups().get(0).deleted());
    }
  }

  @Test
  void clusterMustBeRunning() {
    try (EmulatorHarness h = EmulatorHarness.start()) {
      String backupId = h.backupIdOf(h.createBackup().text("BackupJobId"));
      h.clock.advance(Duration.ofMinutes(1));
      h.emulator.setClusterStatus(CLUSTER, "Stopped");

      AcsTestClient.Reply reply = h.deleteBackup(CLUSTER, backupId);
      assertEquals(403, reply.status());
      assertEquals("OperationDenied.DBClusterStatus", reply.code());
    }
  }

  @Test
  void commaSeparatedListIsDeletedAllOrNothing() {
    try (EmulatorHarness h = EmulatorHarness.start()) {
      String a = h.backupIdOf(h.createBackup().text("BackupJobId"));
      String b = h.backupIdOf(h.createBackup().text("BackupJobId"));
      h.clock.advance(Duration.ofMinutes(1));

      assertEquals("InvalidBackupSetID.NotFound", h.deleteBackup(CLUSTER, a + ",123").code());
      assertTrue(h.emulator.ledger().backups().stream().noneMatch(BackupRecord::deleted));

      assertEquals(200, h.deleteBackup(CLUSTER, a + "," + b).status());
      assertTrue(h.emulator.ledger().backups().stream().allMatch(BackupRecord::deleted));
    }
  }

  @Test
  void failedBackupSetIsRefusedAsTheDocsSayAndAListWithOneDeletesNone() {
    try (EmulatorHarness h = EmulatorHarness.start()) {
      String good = h.backupIdOf(h.createBackup().text("BackupJobId"));
      h.emulator.failBackups(CLUSTER, "simulated");
      String failed = h.backupIdOf(h.createBackup().text("BackupJobId"));
      h.clock.advance(Duration.ofMinutes(1));

      AcsTestClient.Reply reply = h.deleteBackup(CLUSTER, failed);
      assertEquals(403, reply.status());
      assertEquals("IncorrectBackupSetState", reply.code());
      assertTrue(reply.text("Message").contains(failed), reply.text("Message"));
      assertTrue(reply.text("Message").contains("Failed"), reply.text("Message"));

      assertEquals("IncorrectBackupSetState", h.deleteBackup(CLUSTER, good + "," + failed).code());
      assertTrue(h.emulator.ledger().backups().stream().noneMatch(BackupRecord::deleted));
    }
  }

  @Test
  void failedBackupCanBeDeletedWhenThatReadingIsChosenButNotThroughAnotherCluster() {
    try (EmulatorHarness h = EmulatorHarness.start(b -> b.deleteFailedBackups(true))) {
      h.emulator.failBackups(CLUSTER, "simulated");
      String backupId = h.backupIdOf(h.createBackup().text("BackupJobId"));
      h.clock.advance(Duration.ofMinutes(1));

      assertEquals("InvalidBackupSetID.NotFound", h.deleteBackup(OTHER_CLUSTER, backupId).code());
      assertEquals(200, h.deleteBackup(CLUSTER, backupId).status());
      assertTrue(h.emulator.ledger().backups().get(0).deleted());
    }
  }

  @Test
  void missingBackupIdIsRejected() {
    try (EmulatorHarness h = EmulatorHarness.start()) {
      AcsTestClient.Reply reply = h.client.call("DeleteBackup").param("DBClusterId", CLUSTER).v1();
      assertEquals(400, reply.status());
      assertEquals("MissingBackupId", reply.code());
    }
  }
}
