package dev.polardbbackup.emulator;

import static dev.polardbbackup.emulator.EmulatorHarness.CLUSTER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** DeleteDBCluster and DescribeDBClusterEndpoints, mostly on a clone. */
class DeleteDbClusterTest {
  private final EmulatorHarness h =
      EmulatorHarness.start(b -> b.clusterCreationDuration(Duration.ofMinutes(1)));

  @AfterEach
  void stop() {
    h.close();
  }

  private String cloneOf(EmulatorHarness on) {
    AcsTestClient.Reply made =
        on.client
            .call("CreateDBCluster")
            .param("RegionId", EmulatorHarness.REGION)
            .param("DBType", "MySQL")
            .param("DBVersion", "8.0")
            .param("PayType", "Postpaid")
            .param("CreationOption", "CloneFromPolarDB")
            .param("SourceResourceId", CLUSTER)
            .v3();
    assertEquals(200, made.status(), made.body().toString());
    return made.text("DBClusterId");
  }

  private AcsTestClient.Reply delete(EmulatorHarness on, String id) {
    return on.client.call("DeleteDBCluster").param("DBClusterId", id).v3();
  }

  @Test
  void deletingACloneMakesItNotFoundAndTheLedgerSaysSo() {
    String id = cloneOf(h);
    h.clock.advance(Duration.ofMinutes(1));

    assertEquals(200, delete(h, id).status());

    AcsTestClient.Reply gone =
        h.client.call("DescribeDBClusterAttribute").param("DBClusterId", id).v3();
    assertEquals(404, gone.status());
    assertEquals("InvalidDBClusterId.NotFound", gone.code());
    assertEquals("InvalidDBClusterId.NotFound", delete(h, id).code());
    ClusterRecord record = h.emulator.ledger().clusters().get(0);
    assertTrue(record.deleted());
    assertEquals(h.clock.instant(), record.deletedAt());
    assertEquals(0, h.emulator.ledger().liveClusters().size());
  }

  @Test
  void aCreatingCloneCannotBeDeletedUnlessTheOtherReadingIsChosen() {
    String id = cloneOf(h);
    AcsTestClient.Reply refused = delete(h, id);
    assertEquals(403, refused.status());
    assertEquals("OperationDenied.DBClusterStatus", refused.code());
    assertFalse(h.emulator.ledger().clusters().get(0).deleted());

    try (EmulatorHarness lenient = EmulatorHarness.start(b -> b.deleteClusterWhileCreating(true))) {
      String creating = cloneOf(lenient);
      assertEquals(200, delete(lenient, creating).status());
      assertTrue(lenient.emulator.ledger().clusters().get(0).deleted());
    }
  }

  @Test
  void theRetentionRuleComesWithTheDeletion() {
    String backupId = h.emulator.createConsoleBackup(CLUSTER);
    h.clock.advance(Duration.ofMinutes(2));

    AcsTestClient.Reply deleted =
        h.client
            .call("DeleteDBCluster")
            .param("DBClusterId", CLUSTER)
            .param("BackupRetentionPolicyOnClusterDeletion", "ALL")
            .v3();

    assertEquals(200, deleted.status());
    assertTrue(h.emulator.ledger().backups().get(0).detached());
    assertEquals(backupId, h.emulator.ledger().backups().get(0).backupId());
    assertEquals(
        "InvalidBackupRetentionPolicyOnClusterDeletion.Malformed",
        h.client
            .call("DeleteDBCluster")
            .param("DBClusterId", EmulatorHarness.OTHER_CLUSTER)
            .param("BackupRetentionPolicyOnClusterDeletion", "SOME")
            .v3()
            .code());
  }

  @Test
  void aCloneHasAnEndpointOnceRunning() {
    String id = cloneOf(h);
    AcsTestClient.Reply creating =
        h.client.call("DescribeDBClusterEndpoints").param("DBClusterId", id).v3();
    assertEquals(0, creating.body().path("Items").size());

    h.clock.advance(Duration.ofMinutes(1));
    AcsTestClient.Reply running =
        h.client.call("DescribeDBClusterEndpoints").param("DBClusterId", id).v3();

    var address = running.body().path("Items").get(0).path("AddressItems").get(0);
    assertEquals(id + ".rwlb.rds.aliyuncs.com", address.path("ConnectionString").asText());
    assertEquals("3306", address.path("Port").asText());
    assertNotNull(running.body().path("Items").get(0).path("DBEndpointId").asText(null));
  }

  @Test
  void aConsoleDeletionOfACloneShowsInTheLedgerToo() {
    String id = cloneOf(h);
    h.clock.advance(Duration.ofMinutes(1));

    h.emulator.console().deleteCluster(id);

    assertTrue(h.emulator.ledger().clusters().get(0).deleted());
  }
}
