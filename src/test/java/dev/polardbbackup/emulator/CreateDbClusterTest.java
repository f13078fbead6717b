package dev.polardbbackup.emulator;

import static dev.polardbbackup.emulator.EmulatorHarness.CLUSTER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** CreateDBCluster as a clone of a cluster: its checks, its ClientToken and the new cluster. */
class CreateDbClusterTest {
  private final EmulatorHarness h =
      EmulatorHarness.start(b -> b.clusterCreationDuration(Duration.ofMinutes(5)));

  @AfterEach
  void stop() {
    h.close();
  }

  /** A complete, valid clone request of {@link EmulatorHarness#CLUSTER} as of now. */
  private AcsTestClient.Call cloneRequest() {
    return h.client
        .call("CreateDBCluster")
        .param("RegionId", EmulatorHarness.REGION)
        .param("DBType", "MySQL")
        .param("DBVersion", "8.0")
        .param("PayType", "Postpaid")
        .param("DBNodeClass", "polar.mysql.x4.medium")
        .param("CreationOption", "CloneFromPolarDB")
        .param("SourceResourceId", CLUSTER)
        .param("ZoneId", "cn-hangzhou-i")
        .param("VPCId", "vpc-test")
        .param("VSwitchId", "vsw-test")
        .param("ClusterNetworkType", "VPC")
        .param("DBClusterDescription", "restore of pc-test1")
        .param("Tag.1.Key", "polardb-backup/restore")
        .param("Tag.1.Value", "ns/r1");
  }

  private AcsTestClient.Reply attribute(String id) {
    return h.client.call("DescribeDBClusterAttribute").param("DBClusterId", id).v3();
  }

  private Map<String, List<String>> databases(String id) {
    return h.emulator.databasesOf(id);
  }

  @Test
  void aCloneIsCreatingForTheConfiguredTimeThenRunning() {
    AcsTestClient.Reply made = cloneRequest().v3();

    assertEquals(200, made.status(), made.body().toString());
    String id = made.text("DBClusterId");
    assertTrue(Clusters.wellFormed(id), id);
    assertNotNull(made.text("OrderId"));
    assertNotNull(made.text("ResourceGroupId"));
    assertEquals("Creating", attribute(id).text("DBClusterStatus"));
    assertEquals("restore of pc-test1", attribute(id).text("DBClusterDescription"));

    h.clock.advance(Duration.ofMinutes(5).minusSeconds(1));
    assertEquals("Creating", attribute(id).text("DBClusterStatus"));
    h.clock.advance(Duration.ofSeconds(1));
    assertEquals("Running", attribute(id).text("DBClusterStatus"));
  }

  @Test
  void theSameClientTokenGetsTheSameClusterAndMakesNoOther() {
    AcsTestClient.Reply first = cloneRequest().param("ClientToken", "restore-r1").v3();
    h.clock.advance(Duration.ofMinutes(1));
    AcsTestClient.Reply again = cloneRequest().param("ClientToken", "restore-r1").v3();

    assertEquals(200, again.status());
    assertEquals(first.text("DBClusterId"), again.text("DBClusterId"));
    assertEquals(first.text("OrderId"), again.text("OrderId"));
    Ledger ledger = h.emulator.ledger();
    assertEquals(1, ledger.clustersCreatedWithToken("restore-r1"));
    assertEquals(1, ledger.clusters().size());
    assertEquals(CLUSTER, ledger.clusters().get(0).sourceDbClusterId());
    assertEquals("LATEST", ledger.clusters().get(0).cloneDataPoint());
    assertEquals(Map.of("polardb-backup/restore", "ns/r1"), ledger.clusters().get(0).tags());
  }

  @Test
  void theSameTokenWithOtherParametersIsAMismatch() {
    cloneRequest().param("ClientToken", "restore-r2").v3();
    AcsTestClient.Reply other =
        cloneRequest()
            .param("ClientToken", "restore-r2")
            .param("DBNodeClass", "polar.mysql.x8.large")
            .v3();

    assertEquals(400, other.status());
    assertEquals("IdempotentParameterMismatch", other.code());
    assertEquals(1, h.emulator.ledger().clusters().size());
  }

