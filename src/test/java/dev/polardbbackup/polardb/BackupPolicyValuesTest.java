package dev.polardbbackup.polardb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Reading policy replies in every spelling and shape, and working out what a Modify must send. */
class BackupPolicyValuesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode json(String text) throws Exception {
    return JSON.readTree(text);
  }

  @Test
  void theNewerSpellingWinsWhenBothAreInTheReply() throws Exception {
    BackupPolicy p =
        Replies.parseBackupPolicy(
            json(
                "{\"PreferredBackupPeriod\":\"Monday,Tuesday\",\"DataLevel1BackupPeriod\":\"Friday,Saturday\","
                    + "\"PreferredBackupTime\":\"01:00Z-02:00Z\",\"DataLevel1BackupTime\":\"03:00Z-04:00Z\","
                    + "\"BackupFrequency\":\"2/24H\",\"DataLevel1BackupFrequency\":\"3/24H\"}"));
    assertEquals("Friday,Saturday", p.dataLevel1BackupPeriod());
    assertEquals("03:00Z-04:00Z", p.dataLevel1BackupTime());
    assertEquals("3/24H", p.dataLevel1BackupFrequency());
  }

  @Test
  void aLegacyOnlyReplyWithNumbersAndAnEmptyRegionIsReadToo() throws Exception {
    BackupPolicy p =
        Replies.parseBackupPolicy(
            json(
                "{\"PreferredBackupPeriod\":\"Monday,Tuesday\",\"PreferredBackupTime\":\"01:00Z-02:00Z\","
                    + "\"BackupFrequency\":\"Normal\",\"DataLevel1BackupRetentionPeriod\":7,"
                    + "\"DataLevel2BackupRetentionPeriod\":-1,\"DataLevel2BackupAnotherRegionRegion\":\"\","
                    + "\"BackupRetentionPolicyOnClusterDeletion\":\"ALL\"}"));
    assertEquals("Monday,Tuesday", p.dataLevel1BackupPeriod());
    assertEquals("01:00Z-02:00Z", p.dataLevel1BackupTime());
    assertEquals("Normal", p.dataLevel1BackupFrequency());
    assertEquals("7", p.dataLevel1BackupRetentionPeriod());
    assertEquals("-1", p.dataLevel2BackupRetentionPeriod());
    assertNull(p.dataLevel2BackupAnotherRegionRegion());
    assertNull(p.dataLevel2BackupPeriod());
    assertEquals("ALL", p.backupRetentionPolicyOnClusterDeletion());
  }

  @Test
  void aReplyWithoutAPeriodIsNotAPolicy() {
    assertThrows(
        Replies.MalformedReply.class,
        () -> Replies.parseBackupPolicy(json("{\"RequestId\":\"r\"}")));
    assertThrows(
        Replies.MalformedReply.class,
        () -> Replies.parseLogBackupPolicy(json("{\"RequestId\":\"r\"}")));
  }

  @Test
  void recoveryWindowEndsMayBeEmptyOrAtMinutePrecision() throws Exception {
    RecoveryWindow empty =
        Replies.parseRecoveryWindow(json("{\"RecoveryBeginTime\":\"\",\"RecoveryEndTime\":\"\"}"));
    assertFalse(empty.known());
    RecoveryWindow minutes =
        Replies.parseRecoveryWindow(
            json(
                "{\"RecoveryBeginTime\":\"2026-11-01T02:03Z\",\"RecoveryEndTime\":\"2026-11-02T00:00:09Z\"}"));
    assertTrue(minutes.known());
    assertEquals(Instant.parse("2026-11-01T02:03:00Z"), minutes.recoveryBeginTime().orElseThrow());
    assertEquals(Instant.parse("2026-11-02T00:00:09Z"), minutes.recoveryEndTime().orElseThrow());
  }

  @Test
  void changesAreOnlyTheWantedFieldsThatDifferWithWeekdaysComparedAsSets() {
    BackupPolicy observed =
        new BackupPolicy(
            "Monday,Wednesday,Friday",
            "18:00Z-19:00Z",
            "7",
            "Normal",
            "Monday,Friday",
            "0",
            null,
            "0",
            "NONE");
    BackupPolicy wanted =
        BackupPolicy.empty()
            .withDataLevel1BackupPeriod("Friday, Monday,Wednesday")
            .withDataLevel1BackupRetentionPeriod("7")
            .withDataLevel2BackupRetentionPeriod("30")
            .withDataLevel2BackupAnotherRegionRegion("cn-beijing")
            .withBackupRetentionPolicyOnClusterDeletion("LATEST");

    BackupPolicy changes = wanted.changesFrom(observed);

    assertEquals(
        Map.of(
            "DataLevel2BackupRetentionPeriod", "30",
            "DataLevel2BackupAnotherRegionRegion", "cn-beijing",
            "BackupRetentionPolicyOnClusterDeletion", "LATEST"),
        changes.parameters());
    assertTrue(BackupPolicy.empty().changesFrom(observed).isEmpty());
    assertTrue(observed.changesFrom(observed).isEmpty());
  }

  @Test
  void theBackupWindowCanBeAddedFromWhatPolarDbReports() {
    BackupPolicy observed =
        new BackupPolicy("Monday,Friday", "18:00Z-19:00Z", "7", null, null, null, null, null, null);
    BackupPolicy changes =
        BackupPolicy.empty()
            .withDataLevel1BackupRetentionPeriod("10")
            .withDataLevel1BackupTime("01:00Z-02:00Z")
            .withBackupWindowFrom(observed);
    assertEquals(
        List.of(
            "DataLevel1BackupPeriod", "DataLevel1BackupTime", "DataLevel1BackupRetentionPeriod"),
        List.copyOf(changes.parameters().keySet()));
    assertEquals("Monday,Friday", changes.dataLevel1BackupPeriod());
    assertEquals("01:00Z-02:00Z", changes.dataLevel1BackupTime());
  }

  @Test
  void logPolicyChangesLeaveTheReadOnlyFlagOut() {
    LogBackupPolicy observed = new LogBackupPolicy("7", null, "0", "1");
    LogBackupPolicy wanted = new LogBackupPolicy("7", "cn-shanghai", "30", "0");
    LogBackupPolicy changes = wanted.changesFrom(observed);
    assertEquals(
        Map.of(
            "LogBackupAnotherRegionRegion",
            "cn-shanghai",
            "LogBackupAnotherRegionRetentionPeriod",
            "30"),
        changes.parameters());
    assertTrue(
        LogBackupPolicy.empty().withLogBackupRetentionPeriod("7").changesFrom(observed).isEmpty());
  }
}
