package dev.polardbbackup.emulator;

import static dev.polardbbackup.emulator.EmulatorHarness.CLUSTER;
import static dev.polardbbackup.emulator.EmulatorHarness.OTHER_CLUSTER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConsoleBackupTest {

  @Test
  void consoleBackupIsListedLikeAnyManualBackupAndMarkedAsConsoleInTheLedger() {
    try (EmulatorHarness h = EmulatorHarness.start()) {
      String apiJob = h.createBackup(CLUSTER, "token-1").text("BackupJobId");
      String consoleId = h.emulator.createConsoleBackup(CLUSTER);

      List<BackupRecord> ledger = h.emulator.ledger().backups();
      BackupRecord console = ledger.get(1);
      assertEquals(consoleId, console.backupId());
      assertEquals(BackupRecord.Origin.CONSOLE, console.origin());
      assertNull(console.clientToken());
      assertEquals(BackupRecord.Origin.API, ledger.get(0).origin());
      assertEquals(apiJob, ledger.get(0).backupJobId());
      assertEquals(1, h.emulator.ledger().backupsByClientToken().size());

      JsonNode set =
          h.describeBackups(CLUSTER).param("BackupId", consoleId).v3().body().path("Items");
      assertEquals(1, set.path("Backup").size());
      assertEquals("Manual", set.path("Backup").get(0).path("BackupMode").asText());
      JsonNode jobs =
          h.client
              .call("DescribeBackupTasks")
              .param("DBClusterId", CLUSTER)
              .param("BackupJobId", console.backupJobId())
              .v3()
              .body()
              .path("Items")
              .path("BackupJob");
      assertEquals(1, jobs.size());
      assertEquals("Manual", jobs.get(0).path("JobMode").asText());
    }
  }

  @Test
  void consoleBackupTakesAQuotaSlotAndIsRefusedWhenThereIsNone() {
    try (EmulatorHarness h = EmulatorHarness.start(b -> b.quota(1))) {
      h.emulator.createConsoleBackup(CLUSTER);

      assertEquals("BackupTimesExceeded", h.createBackup(CLUSTER, "token-1").code());
      IllegalStateException full =
          assertThrows(IllegalStateException.class, () -> h.emulator.createConsoleBackup(CLUSTER));
      assertTrue(full.getMessage().startsWith("BackupTimesExceeded: "), full.getMessage());
      assertEquals(1, h.emulator.ledger().backups().size());
    }
  }

  @Test
  void consoleBackupNeedsAKnownRunningCluster() {
    try (EmulatorHarness h = EmulatorHarness.start()) {
      h.emulator.setClusterStatus(OTHER_CLUSTER, "Stopped");

      IllegalStateException stopped =
          assertThrows(
              IllegalStateException.class, () -> h.emulator.createConsoleBackup(OTHER_CLUSTER));
      assertTrue(
          stopped.getMessage().startsWith("OperationDenied.DBClusterStatus: "),
          stopped.getMessage());
      IllegalStateException unknown =
          assertThrows(
              IllegalStateException.class, () -> h.emulator.createConsoleBackup("pc-nosuch"));
      assertTrue(
          unknown.getMessage().startsWith("InvalidDBClusterId.NotFound: "), unknown.getMessage());
      assertTrue(h.emulator.ledger().backups().isEmpty());
    }
  }
}
