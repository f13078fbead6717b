package dev.polardbbackup.emulator;

import static dev.polardbbackup.emulator.EmulatorHarness.CLUSTER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DescribeBackupsTest {

  private static JsonNode items(AcsTestClient.Reply reply) {
    assertEquals(200, reply.status(), reply.body().toString());
    return reply.body().path("Items").path("Backup");
  }

  @Test
  void runningBackupBecomesASuccessfulBackupSetWithStringFields() {
    try (EmulatorHarness h = EmulatorHarness.start()) {
      String jobId = h.createBackup().text("BackupJobId");
      String backupId = h.backupIdOf(jobId);

      JsonNode running = items(h.describeBackups(CLUSTER).v3()).get(0);
      assertEquals(backupId, running.path("BackupId").asText());
      assertEquals("Running", running.path("BackupStatus").asText());
      assertFalse(running.has("BackupEndTime"));
      assertEquals("0", running.path("IsAvail").asText());

      h.clock.advance(Duration.ofSeconds(60));
      AcsTestClient.Reply reply = h.describeBackups(CLUSTER).v1();
      JsonNode done = items(reply).get(0);
      assertEquals(CLUSTER, done.path("DBClusterId").asText());
      assertEquals("Success", done.path("BackupStatus").asText());
      assertEquals("Manual", done.path("BackupMode").asText());
      assertEquals("Snapshot", done.path("BackupMethod").asText());
      assertEquals("FullBackup", done.path("BackupType").asText());
      assertEquals("Level-1", done.path("BackupsLevel").asText());
      assertEquals("2025-03-10T02:00:00Z", done.path("BackupStartTime").asText());
      assertEquals("2025-03-10T02:01:00Z", done.path("BackupEndTime").asText());
      assertEquals(
          Long.toString(EmulatorHarness.START.getEpochSecond()),
          done.path("ConsistentTime").asText());
      assertTrue(done.path("BackupSetSize").isTextual());
      assertTrue(Long.parseLong(done.path("BackupSetSize").asText()) > 1_000_000_000L);
      assertEquals("1", done.path("IsAvail").asText());
      assertEquals("1", reply.text("TotalRecordCount"));
      assertEquals("1", reply.text("PageNumber"));
      assertEquals("1", reply.text("PageRecordCount"));
    }
  }

  @Test
  void backupSetSizeIsTheSameForTheSameSeed() {
    List<String> sizes = new ArrayList<>();
    for (int run = 0; run < 2; run++) {
      try (EmulatorHarness h = EmulatorHarness.start()) {
        h.createBackup();
        h.clock.advance(Duration.ofMinutes(1));
        sizes.add(items(h.describeBackups(CLUSTER).v3()).get(0).path("BackupSetSize").asText());
      }
    }
    assertEquals(sizes.get(0), sizes.get(1));
  }

  @Test
  void pagesListNewestFirst() {
    try (EmulatorHarness h = EmulatorHarness.start(b -> b.quota(100))) {
      List<String> jobs = new ArrayList<>();
      for (int i = 0; i < 65; i++) {
        jobs.add(h.createBackup().text("BackupJobId"));
        h.clock.advance(Duration.ofMinutes(1));
      }
      String newest = h.backupIdOf(jobs.get(64));
      String oldest = h.backupIdOf(jobs.get(0));

      AcsTestClient.Reply first = h.describeBackups(CLUSTER).v3();
      assertEquals(30, items(first).size());
      assertEquals("65", first.text("TotalRecordCount"));
      assertEquals("30", first.text("PageRecordCount"));
      assertEquals(newest, items(first).get(0).path("BackupId").asText());

      AcsTestClient.Reply third = h.describeBackups(CLUSTER).param("PageNumber", "3").v3();
      assertEquals(5, items(third).size());
      assertEquals("3", third.text("PageNumber"));
      assertEquals(oldest, items(third).get(4).path("BackupId").asText());

      AcsTestClient.Reply big = h.describeBackups(CLUSTER).param("PageSize", "100").v1();
      assertEquals(65, items(big).size());
      AcsTestClient.Reply beyond = h.describeBackups(CLUSTER).param("PageNumber", "9").v3();
      assertEquals(0, items(beyond).size());
    }
  }

  @Test
  void onlyBackupsStartedWithinTheWindowAreListed() {
    try (EmulatorHarness h = EmulatorHarness.start(b -> b.quota(10))) {
      h.createBackup(); // 02:00
      h.clock.advance(Duration.ofHours(1));
      String jobAt3 = h.createBackup().text("BackupJobId"); // 03:00
      h.clock.advance(Duration.ofHours(1));
      h.createBackup(); // 04:00

      AcsTestClient.Reply reply =
          h.client
              .call("DescribeBackups")
              .param("DBClusterId", CLUSTER)
              .param("StartTime", "2025-03-10T02:30Z")
              .param("EndTime", "2025-03-10T03:00Z")
              .v3();
      assertEquals(1, items(reply).size());
      assertEquals(h.backupIdOf(jobAt3), items(reply).get(0).path("BackupId").asText());
    }
  }

  @Test
  void filtersByBackupIdAndStatusAndHidesDeletedBackups() {
    try (EmulatorHarness h = EmulatorHarness.start()) {
      String first = h.backupIdOf(h.createBackup().text("BackupJobId"));
      h.clock.advance(Duration.ofMinutes(1));
      String second = h.backupIdOf(h.createBackup().text("BackupJobId"));

      assertEquals(
          first,
          items(h.describeBackups(CLUSTER).param("BackupId", first).v3())
              .get(0)
              .path("BackupId")
              .asText());
      assertEquals(
          second,
          items(h.describeBackups(CLUSTER).param("BackupStatus", "Running").v3())
              .get(0)
              .path("BackupId")
              .asText());
      assertEquals(
          1, items(h.describeBackups(CLUSTER).param("BackupStatus", "Success").v3()).size());

      h.deleteBackup(CLUSTER, first);
      assertEquals(1, items(h.describeBackups(CLUSTER).v3()).size());
      assertEquals(
          0, items(h.describeBackups(CLUSTER).param("BackupMode", "Automated").v3()).size());
    }
  }

  @Test
  void invalidParametersAreRejected() {
    try (EmulatorHarness h = EmulatorHarness.start()) {
      AcsTestClient.Call noStart =
          h.client
              .call("DescribeBackups")
              .param("DBClusterId", CLUSTER)
              .param("EndTime", "2025-03-10T03:00Z");
      assertEquals("MissingStartTime", noStart.v3().code());

      assertEquals(
          "InvalidStartTime.Malformed",
          h.describeBackups(CLUSTER).param("StartTime", "2025-03-10T02:00:00Z").v3().code());
      AcsTestClient.Reply backwards =
          h.describeBackups(CLUSTER)
              .param("StartTime", "2025-03-10T03:00Z")
              .param("EndTime", "2025-03-10T02:00Z")
              .v3();
      assertEquals(400, backwards.status());
      assertEquals("InvalidEndTime.Malformed", backwards.code());
      assertEquals(
          "InvalidPageSize.Malformed",
          h.describeBackups(CLUSTER).param("PageSize", "20").v3().code());
      assertEquals(
          "InvalidPageNumber.Malformed",
          h.describeBackups(CLUSTER).param("PageNumber", "0").v3().code());
      assertEquals(
          "InvalidBackupStatus.Malformed",
          h.describeBackups(CLUSTER).param("BackupStatus", "Done").v3().code());

      AcsTestClient.Reply unknown = h.describeBackups("pc-nosuch").v3();
      assertEquals(404, unknown.status());
      assertEquals("InvalidDBClusterId.NotFound", unknown.code());
    }
  }
}
