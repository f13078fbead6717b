package dev.polardbbackup.emulator;

import static dev.polardbbackup.emulator.EmulatorHarness.CLUSTER;
import static dev.polardbbackup.emulator.EmulatorHarness.OTHER_CLUSTER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Deleting a cluster or a backup set behind the operator's back, and what survives it. */
class ClusterDeletionTest {
  private final EmulatorHarness h = EmulatorHarness.start();
  private String oldest;
  private String newestSucceeded;
  private String failed;

  @AfterEach
  void stop() {
    h.close();
  }

  /** Two successful backup sets, then a failed newer one. */
  private void threeBackups() {
    oldest = h.emulator.createConsoleBackup(CLUSTER);
    h.clock.advance(Duration.ofMinutes(5));
    newestSucceeded = h.emulator.createConsoleBackup(CLUSTER);
    h.clock.advance(Duration.ofMinutes(5));
    h.emulator.failBackups(CLUSTER, "disk full");
    failed = h.emulator.createConsoleBackup(CLUSTER);
    h.clock.advance(Duration.ofMinutes(5));
  }

  private void retainOnDeletion(String rule) {
    h.emulator
        .console()
        .changeBackupPolicy(CLUSTER, Map.of("BackupRetentionPolicyOnClusterDeletion", rule));
  }

  private BackupRecord record(String backupId) {
    return h.emulator.ledger().backups().stream()
        .filter(b -> b.backupId().equals(backupId))
        .findFirst()
        .orElseThrow();
  }

  private void assertClusterGone() {
    AcsTestClient.Reply backups = h.describeBackups(CLUSTER).v3();
    assertEquals(404, backups.status());
    assertEquals("InvalidDBClusterId.NotFound", backups.code());
    assertEquals("InvalidDBClusterId.NotFound", h.describeTasks(CLUSTER).code());
    assertEquals(
        "InvalidDBClusterId.NotFound",
        h.client.call("DescribeBackupPolicy").param("DBClusterId", CLUSTER).v3().code());
    assertEquals(
        "InvalidDBClusterId.NotFound",
        h.client.call("DescribeDBClusterAttribute").param("DBClusterId", CLUSTER).v3().code());
  }

  @Test
  void noneDeletesEveryBackupSetWithTheCluster() {
    threeBackups();

    ClusterDeletion deletion = h.emulator.console().deleteCluster(CLUSTER);

    assertEquals("NONE", deletion.backupRetentionPolicyOnClusterDeletion(), "the default");
    assertEquals(List.of(), deletion.keptBackupIds());
    assertEquals(List.of(failed, newestSucceeded, oldest), deletion.deletedBackupIds());
    for (String id : List.of(oldest, newestSucceeded, failed)) {
      assertTrue(record(id).deleted(), id);
      assertFalse(record(id).detached(), id);
    }
    assertClusterGone();
    assertEquals(200, h.describeBackups(OTHER_CLUSTER).v3().status(), "others are untouched");
  }

  @Test
  void latestKeepsOnlyTheNewestSuccessfulSet() {
    threeBackups();
    retainOnDeletion("LATEST");

    ClusterDeletion deletion = h.emulator.console().deleteCluster(CLUSTER);

    assertEquals(List.of(newestSucceeded), deletion.keptBackupIds());
    assertEquals(List.of(failed, oldest), deletion.deletedBackupIds());
    assertTrue(record(newestSucceeded).detached());
    assertFalse(record(newestSucceeded).deleted());
    assertTrue(record(oldest).deleted());
    assertTrue(record(failed).deleted());
    assertClusterGone();
  }

  @Test
  void allKeepsEverySetDetached() {
    threeBackups();
    retainOnDeletion("ALL");

    ClusterDeletion deletion = h.emulator.console().deleteCluster(CLUSTER);

    assertEquals(List.of(failed, newestSucceeded, oldest), deletion.keptBackupIds());
    assertEquals(List.of(), deletion.deletedBackupIds());
    for (String id : List.of(oldest, newestSucceeded, failed)) {
      assertTrue(record(id).detached(), id);
      assertFalse(record(id).deleted(), id);
    }
    assertClusterGone();
  }

  @Test
  void theRuleCanBeGivenWithTheDeletionAsDeleteDbClusterAllows() {
    threeBackups();
    retainOnDeletion("NONE");

    ClusterDeletion deletion = h.emulator.console().deleteCluster(CLUSTER, "ALL");

    assertEquals("ALL", deletion.backupRetentionPolicyOnClusterDeletion());
    assertEquals(3, deletion.keptBackupIds().size());
  }

  @Test
  void aDeletedBackupSetIsNoLongerListedAndCannotBeDeletedTwice() {
    String id = h.emulator.createConsoleBackup(CLUSTER);
    h.clock.advance(Duration.ofMinutes(5));

    h.emulator.console().deleteBackup(CLUSTER, id);

    assertTrue(record(id).deleted());
    assertEquals(0, h.describeBackups(CLUSTER).v3().body().path("Items").path("Backup").size());
    assertEquals("InvalidBackupSetID.NotFound", h.deleteBackup(CLUSTER, id).code());
    IllegalStateException again =
        assertThrows(
            IllegalStateException.class, () -> h.emulator.console().deleteBackup(CLUSTER, id));
    assertTrue(again.getMessage().startsWith("InvalidBackupSetID.NotFound: "), again.getMessage());
  }

