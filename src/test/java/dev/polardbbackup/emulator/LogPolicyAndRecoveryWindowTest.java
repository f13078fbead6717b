package dev.polardbbackup.emulator;

import static dev.polardbbackup.emulator.EmulatorHarness.CLUSTER;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LogPolicyAndRecoveryWindowTest {
  private final EmulatorHarness h = EmulatorHarness.start();

  @AfterEach
  void stop() {
    h.close();
  }

  private AcsTestClient.Reply describeLog() {
    return h.client.call("DescribeLogBackupPolicy").param("DBClusterId", CLUSTER).v3();
  }

  private AcsTestClient.Reply recoveryTime(String cluster) {
    return h.client.call("DescribeLocalAvailableRecoveryTime").param("DBClusterId", cluster).v3();
  }

  @Test
  void aNewClusterKeepsLogsSevenDaysWithoutACrossRegionCopy() {
    AcsTestClient.Reply reply = describeLog();
    assertEquals(200, reply.status());
    assertEquals("7", reply.text("LogBackupRetentionPeriod"));
    assertEquals("", reply.text("LogBackupAnotherRegionRegion"));
    assertEquals("0", reply.text("LogBackupAnotherRegionRetentionPeriod"));
    assertEquals("1", reply.text("EnableBackupLog"));
  }

  @Test
  void modifyChangesOnlyTheLogFieldsSent() {
    AcsTestClient.Reply ok =
        h.client
            .call("ModifyLogBackupPolicy")
            .param("DBClusterId", CLUSTER)
            .param("LogBackupAnotherRegionRegion", "cn-shanghai")
            .param("LogBackupAnotherRegionRetentionPeriod", "30")
            .v3();
    assertEquals(200, ok.status(), ok.body().toString());

    AcsTestClient.Reply after = describeLog();
    assertEquals("7", after.text("LogBackupRetentionPeriod"));
    assertEquals("cn-shanghai", after.text("LogBackupAnotherRegionRegion"));
    assertEquals("30", after.text("LogBackupAnotherRegionRetentionPeriod"));
    assertEquals(
        "7",
        h.client
            .call("DescribeBackupPolicy")
            .param("DBClusterId", CLUSTER)
            .v3()
            .text("DataLevel1BackupRetentionPeriod"),
        "the data policy is another thing");
    assertEquals(1L, h.emulator.ledger().callsByAction().get("ModifyLogBackupPolicy"));
  }

  @Test
  void logBackupsCannotBeTurnedOffAndNeedARegionForACopy() {
    AcsTestClient.Reply off =
        h.client
            .call("ModifyLogBackupPolicy")
            .param("DBClusterId", CLUSTER)
            .param("EnableBackupLog", "0")
            .v3();
    assertEquals("InvalidEnableBackupLog.Malformed", off.code());
    AcsTestClient.Reply noRegion =
        h.client
            .call("ModifyLogBackupPolicy")
            .param("DBClusterId", CLUSTER)
            .param("LogBackupAnotherRegionRetentionPeriod", "-1")
            .v3();
    assertEquals("IncorrectBackupPolicy", noRegion.code());
    AcsTestClient.Reply unknown =
        h.client
            .call("ModifyLogBackupPolicy")
            .param("DBClusterId", "pc-nosuch")
            .param("LogBackupRetentionPeriod", "10")
            .v3();
    assertEquals(404, unknown.status());
    assertEquals("InvalidDBClusterId.NotFound", unknown.code());
  }

  @Test
  void theRecoveryWindowRunsFromTheEarliestSuccessfulBackupToNow() {
    AcsTestClient.Reply none = recoveryTime(CLUSTER);
    assertEquals(200, none.status());
    assertEquals("", none.text("RecoveryBeginTime"));
    assertEquals("", none.text("RecoveryEndTime"));

    h.emulator.failBackups(CLUSTER, "broken");
    h.emulator.createConsoleBackup(CLUSTER);
    h.clock.advance(Duration.ofMinutes(5));
    h.emulator.succeedBackups(CLUSTER);
    h.clock.advance(Duration.ofMillis(1500));
    String first = h.emulator.createConsoleBackup(CLUSTER);
    h.clock.advance(Duration.ofSeconds(30));
    assertEquals("", recoveryTime(CLUSTER).text("RecoveryBeginTime"), "still running");

    h.clock.advance(Duration.ofMinutes(5));
    h.emulator.createConsoleBackup(CLUSTER);
    h.clock.advance(Duration.ofMinutes(5));
    AcsTestClient.Reply window = recoveryTime(CLUSTER);
    assertEquals("2025-03-10T02:05:01Z", window.text("RecoveryBeginTime"));
    assertEquals("2025-03-10T02:15:31Z", window.text("RecoveryEndTime"));

    h.emulator.console().deleteBackup(CLUSTER, first);
    assertEquals("2025-03-10T02:10:31Z", recoveryTime(CLUSTER).text("RecoveryBeginTime"));
    assertEquals("InvalidDBClusterId.NotFound", recoveryTime("pc-nosuch").code());
  }
}
