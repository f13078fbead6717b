package dev.polardbbackup.emulator;

import static dev.polardbbackup.emulator.EmulatorHarness.CLUSTER;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every policy field at and around the edges of its documented range, one Modify call each. */
class BackupPolicyValidationTest {
  private EmulatorHarness h;

  @AfterEach
  void stop() {
    if (h != null) {
      h.close();
    }
  }

  private AcsTestClient.Reply modify(String action, String field, String value) {
    return h.client.call(action).param("DBClusterId", CLUSTER).param(field, value).v3();
  }

  /**
   * The value was kept (as the next Describe reports it) or refused with the code, changing
   * nothing.
   */
  private void assertAnswer(String action, String field, String value, String expected) {
    String describe = action.replace("Modify", "Describe");
    String before = h.client.call(describe).param("DBClusterId", CLUSTER).v3().text(field);
    AcsTestClient.Reply reply = modify(action, field, value);
    assertEquals(expected, reply.code(), field + "=" + value + ": " + reply.body());
    String after = h.client.call(describe).param("DBClusterId", CLUSTER).v3().text(field);
    if (expected.equals("OK")) {
      assertEquals(200, reply.status());
    } else {
      assertEquals(400, reply.status(), reply.body().toString());
      assertEquals(before, after, "a refused value changes nothing");
    }
  }

  @ParameterizedTest(name = "{0}={1} -> {2}")
  @CsvSource(
      delimiter = ';',
      value = {
        // level-1 period: weekdays, at least two, each once
        "DataLevel1BackupPeriod; Monday,Tuesday; OK",
        "DataLevel1BackupPeriod; Monday; InvalidDataLevel1BackupPeriod.Malformed",
        "DataLevel1BackupPeriod; Monday,Monday; InvalidDataLevel1BackupPeriod.Malformed",
        "DataLevel1BackupPeriod; Monday,Funday; InvalidDataLevel1BackupPeriod.Malformed",
        "DataLevel1BackupPeriod; monday,tuesday; InvalidDataLevel1BackupPeriod.Malformed",
        "DataLevel1BackupPeriod; Monday, Tuesday; InvalidDataLevel1BackupPeriod.Malformed",
        "DataLevel1BackupPeriod; Monday,Tuesday,Wednesday,Thursday,Friday,Saturday,Sunday; OK",
        "PreferredBackupPeriod; Saturday,Sunday; OK",
        "PreferredBackupPeriod; Sunday; InvalidPreferredBackupPeriod.Malformed",
        "DataLevel2BackupPeriod; Monday,Friday; OK",
        "DataLevel2BackupPeriod; Friday; InvalidDataLevel2BackupPeriod.Malformed",
        // level-1 window: one hour on the hour, UTC
        "DataLevel1BackupTime; 14:00Z-15:00Z; OK",
        "DataLevel1BackupTime; 23:00Z-00:00Z; OK",
        "DataLevel1BackupTime; 14:00Z-16:00Z; InvalidDataLevel1BackupTime.Malformed",
        "DataLevel1BackupTime; 14:30Z-15:30Z; InvalidDataLevel1BackupTime.Malformed",
        "DataLevel1BackupTime; 14:00-15:00; InvalidDataLevel1BackupTime.Malformed",
        "DataLevel1BackupTime; 24:00Z-01:00Z; InvalidDataLevel1BackupTime.Malformed",
        "DataLevel1BackupTime; 15:00Z-14:00Z; InvalidDataLevel1BackupTime.Malformed",
        "PreferredBackupTime; 02:00Z-03:00Z; OK",
        "PreferredBackupTime; 2:00Z-3:00Z; InvalidPreferredBackupTime.Malformed",
        // level-1 retention, default reading 3-14
        "DataLevel1BackupRetentionPeriod; 2; InvalidDataLevel1BackupRetentionPeriod.Malformed",
        "DataLevel1BackupRetentionPeriod; 3; OK",
        "DataLevel1BackupRetentionPeriod; 14; OK",
        "DataLevel1BackupRetentionPeriod; 15; InvalidDataLevel1BackupRetentionPeriod.Malformed",
        "DataLevel1BackupRetentionPeriod; 30; InvalidDataLevel1BackupRetentionPeriod.Malformed",
        "DataLevel1BackupRetentionPeriod; -1; InvalidDataLevel1BackupRetentionPeriod.Malformed",
        "DataLevel1BackupRetentionPeriod; 0; InvalidDataLevel1BackupRetentionPeriod.Malformed",
        "DataLevel1BackupRetentionPeriod; seven; InvalidDataLevel1BackupRetentionPeriod.Malformed",
        "DataLevel1BackupRetentionPeriod; 07; InvalidDataLevel1BackupRetentionPeriod.Malformed",
        // frequency
        "DataLevel1BackupFrequency; Normal; OK",
        "DataLevel1BackupFrequency; 2/24H; OK",
        "DataLevel1BackupFrequency; 3/24H; OK",
        "DataLevel1BackupFrequency; 4/24H; OK",
        "DataLevel1BackupFrequency; 5/24H; InvalidDataLevel1BackupFrequency.Malformed",
        "DataLevel1BackupFrequency; normal; InvalidDataLevel1BackupFrequency.Malformed",
        "BackupFrequency; 2/24H; OK",
        "BackupFrequency; Hourly; InvalidBackupFrequency.Malformed",
        // level-2 retention: 0 off, 30-7300, -1 for ever
        "DataLevel2BackupRetentionPeriod; 0; OK",
        "DataLevel2BackupRetentionPeriod; 29; InvalidDataLevel2BackupRetentionPeriod.Malformed",
        "DataLevel2BackupRetentionPeriod; 30; OK",
        "DataLevel2BackupRetentionPeriod; 7300; OK",
        "DataLevel2BackupRetentionPeriod; 7301; InvalidDataLevel2BackupRetentionPeriod.Malformed",
        "DataLevel2BackupRetentionPeriod; -1; OK",
        "DataLevel2BackupRetentionPeriod; -2; InvalidDataLevel2BackupRetentionPeriod.Malformed",
        "DataLevel2BackupAnotherRegionRetentionPeriod; 0; OK",
        "DataLevel2BackupAnotherRegionRetentionPeriod; 29;"
            + " InvalidDataLevel2BackupAnotherRegionRetentionPeriod.Malformed",
        "DataLevel2BackupAnotherRegionRetentionPeriod; 7301;"
            + " InvalidDataLevel2BackupAnotherRegionRetentionPeriod.Malformed",
        // another region
        "DataLevel2BackupAnotherRegionRegion; cn-shanghai; OK",
        "DataLevel2BackupAnotherRegionRegion; mars-north-1;"
            + " InvalidDataLevel2AnotherRegionRegion.NotFound",
        // what survives deleting the cluster
        "BackupRetentionPolicyOnClusterDeletion; ALL; OK",
        "BackupRetentionPolicyOnClusterDeletion; LATEST; OK",
        "BackupRetentionPolicyOnClusterDeletion; NONE; OK",
        "BackupRetentionPolicyOnClusterDeletion; all;"
            + " InvalidBackupRetentionPolicyOnClusterDeletion.Malformed",
        "BackupRetentionPolicyOnClusterDeletion; SOME;"
            + " InvalidBackupRetentionPolicyOnClusterDeletion.Malformed",
      })
  void backupPolicyFieldsAreCheckedAtTheirEdges(String field, String value, String expected) {
    h = EmulatorHarness.start();
    assertAnswer("ModifyBackupPolicy", field, value, expected);
  }

