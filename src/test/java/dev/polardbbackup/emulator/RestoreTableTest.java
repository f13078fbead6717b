package dev.polardbbackup.emulator;

import static dev.polardbbackup.emulator.EmulatorHarness.CLUSTER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** DescribeMetaList and RestoreTable: what a backup can give back, and giving it back. */
class RestoreTableTest {
  private final EmulatorHarness h = EmulatorHarness.start();
  private String backupId;
  private String db;
  private String table;

  @BeforeEach
  void oneSucceededBackup() {
    backupId = h.emulator.createConsoleBackup(CLUSTER);
    h.clock.advance(Duration.ofMinutes(2));
    Map.Entry<String, List<String>> first =
        h.emulator.databasesOf(CLUSTER).entrySet().iterator().next();
    db = first.getKey();
    table = first.getValue().get(0);
  }

  @AfterEach
  void stop() {
    h.close();
  }

  private AcsTestClient.Call restore(String newName) {
    return h.client
        .call("RestoreTable")
        .param("DBClusterId", CLUSTER)
        .param("BackupId", backupId)
        .param(
            "TableMeta",
            "[{\"name\":\""
                + db
                + "\",\"type\":\"db\",\"newname\":\""
                + newName
                + "\",\"tables\":[{\"name\":\""
                + table
                + "\",\"type\":\"table\",\"newname\":\""
                + table
                + "\"}]}]");
  }

  private List<String> listedDatabases(AcsTestClient.Reply reply) {
    List<String> names = new ArrayList<>();
    reply.body().path("Items").forEach(item -> names.add(item.path("Database").asText()));
    return names;
  }

  private AcsTestClient.Call metaList() {
    return h.client.call("DescribeMetaList").param("DBClusterId", CLUSTER);
  }

  @Test
  void metaListShowsTheInventedDatabasesWithTheirTables() {
    AcsTestClient.Reply reply = metaList().param("BackupId", backupId).v3();

    assertEquals(200, reply.status(), reply.body().toString());
    assertEquals(List.copyOf(h.emulator.databasesOf(CLUSTER).keySet()), listedDatabases(reply));
    JsonNode first = reply.body().path("Items").get(0);
    assertTrue(first.path("Tables").size() >= 2, first.toString());
    assertEquals(
        Integer.toString(h.emulator.databasesOf(CLUSTER).size()), reply.text("TotalRecordCount"));

    AcsTestClient.Reply one = metaList().param("BackupId", backupId).param("GetDbName", db).v3();
    assertEquals(List.of(db), listedDatabases(one));
  }

  @Test
  void restoreTableThenARepeatIsADuplicate() {
    AcsTestClient.Reply restored = restore(db + "_restored").v3();

    assertEquals(200, restored.status(), restored.body().toString());
    assertTrue(listedDatabases(metaList().v3()).contains(db + "_restored"));
    assertEquals(List.of(table), h.emulator.databasesOf(CLUSTER).get(db + "_restored"));
    TableRestoreRecord record = h.emulator.ledger().tableRestores().get(0);
    assertEquals(Map.of(db, db + "_restored"), record.databases());
    assertEquals(backupId, record.backupId());

    AcsTestClient.Reply repeat = restore(db + "_restored").v3();
    assertEquals(400, repeat.status());
    assertEquals("InvalidDBName.Duplicate", repeat.code());
    assertEquals(1, h.emulator.ledger().tableRestores().size());
  }

  @Test
  void theBackupSetHoldsWhatTheClusterHeldWhenItWasTaken() {
    restore("later_db").v3();

    assertFalse(listedDatabases(metaList().param("BackupId", backupId).v3()).contains("later_db"));
    assertTrue(listedDatabases(metaList().v3()).contains("later_db"));
  }

  @Test
  void restoreInPlaceIsADuplicate() {
    assertEquals("InvalidDBName.Duplicate", restore(db).v3().code());
  }