  @Test
  void aForgottenTokenMakesASecondCluster() {
    try (EmulatorHarness shortMemory =
        EmulatorHarness.start(b -> b.tokenTtl(Duration.ofHours(1)))) {
      AcsTestClient.Call call =
          shortMemory
              .client
              .call("CreateDBCluster")
              .param("RegionId", "cn-hangzhou")
              .param("DBType", "MySQL")
              .param("DBVersion", "8.0")
              .param("PayType", "Postpaid")
              .param("ClientToken", "t");
      String first = call.v3().text("DBClusterId");
      shortMemory.clock.advance(Duration.ofHours(2));
      String second =
          call.nonce("n2").timestamp(shortMemory.clock.instant()).v3().text("DBClusterId");

      assertNotEquals(first, second);
      assertEquals(2, shortMemory.emulator.ledger().clustersCreatedWithToken("t"));
    }
  }

  // The emulator's side of a lost reply: the cluster exists and the token replays it.
  @Test
  void aLostReplyStillCreatesExactlyOneClusterAndARetryGetsItsId() {
    h.emulator.setFault("CreateDBCluster", FaultSpec.lostResponses(1.0));

    assertThrows(
        IOException.class,
        () -> h.client.sendRaw(cloneRequest().param("ClientToken", "lost-r").v3Request()));

    Ledger ledger = h.emulator.ledger();
    assertEquals(1, ledger.clustersCreatedWithToken("lost-r"));
    assertEquals(ApiCall.LOST_RESPONSE, ledger.callsTo("CreateDBCluster").get(0).code());

    h.emulator.clearFaults();
    AcsTestClient.Reply retry = cloneRequest().param("ClientToken", "lost-r").v3();
    assertEquals(200, retry.status());
    assertEquals(ledger.clusters().get(0).dbClusterId(), retry.text("DBClusterId"));
    assertEquals(1, h.emulator.ledger().clustersCreatedWithToken("lost-r"));
  }

  @Test
  void throttlingAndServerErrorsMakeNoCluster() {
    h.emulator.throttleNext("CreateDBCluster", 1, Duration.ofMillis(500));
    assertEquals("Throttling.User", cloneRequest().param("ClientToken", "x").v3().code());
    h.emulator.setFault("CreateDBCluster", FaultSpec.serverErrors(1.0));
    assertEquals(5, cloneRequest().param("ClientToken", "x").v3().status() / 100);

    assertEquals(0, h.emulator.ledger().clusters().size());
  }

  @Test
  void outOfStockIsRefusedAndMakesNothingThenPasses() {
    h.emulator.shortOfCapacityNext("CreateDBCluster", 1);

    AcsTestClient.Reply refused = cloneRequest().param("ClientToken", "stock").v3();
    assertEquals(400, refused.status());
    assertEquals("InsufficientResourceCapacity", refused.code());
    assertEquals(0, h.emulator.ledger().clusters().size());

    assertEquals(200, cloneRequest().param("ClientToken", "stock").v3().status());
    assertEquals(1, h.emulator.ledger().clustersCreatedWithToken("stock"));
  }

  @Test
  void theCloneCarriesTheSourceDatabases() {
    String id = cloneRequest().v3().text("DBClusterId");

    assertFalse(databases(CLUSTER).isEmpty());
    assertEquals(databases(CLUSTER), databases(id));
    assertEquals(databases(CLUSTER), h.emulator.databasesOf(CLUSTER), "the same for the same seed");
  }

  @Test
  void aCloneFromABackupSetCarriesWhatTheSourceHeldThen() {
    String backupId = h.emulator.createConsoleBackup(CLUSTER);
    h.clock.advance(Duration.ofMinutes(2));
    Map<String, List<String>> atBackup = databases(CLUSTER);
    restoreInto(CLUSTER, "late_db");

    String id = cloneRequest().param("CloneDataPoint", backupId).v3().text("DBClusterId");

    assertEquals(atBackup, databases(id));
    assertTrue(databases(CLUSTER).containsKey("late_db"));
    assertEquals(backupId, h.emulator.ledger().clusters().get(0).cloneDataPoint());
  }

  private void restoreInto(String cluster, String newName) {
    String db = databases(cluster).keySet().iterator().next();
    AcsTestClient.Reply restored =
        h.client
            .call("RestoreTable")
            .param("DBClusterId", cluster)
            .param("RestoreTime", WireTime.minutes(h.clock.instant()))
            .param(
                "TableMeta",
                "[{\"name\":\"" + db + "\",\"type\":\"db\",\"newname\":\"" + newName + "\"}]")
            .v3();
    assertEquals(200, restored.status(), restored.body().toString());
  }