  @Test
  void anUnknownClusterCannotBeDeleted() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class, () -> h.emulator.console().deleteCluster("pc-nosuch"));
    assertTrue(e.getMessage().startsWith("InvalidDBClusterId.NotFound: "), e.getMessage());
    assertThrows(
        IllegalStateException.class, () -> h.emulator.console().deleteCluster(CLUSTER, "SOME"));
  }

  @Test
  void aClusterAddedAgainUnderTheSameIdStartsAfresh() {
    threeBackups();
    retainOnDeletion("ALL");
    h.emulator.console().deleteCluster(CLUSTER);

    h.emulator.addCluster(CLUSTER, EmulatorHarness.REGION, "Running");

    JsonNode items = h.describeBackups(CLUSTER).v3().body().path("Items").path("Backup");
    assertEquals(0, items.size(), "detached sets are not the new cluster's");
    assertEquals(
        "NONE",
        h.client
            .call("DescribeBackupPolicy")
            .param("DBClusterId", CLUSTER)
            .v3()
            .text("BackupRetentionPolicyOnClusterDeletion"));
  }

  @Test
  void adminEndpointsDeleteClustersAndBackupSets() {
    threeBackups();
    h.client.admin(
        "POST",
        "/_emulator/backup-policy",
        "{\"dbClusterId\":\""
            + CLUSTER
            + "\",\"BackupRetentionPolicyOnClusterDeletion\":\"LATEST\"}");
    String other = h.emulator.createConsoleBackup(OTHER_CLUSTER);
    h.clock.advance(Duration.ofMinutes(5));

    AcsTestClient.Reply deletedSet =
        h.client.adminReply(
            "DELETE",
            "/_emulator/backups?dbClusterId=" + OTHER_CLUSTER + "&backupId=" + other,
            null);
    assertEquals(200, deletedSet.status(), deletedSet.body().toString());
    assertTrue(record(other).deleted());
    assertEquals(
        400,
        h.client
            .adminReply(
                "DELETE",
                "/_emulator/backups?dbClusterId=" + OTHER_CLUSTER + "&backupId=" + other,
                null)
            .status());

    AcsTestClient.Reply deletedCluster =
        h.client.adminReply("DELETE", "/_emulator/clusters?dbClusterId=" + CLUSTER, null);
    assertEquals(200, deletedCluster.status(), deletedCluster.body().toString());
    assertEquals("LATEST", deletedCluster.text("backupRetentionPolicyOnClusterDeletion"));
    assertEquals(newestSucceeded, deletedCluster.body().path("kept").get(0).asText());
    assertEquals(2, deletedCluster.body().path("deleted").size());
    assertClusterGone();

    JsonNode ledger = h.client.admin("GET", "/_emulator/ledger", null);
    long detached = 0;
    for (JsonNode b : ledger.path("backups")) {
      detached += b.path("detached").asBoolean() ? 1 : 0;
    }
    assertEquals(1, detached);
    assertEquals(
        404,
        h.client.adminReply("DELETE", "/_emulator/clusters?dbClusterId=" + CLUSTER, null).status());
  }

  @Test
  void keptSetsAreListedAsDetachedBackups() {
    threeBackups();
    retainOnDeletion("LATEST");
    AcsTestClient.Reply before = detached(CLUSTER);
    assertEquals(200, before.status());
    assertEquals(0, before.body().path("Items").path("Backup").size(), "not deleted yet");

    h.emulator.console().deleteCluster(CLUSTER);

    AcsTestClient.Reply after = detached(CLUSTER);
    assertEquals(200, after.status(), after.body().toString());
    JsonNode items = after.body().path("Items").path("Backup");
    assertEquals(1, items.size());
    assertEquals(newestSucceeded, items.get(0).path("BackupId").asText());
    assertEquals("Success", items.get(0).path("BackupStatus").asText());
    assertEquals("1", after.text("TotalRecordCount"));
    assertEquals(0, detached("pc-never").body().path("Items").path("Backup").size());
    assertEquals(
        "InvalidPageSize.Malformed",
        h.client
            .call("DescribeDetachedBackups")
            .param("DBClusterId", CLUSTER)
            .param("StartTime", "2025-03-09T00:00Z")
            .param("EndTime", "2025-03-11T00:00Z")
            .param("PageSize", "10")
            .v3()
            .code());
    assertEquals(4L, h.emulator.ledger().callsByAction().get("DescribeDetachedBackups"));
  }

  private AcsTestClient.Reply detached(String cluster) {
    return h.client
        .call("DescribeDetachedBackups")
        .param("DBClusterId", cluster)
        .param("StartTime", "2025-03-09T00:00Z")
        .param("EndTime", "2025-03-11T00:00Z")
        .v3();
  }
}