  @Test
  void aRestoreTimeOutsideTheLastSevenDaysIsRefused() {
    h.clock.advance(Duration.ofDays(8));
    Instant eightDaysAgo = h.clock.instant().minus(Duration.ofDays(8));

    AcsTestClient.Reply old =
        restore("x")
            .param("BackupId", "")
            .param("RestoreTime", WireTime.minutes(eightDaysAgo))
            .v3();

    assertEquals(400, old.status());
    assertEquals("InvalidRestoreTime.Format", old.code());
    AcsTestClient.Reply future =
        restore("x")
            .param("BackupId", "")
            .param("RestoreTime", WireTime.minutes(h.clock.instant().plus(Duration.ofHours(1))))
            .v3();
    assertEquals("InvalidRestoreTime.Format", future.code());
    assertEquals(
        "InvalidRestoreTime.Format",
        restore("x").param("BackupId", "").param("RestoreTime", "2025-03-10 02:00").v3().code());
  }

  @Test
  void aRestoreTimeBeforeAnyBackupIsNotFound() {
    AcsTestClient.Reply before =
        restore("x")
            .param("BackupId", "")
            .param("RestoreTime", WireTime.minutes(EmulatorHarness.START.minusSeconds(60)))
            .v3();

    assertEquals(404, before.status());
    assertEquals("InvalidBackup.NotFound", before.code());
    AcsTestClient.Reply inside =
        restore("x")
            .param("BackupId", "")
            .param("RestoreTime", WireTime.minutes(h.clock.instant()))
            .v3();
    assertEquals(200, inside.status(), inside.body().toString());
    assertEquals(null, h.emulator.ledger().tableRestores().get(0).backupId());
  }

  @Test
  void theBackupSetMustExistAndHaveSucceeded() {
    assertEquals("InvalidBackupSetID.NotFound", restore("x").param("BackupId", "1").v3().code());
    String running = h.createBackup().text("BackupJobId");
    String runningSet = h.backupIdOf(running);
    AcsTestClient.Reply refused = restore("x").param("BackupId", runningSet).v3();
    assertEquals(400, refused.status());
    assertEquals("IncorrectBackupSetState", refused.code());
  }

  @Test
  void clusterTableMetaAndSourceAreChecked() {
    AcsTestClient.Reply unknown = restore("x").param("DBClusterId", "pc-nosuch").v3();
    assertEquals(404, unknown.status());
    assertEquals("InvalidDBClusterId.NotFound", unknown.code());
    assertEquals("InvalidTableMeta.Malformed", restore("x").param("TableMeta", "{").v3().code());
    assertEquals("MissingBackupId", restore("x").param("BackupId", "").v3().code());
    assertEquals(
        "InvalidDBName.NotFound",
        restore("x").param("TableMeta", "[{\"name\":\"nosuch\",\"type\":\"db\"}]").v3().code());
    assertEquals(0, h.emulator.ledger().tableRestores().size());
  }

  @Test
  void outOfStockIsRefusedAndRestoresNothing() {
    h.emulator.shortOfCapacityNext("RestoreTable", 1);

    assertEquals("InsufficientResourceCapacity", restore("y").v3().code());
    assertFalse(h.emulator.databasesOf(CLUSTER).containsKey("y"));
    assertEquals(200, restore("y").v3().status());
  }

  @Test
  void aLostReplyStillRestoresAndTheRetryIsADuplicate() {
    h.emulator.setFault("RestoreTable", FaultSpec.lostResponses(1.0));

    try {
      h.client.sendRaw(restore("z").v3Request());
    } catch (Exception expected) {
      // the connection was dropped on purpose
    }

    assertTrue(h.emulator.databasesOf(CLUSTER).containsKey("z"));
    h.emulator.clearFaults();
    assertEquals("InvalidDBName.Duplicate", restore("z").v3().code());
  }

  @Test
  void theStricterReadingNeedsABackupOrATime() {
    try (EmulatorHarness strict = EmulatorHarness.start(b -> b.metaListNeedsBackupOrTime(true))) {
      AcsTestClient.Reply reply =
          strict.client.call("DescribeMetaList").param("DBClusterId", CLUSTER).v3();
      assertEquals(400, reply.status());
      assertEquals("MissingBackupId", reply.code());
    }
  }
}
