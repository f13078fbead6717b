package dev.polardbbackup.emulator;

import static dev.polardbbackup.emulator.EmulatorHarness.CLUSTER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackupProgressTest {

  private static JsonNode onlyJob(AcsTestClient.Reply reply) {
    JsonNode jobs = reply.body().path("Items").path("BackupJob");
    assertEquals(1, jobs.size(), reply.body().toString());
    return jobs.get(0);
  }

  @Test
  void jobMovesThroughItsPhasesAsTimePasses() {
    try (EmulatorHarness h =
        EmulatorHarness.start(b -> b.backupDuration(Duration.ofSeconds(100)))) {
      String jobId = h.createBackup().text("BackupJobId");

      JsonNode job = onlyJob(h.describeTasks(CLUSTER));
      assertEquals(jobId, job.path("BackupJobId").asText());
      assertEquals("NoStart", job.path("BackupProgressStatus").asText());
      assertEquals("0", job.path("Process").asText());
      assertTrue(job.path("Process").isTextual());
      assertEquals("Manual", job.path("JobMode").asText());
      assertEquals("TempBackupTask", job.path("TaskAction").asText());
      assertEquals("2025-03-10T02:00:00Z", job.path("StartTime").asText());

      String[][] expected = {
        {"10", "Preparing", "10"},
        {"10", "Waiting", "20"},
        {"30", "Uploading", "50"},
        {"45", "Checking", "95"},
        {"5", "Finished", "100"},
      };
      for (String[] step : expected) {
        h.clock.advance(Duration.ofSeconds(Long.parseLong(step[0])));
        job = onlyJob(h.describeTasks(CLUSTER));
        assertEquals(step[1], job.path("BackupProgressStatus").asText());
        assertEquals(step[2], job.path("Process").asText());
      }
    }
  }

  @Test
  void newJobIsNotListedUntilTheListingLagHasPassedButItsBackupSetIs() {
    try (EmulatorHarness h =
        EmulatorHarness.start(
            b -> b.backupDuration(Duration.ofSeconds(100)).taskListingLag(Duration.ofSeconds(5)))) {
      String jobId = h.createBackup().text("BackupJobId");

      assertEquals(0, h.describeTasks(CLUSTER).body().path("Items").path("BackupJob").size());
      AcsTestClient.Reply byId =
          h.client
              .call("DescribeBackupTasks")
              .param("DBClusterId", CLUSTER)
              .param("BackupJobId", jobId)
              .v3();
      assertEquals(0, byId.body().path("Items").path("BackupJob").size());
      JsonNode sets = h.describeBackups(CLUSTER).v3().body().path("Items").path("Backup");
      assertEquals(1, sets.size());
      assertEquals("Running", sets.get(0).path("BackupStatus").asText());

      h.clock.advance(Duration.ofMillis(4999));
      assertEquals(0, h.describeTasks(CLUSTER).body().path("Items").path("BackupJob").size());

      h.clock.advance(Duration.ofMillis(1));
      JsonNode job = onlyJob(h.describeTasks(CLUSTER));
      assertEquals(jobId, job.path("BackupJobId").asText());
      assertEquals("Preparing", job.path("BackupProgressStatus").asText());
    }
  }

  @Test
  void finishedJobDisappearsAfterTheRetention() {
    try (EmulatorHarness h =
        EmulatorHarness.start(
            b -> b.backupDuration(Duration.ofSeconds(60)).taskRetention(Duration.ofSeconds(30)))) {
      h.createBackup();
      h.clock.advance(Duration.ofSeconds(89));
      assertEquals(
          "Finished", onlyJob(h.describeTasks(CLUSTER)).path("BackupProgressStatus").asText());

      h.clock.advance(Duration.ofSeconds(1));
      assertEquals(0, h.describeTasks(CLUSTER).body().path("Items").path("BackupJob").size());
      assertEquals(
          "Success",
          h.describeBackups(CLUSTER)
              .v3()
              .body()
              .path("Items")
              .path("Backup")
              .get(0)
              .path("BackupStatus")
              .asText());
    }
  }

  @Test
  void failingClusterEndsItsBackupsAsFailed() {
    try (EmulatorHarness h = EmulatorHarness.start()) {
      h.emulator.failBackups(CLUSTER, "simulated");
      h.createBackup();
      h.clock.advance(Duration.ofSeconds(60));

      assertEquals(
          "Finished", onlyJob(h.describeTasks(CLUSTER)).path("BackupProgressStatus").asText());
      JsonNode backup = h.describeBackups(CLUSTER).v3().body().path("Items").path("Backup").get(0);
      assertEquals("Failed", backup.path("BackupStatus").asText());
      assertEquals("0", backup.path("IsAvail").asText());

      h.emulator.succeedBackups(CLUSTER);
      h.createBackup();
      h.clock.advance(Duration.ofSeconds(60));
      JsonNode newest = h.describeBackups(CLUSTER).v3().body().path("Items").path("Backup").get(0);
      assertEquals("Success", newest.path("BackupStatus").asText());
    }
  }

  @Test
  void tasksFilterByJobIdAndMode() {
    try (EmulatorHarness h = EmulatorHarness.start()) {
      String first = h.createBackup().text("BackupJobId");
      h.createBackup();

      assertEquals(2, h.describeTasks(CLUSTER).body().path("Items").path("BackupJob").size());
      AcsTestClient.Reply one =
          h.client
              .call("DescribeBackupTasks")
              .param("DBClusterId", CLUSTER)
              .param("BackupJobId", first)
              .v1();
      assertEquals(first, onlyJob(one).path("BackupJobId").asText());
      AcsTestClient.Reply automated =
          h.client
              .call("DescribeBackupTasks")
              .param("DBClusterId", CLUSTER)
              .param("BackupMode", "Automated")
              .v3();
      assertEquals(0, automated.body().path("Items").path("BackupJob").size());
      AcsTestClient.Reply badMode =
          h.client
              .call("DescribeBackupTasks")
              .param("DBClusterId", CLUSTER)
              .param("BackupMode", "Sometimes")
              .v3();
      assertEquals("InvalidBackupMode.Malformed", badMode.code());
    }
  }

  @Test
  void unknownClusterInDescribeBackupTasksIsA400() {
    try (EmulatorHarness h = EmulatorHarness.start()) {
      AcsTestClient.Reply reply = h.describeTasks("pc-nosuch");
      assertEquals(400, reply.status());
      assertEquals("InvalidDBClusterId.NotFound", reply.code());
    }
  }
}