  @ParameterizedTest(name = "{0}={1} -> {2}")
  @CsvSource(
      delimiter = ';',
      value = {
        "LogBackupRetentionPeriod; 2; InvalidLogBackupRetentionPeriod.Malformed",
        "LogBackupRetentionPeriod; 3; OK",
        "LogBackupRetentionPeriod; 7300; OK",
        "LogBackupRetentionPeriod; 7301; InvalidLogBackupRetentionPeriod.Malformed",
        "LogBackupRetentionPeriod; -1; OK",
        "LogBackupRetentionPeriod; 0; InvalidLogBackupRetentionPeriod.Malformed",
        "LogBackupAnotherRegionRetentionPeriod; 0; OK",
        "LogBackupAnotherRegionRetentionPeriod; 29;"
            + " InvalidLogBackupAnotherRegionRetentionPeriod.Malformed",
        "LogBackupAnotherRegionRetentionPeriod; 7301;"
            + " InvalidLogBackupAnotherRegionRetentionPeriod.Malformed",
        "LogBackupAnotherRegionRegion; ap-southeast-1; OK",
        "LogBackupAnotherRegionRegion; nowhere; InvalidLogBackupAnotherRegionRegion.NotFound",
      })
  void logBackupPolicyFieldsAreCheckedAtTheirEdges(String field, String value, String expected) {
    h = EmulatorHarness.start();
    assertAnswer("ModifyLogBackupPolicy", field, value, expected);
  }

  @ParameterizedTest(name = "retention {0} under the 3-30 reading -> {1}")
  @CsvSource({
    "2, InvalidDataLevel1BackupRetentionPeriod.Malformed",
    "3, OK",
    "14, OK",
    "15, OK",
    "30, OK",
    "31, InvalidDataLevel1BackupRetentionPeriod.Malformed",
  })
  void terraformsReadingAcceptsLevel1RetentionUpTo30Days(String value, String expected) {
    h =
        EmulatorHarness.start(
            b -> b.policyReadings(PolicyReadings.defaults().withLevel1RetentionMaxDays(30)));
    assertAnswer("ModifyBackupPolicy", "DataLevel1BackupRetentionPeriod", value, expected);
  }
}