  @Test
  void aBackupSetMustBeTheSourcesAndSucceeded() {
    h.emulator.failBackups(CLUSTER, "disk full");
    String failed = h.emulator.createConsoleBackup(CLUSTER);
    String running = h.createBackup().text("BackupJobId");

    assertEquals(
        "InvalidBackupSetID.NotFound", cloneRequest().param("CloneDataPoint", "999").v3().code());
    h.clock.advance(Duration.ofSeconds(61));
    AcsTestClient.Reply refused = cloneRequest().param("CloneDataPoint", failed).v3();
    assertEquals(400, refused.status());
    assertEquals("IncorrectBackupSetState", refused.code());
    assertNotNull(running);
    assertEquals(0, h.emulator.ledger().clusters().size());
  }

  @Test
  void aPointInTimeMustLieInTheRecoverableWindow() {
    Instant before = h.clock.instant();
    h.emulator.createConsoleBackup(CLUSTER);
    h.clock.advance(Duration.ofHours(1));

    AcsTestClient.Reply early =
        cloneRequest().param("CloneDataPoint", WireTime.seconds(before.minusSeconds(1))).v3();
    assertEquals(400, early.status());
    assertEquals("InvalidCloneDataPoint.OutOfRange", early.code());
    AcsTestClient.Reply future =
        cloneRequest()
            .param("CloneDataPoint", WireTime.seconds(h.clock.instant().plusSeconds(60)))
            .v3();
    assertEquals("InvalidCloneDataPoint.OutOfRange", future.code());
    assertEquals(
        "InvalidCloneDataPoint.Malformed",
        cloneRequest().param("CloneDataPoint", "2025-13-01T00:00:00Z").v3().code());

    AcsTestClient.Reply inside =
        cloneRequest()
            .param("CloneDataPoint", WireTime.seconds(before.plus(Duration.ofMinutes(30))))
            .v3();
    assertEquals(200, inside.status(), inside.body().toString());
  }

  @Test
  void theSourceMustExistAndBeRunning() {
    AcsTestClient.Reply unknown = cloneRequest().param("SourceResourceId", "pc-nosuch").v3();
    assertEquals(404, unknown.status());
    assertEquals("InvalidDBClusterId.NotFound", unknown.code());

    h.emulator.setClusterStatus(CLUSTER, "Stopped");
    AcsTestClient.Reply stopped = cloneRequest().v3();
    assertEquals(403, stopped.status());
    assertEquals("OperationDenied.DBClusterStatus", stopped.code());
  }

  @Test
  void requiredFieldsAndValuesAreChecked() {
    assertEquals("MissingRegionId", cloneRequest().param("RegionId", "").v3().code());
    assertEquals("MissingDBVersion", cloneRequest().param("DBVersion", "").v3().code());
    assertEquals("InvalidDBType.Malformed", cloneRequest().param("DBType", "Redis").v3().code());
    assertEquals("InvalidPayType.Malformed", cloneRequest().param("PayType", "Free").v3().code());
    assertEquals(
        "MissingSourceResourceId", cloneRequest().param("SourceResourceId", "").v3().code());
    assertEquals(
        "InvalidCreationOption.NotSupported",
        cloneRequest().param("CreationOption", "CloneFromRDS").v3().code());
    assertEquals(
        "InvalidCreationOption.Malformed",
        cloneRequest().param("CreationOption", "Copy").v3().code());
    assertEquals(
        "InvalidClientToken.Malformed",
        cloneRequest().param("ClientToken", "x".repeat(65)).v3().code());
    assertEquals(
        "InvalidClusterNetworkType.Malformed",
        cloneRequest().param("ClusterNetworkType", "Classic").v3().code());
    assertEquals("InvalidTag.Malformed", cloneRequest().param("Tag.21.Key", "k").v3().code());
    assertEquals(
        "InvalidBackupRetentionPolicyOnClusterDeletion.Malformed",
        cloneRequest().param("BackupRetentionPolicyOnClusterDeletion", "SOME").v3().code());
    assertEquals(0, h.emulator.ledger().clusters().size());
  }

  @Test
  void twentyTagsAreAccepted() {
    AcsTestClient.Call call = cloneRequest();
    for (int n = 2; n <= 20; n++) {
      call.param("Tag." + n + ".Key", "k" + n).param("Tag." + n + ".Value", "v" + n);
    }
    assertEquals(200, call.v3().status());
    assertEquals(20, h.emulator.ledger().clusters().get(0).tags().size());
  }
}
