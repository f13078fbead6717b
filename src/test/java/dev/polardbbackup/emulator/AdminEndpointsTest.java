package dev.polardbbackup.emulator;

import static dev.polardbbackup.emulator.EmulatorHarness.CLUSTER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AdminEndpointsTest {
  private final EmulatorHarness h = EmulatorHarness.start();

  @AfterEach
  void stop() {
    h.close();
  }

  @Test
  void healthzAnswersOk() {
    AcsTestClient.Reply reply = h.client.adminReply("GET", "/_emulator/healthz", null);
    assertEquals(200, reply.status());
    assertEquals("ok", reply.text("status"));
  }

  @Test
  void ledgerShowsBackupsCallCountsAndTokensAndOptionallyEveryCall() {
    h.createBackup(CLUSTER, "token-1");
    h.createBackup(CLUSTER, "token-1");
    h.describeTasks(CLUSTER);

    JsonNode ledger = h.client.admin("GET", "/_emulator/ledger", null);
    assertEquals(1, ledger.path("backups").size());
    assertEquals("token-1", ledger.path("backups").get(0).path("clientToken").asText());
    assertEquals("api", ledger.path("backups").get(0).path("origin").asText());
    assertEquals("Running", ledger.path("backups").get(0).path("status").asText());
    assertEquals(2, ledger.path("callsByAction").path("CreateBackup").asInt());
    assertEquals(1, ledger.path("callsByAction").path("DescribeBackupTasks").asInt());
    assertEquals(1, ledger.path("backupsByClientToken").path("token-1").asInt());
    assertFalse(ledger.has("calls"));

    JsonNode full = h.client.admin("GET", "/_emulator/ledger?calls=true", null);
    assertEquals(3, full.path("calls").size());
    assertEquals("OK", full.path("calls").get(0).path("code").asText());
  }

  @Test
  void clustersCanBeAddedAndUpdated() {
    h.client.admin(
        "POST",
        "/_emulator/clusters",
        "{\"dbClusterId\":\"pc-added\",\"regionId\":\"cn-shanghai\",\"status\":\"Creating\"}");
    AcsTestClient.Reply added =
        h.client.call("DescribeDBClusterAttribute").param("DBClusterId", "pc-added").v3();
    assertEquals("Creating", added.text("DBClusterStatus"));
    assertEquals("cn-shanghai", added.text("RegionId"));

    h.client.admin(
        "POST", "/_emulator/clusters", "{\"dbClusterId\":\"pc-added\",\"status\":\"Running\"}");
    assertEquals(200, h.createBackup("pc-added", null).status());
  }

  @Test
  void faultsCanBeSetAndCleared() {
    h.client.admin(
        "POST",
        "/_emulator/faults",
        "{\"action\":\"CreateBackup\",\"latencyMs\":0,\"throttleRate\":1,\"serverErrorRate\":0,"
            + "\"lostResponseRate\":0}");
    assertEquals("Throttling.User", h.createBackup().code());

    h.client.admin("DELETE", "/_emulator/faults", null);
    assertEquals(200, h.createBackup().status());
  }

  @Test
  void backupOutcomeAndDurationCanBeChanged() {
    h.client.admin(
        "POST",
        "/_emulator/backup-outcome",
        "{\"dbClusterId\":\"" + CLUSTER + "\",\"fail\":true,\"reason\":\"simulated\"}");
    h.client.admin("POST", "/_emulator/backup-duration", "{\"durationMs\":1000}");
    h.createBackup();
    h.clock.advance(Duration.ofSeconds(1));
    assertEquals("Failed", h.emulator.ledger().backups().get(0).status());

    h.client.admin(
        "POST",
        "/_emulator/backup-outcome",
        "{\"dbClusterId\":\"" + CLUSTER + "\",\"fail\":false}");
    h.createBackup();
    h.clock.advance(Duration.ofSeconds(1));
    assertEquals("Success", h.emulator.ledger().backups().get(1).status());
  }

  @Test
  void consoleBackupCanBeMadeAndIsRefusedWithTheEmulatorsErrorCode() {
    String body = "{\"dbClusterId\":\"" + CLUSTER + "\"}";
    JsonNode made = h.client.admin("POST", "/_emulator/backups", body);
    String backupId = made.path("backupId").asText();
    assertEquals(h.backupIdOf(made.path("backupJobId").asText()), backupId);

    JsonNode ledger = h.client.admin("GET", "/_emulator/ledger", null);
    JsonNode console = ledger.path("backups").get(0);
    assertEquals(backupId, console.path("backupId").asText());
    assertEquals("console", console.path("origin").asText());
    assertTrue(console.path("clientToken").isNull());

    h.createBackup();
    h.createBackup();
    AcsTestClient.Reply full = h.client.adminReply("POST", "/_emulator/backups", body);
    assertEquals(403, full.status());
    assertTrue(full.text("message").contains("BackupTimesExceeded"), full.text("message"));

    AcsTestClient.Reply unknown =
        h.client.adminReply("POST", "/_emulator/backups", "{\"dbClusterId\":\"pc-nosuch\"}");
    assertEquals(404, unknown.status());
    assertTrue(unknown.text("message").contains("InvalidDBClusterId.NotFound"));
    assertEquals(400, h.client.adminReply("POST", "/_emulator/backups", "{}").status());
  }

  @Test
  void badAdminRequestsAreExplained() {
    AcsTestClient.Reply badJson = h.client.adminReply("POST", "/_emulator/faults", "{nope");
    assertEquals(400, badJson.status());
    assertTrue(badJson.text("message").contains("JSON"));

    AcsTestClient.Reply badRate =
        h.client.adminReply("POST", "/_emulator/faults", "{\"throttleRate\":2}");
    assertEquals(400, badRate.status());

    assertEquals(404, h.client.adminReply("GET", "/_emulator/nothing", null).status());
    assertEquals(
        400,
        h.client
            .adminReply("POST", "/_emulator/clusters", "{\"dbClusterId\":\"not-a-cluster\"}")
            .status());
  }

  @Test
  void ledgerShowsClonesAndTableRestoresAndTheRestoreKnobsWork() {
    h.client.admin("POST", "/_emulator/cluster-creation-duration", "{\"durationMs\":120000}");
    h.client.admin(
        "POST", "/_emulator/insufficient-capacity", "{\"action\":\"CreateDBCluster\",\"calls\":1}");
    AcsTestClient.Call clone =
        h.client
            .call("CreateDBCluster")
            .param("RegionId", "cn-hangzhou")
            .param("DBType", "MySQL")
            .param("DBVersion", "8.0")
            .param("PayType", "Postpaid")
            .param("CreationOption", "CloneFromPolarDB")
            .param("SourceResourceId", CLUSTER)
            .param("ClientToken", "r-1");
    assertEquals("InsufficientResourceCapacity", clone.v3().code());
    String id =
        h.client
            .call("CreateDBCluster")
            .param("RegionId", "cn-hangzhou")
            .param("DBType", "MySQL")
            .param("DBVersion", "8.0")
            .param("PayType", "Postpaid")
            .param("CreationOption", "CloneFromPolarDB")
            .param("SourceResourceId", CLUSTER)
            .param("ClientToken", "r-1")
            .v3()
            .text("DBClusterId");
    h.clock.advance(Duration.ofSeconds(119));
    assertEquals(
        "Creating",
        h.client
            .call("DescribeDBClusterAttribute")
            .param("DBClusterId", id)
            .v3()
            .text("DBClusterStatus"));

    JsonNode ledger = h.client.admin("GET", "/_emulator/ledger", null);
    JsonNode cluster = ledger.path("clusters").get(0);
    assertEquals(id, cluster.path("dbClusterId").asText());
    assertEquals("r-1", cluster.path("clientToken").asText());
    assertEquals(CLUSTER, cluster.path("source").asText());
    assertEquals("LATEST", cluster.path("cloneDataPoint").asText());
    assertFalse(cluster.path("deleted").asBoolean());
    assertEquals(1, ledger.path("clustersByClientToken").path("r-1").asInt());
    assertEquals(0, ledger.path("tableRestores").size());
  }
}
