package dev.polardbbackup.backup;

import static dev.polardbbackup.backup.OperatorHarness.CLUSTER;
import static dev.polardbbackup.backup.OperatorHarness.REGION;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.emulator.ClusterDeletion;
import dev.polardbbackup.model.DeletionPolicy;
import dev.polardbbackup.model.Phase;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupSpec;
import dev.polardbbackup.model.Reasons;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A Succeeded backup is looked at again: a set deleted in the console, or with its cluster, is
 * reported gone within one interval (BackupAvailable=False, Ready=False, a Warning, the phase still
 * Succeeded); a set the cluster's policy kept stays available; and a cluster whose policy deletes
 * its sets with it warns its backups once. Every look is shared by the cluster's backups.
 */
class RecheckTest {
  private static final Duration INTERVAL = Duration.ofMillis(1500);
  // One interval, and room for a slow machine to make the calls and write the status.
  private static final Duration WITHIN_ONE_INTERVAL = INTERVAL.plusSeconds(3);

  @RegisterExtension final MockKubernetes kubernetes = new MockKubernetes(() -> this.harness);
  private final KubernetesClient client = kubernetes.client;
  private OperatorHarness harness;

  private OperatorHarness start() throws Exception {
    harness =
        new OperatorHarness(
                client,
                OperatorHarness.emulator().build(),
                OperatorHarness.fastSettings().toBuilder().recheckInterval(INTERVAL).build())
            .start();
    return harness;
  }

  private static Optional<Condition> condition(PolarDBBackup b, String type) {
    return b.getStatus() == null ? Optional.empty() : b.getStatus().condition(type);
  }

  private static boolean says(PolarDBBackup b, String type, String status, String reason) {
    return condition(b, type)
        .map(c -> status.equals(c.getStatus()) && reason.equals(c.getReason()))
        .orElse(false);
  }

  private PolarDBBackup awaitCondition(
      String name, String type, String status, String reason, Duration within) {
    return harness.awaitThat(name, b -> says(b, type, status, reason), within);
  }

  private long events(String name, String reason) {
    return harness.events(name).stream()
        .filter(e -> reason.equals(e.getReason()))
        .mapToLong(e -> Optional.ofNullable(e.getCount()).orElse(1))
        .sum();
  }

  private long calls(String action) {
    return harness.emulator.ledger().callsByAction().getOrDefault(action, 0L);
  }

  /** The backup is gone, and says so everywhere, without moving backwards. */
  private void assertGone(PolarDBBackup b, String messagePart) {
    assertEquals(Phase.Succeeded, b.getStatus().getPhase(), "the phase never moves backwards");
    Condition available = condition(b, Reasons.BACKUP_AVAILABLE).orElseThrow();
    assertEquals("False", available.getStatus());
    assertEquals(Reasons.BACKUP_GONE, available.getReason());
    assertTrue(available.getMessage().contains(messagePart), available.getMessage());
    Condition ready = condition(b, "Ready").orElseThrow();
    assertEquals("False", ready.getStatus());
    assertEquals(Reasons.BACKUP_GONE, b.getStatus().getReason());
    assertEquals(1, events(b.getMetadata().getName(), Reasons.BACKUP_GONE));
  }

  @Test
  void aSetDeletedInTheConsoleIsReportedGoneWithinOneInterval() throws Exception {
    start();
    harness.create("nightly");
    PolarDBBackup done =
        awaitCondition(
            "nightly",
            Reasons.BACKUP_AVAILABLE,
            "True",
            Reasons.BACKUP_LISTED,
            Duration.ofSeconds(20));
    assertEquals(Phase.Succeeded, done.getStatus().getPhase());
    String set = done.getStatus().getBackupId();

    harness.emulator.console().deleteBackup(CLUSTER, set);
    Instant deleted = Instant.now();
    PolarDBBackup gone =
        awaitCondition(
            "nightly", Reasons.BACKUP_AVAILABLE, "False", Reasons.BACKUP_GONE, WITHIN_ONE_INTERVAL);
    System.out.printf(
        "RecheckTest: console deletion reported after %d ms (interval %d ms)%n",
        Duration.between(deleted, Instant.now()).toMillis(), INTERVAL.toMillis());

    assertGone(gone, "deleted outside this operator");
    // Gone is final: no more looks for it, and no second Warning.
    long looks = calls("DescribeBackups");
    Thread.sleep(INTERVAL.multipliedBy(2).toMillis());
    assertEquals(looks, calls("DescribeBackups"), "a gone set is not looked for again");
    assertGone(harness.get("nightly"), set);
  }

  @Test
  void aSetMissingFromTheSharedListIsAskedForByIdBeforeItIsCalledGone() throws Exception {
    start();
    harness.create("present");
    String set =
        awaitCondition(
                "present",
                Reasons.BACKUP_AVAILABLE,
                "True",
                Reasons.BACKUP_LISTED,
                Duration.ofSeconds(20))
            .getStatus()
            .getBackupId();
    long looks = calls("DescribeBackups");

    harness.emulator.omitFromNextListing(set);
    // The next look leaves the set out, and the look by its id that follows finds it.
    org.awaitility.Awaitility.await()
        .atMost(WITHIN_ONE_INTERVAL)
        .until(() -> calls("DescribeBackups") >= looks + 2);
    Thread.sleep(INTERVAL.toMillis());

    PolarDBBackup b = harness.get("present");
    assertTrue(says(b, Reasons.BACKUP_AVAILABLE, "True", Reasons.BACKUP_LISTED), b::toString);
    assertEquals("True", condition(b, "Ready").orElseThrow().getStatus());
    assertFalse(harness.hasEvent("present", Reasons.BACKUP_GONE));
  }

  @Test
  void aClusterDeletedWithRetentionNoneTakesItsBackupsAlong() throws Exception {
    start();
    harness.create("one");
    harness.create("two");
    for (String name : List.of("one", "two")) {
      PolarDBBackup warned =
          awaitCondition(
              name,
              Reasons.RETAINED_AFTER_CLUSTER_DELETION,
              "False",
              Reasons.DELETED_WITH_CLUSTER,
              Duration.ofSeconds(20));
      String message =
          condition(warned, Reasons.RETAINED_AFTER_CLUSTER_DELETION).orElseThrow().getMessage();
      assertTrue(message.contains("NONE") && message.contains("retentionOnClusterDeletion: ALL"));
      assertEquals("True", condition(warned, "Ready").orElseThrow().getStatus());
    }

    ClusterDeletion deletion = harness.emulator.console().deleteCluster(CLUSTER);
    assertEquals(2, deletion.deletedBackupIds().size(), deletion.toString());
    for (String name : List.of("one", "two")) {
      assertGone(
          awaitCondition(
              name, Reasons.BACKUP_AVAILABLE, "False", Reasons.BACKUP_GONE, WITHIN_ONE_INTERVAL),
          "was deleted and PolarDB did not keep backup set");
    }
    // The warning came once for the namespace and cluster (on whichever backup saw it first),
    // though the policy was looked at again at every interval; both carry it in their condition.
    assertEquals(
        1,
        events("one", Reasons.DELETED_WITH_CLUSTER) + events("two", Reasons.DELETED_WITH_CLUSTER));
  }

  @Test
  void aClusterDeletedWithRetentionAllKeepsItsBackupsAvailable() throws Exception {
    start();
    harness
        .emulator
        .console()
        .changeBackupPolicy(CLUSTER, Map.of("BackupRetentionPolicyOnClusterDeletion", "ALL"));
    harness.create("kept", DeletionPolicy.Retain);
    awaitCondition(
        "kept",
        Reasons.RETAINED_AFTER_CLUSTER_DELETION,
        "True",
        Reasons.ALL_KEPT,
        Duration.ofSeconds(20));

    harness.emulator.console().deleteCluster(CLUSTER);
    PolarDBBackup kept =
        awaitCondition(
            "kept",
            Reasons.BACKUP_AVAILABLE,
            "True",
            Reasons.KEPT_AFTER_CLUSTER_DELETION,
            WITHIN_ONE_INTERVAL);

    assertEquals("True", condition(kept, "Ready").orElseThrow().getStatus());
    assertEquals(Reasons.BACKUP_SUCCEEDED, kept.getStatus().getReason());
    assertFalse(harness.hasEvent("kept", Reasons.BACKUP_GONE));
    assertFalse(harness.hasEvent("kept", Reasons.DELETED_WITH_CLUSTER));
  }

  @Test
  void aPolicyChangedToLatestInTheConsoleWarnsAtTheNextLook() throws Exception {
    start();
    harness
        .emulator
        .console()
        .changeBackupPolicy(CLUSTER, Map.of("BackupRetentionPolicyOnClusterDeletion", "ALL"));
    harness.create("b");
    awaitCondition(
        "b",
        Reasons.RETAINED_AFTER_CLUSTER_DELETION,
        "True",
        Reasons.ALL_KEPT,
        Duration.ofSeconds(20));

    harness
        .emulator
        .console()
        .changeBackupPolicy(CLUSTER, Map.of("BackupRetentionPolicyOnClusterDeletion", "LATEST"));

    awaitCondition(
        "b",
        Reasons.RETAINED_AFTER_CLUSTER_DELETION,
        "False",
        Reasons.ONLY_LATEST_KEPT,
        WITHIN_ONE_INTERVAL);
    // Later looks find the same: no second Warning.
    Thread.sleep(INTERVAL.multipliedBy(2).toMillis());
    assertEquals(1, events("b", Reasons.ONLY_LATEST_KEPT));
    assertEquals("True", condition(harness.get("b"), "Ready").orElseThrow().getStatus());
  }

  @Test
  void theLooksAreSharedByTheClustersBackups() throws Exception {
    start();
    List<String> names = List.of("a", "b", "c");
    names.forEach(harness::create);
    for (String name : names) {
      awaitCondition(
          name,
          Reasons.RETAINED_AFTER_CLUSTER_DELETION,
          "False",
          Reasons.DELETED_WITH_CLUSTER,
          Duration.ofSeconds(20));
    }
    long policyLooks = calls("DescribeBackupPolicy");
    long setLooks = calls("DescribeBackups");
    int intervals = 4;

    Thread.sleep(INTERVAL.multipliedBy(intervals).toMillis());

    long morePolicyLooks = calls("DescribeBackupPolicy") - policyLooks;
    long moreSetLooks = calls("DescribeBackups") - setLooks;
    System.out.printf(
        "RecheckTest: %d backups of one cluster over %d intervals: %d DescribeBackups, %d"
            + " DescribeBackupPolicy%n",
        names.size(), intervals, moreSetLooks, morePolicyLooks);
    // One look of each per interval for the cluster (one more for an interval cut by the sleep),
    // not one per backup: three backups would make 12 of each.
    assertTrue(moreSetLooks >= 2 && moreSetLooks <= intervals + 1, "sets: " + moreSetLooks);
    assertTrue(morePolicyLooks <= intervals + 1, "policy: " + morePolicyLooks);
    assertEquals(
        1, names.stream().mapToLong(name -> events(name, Reasons.DELETED_WITH_CLUSTER)).sum());
  }

  @Test
  void aKeyThatMayNotReadThePolicySaysSoOnceAndCostsOneCallPerInterval() throws Exception {
    start();
    harness.emulator.denyAction(OperatorHarness.KEY_ID, "DescribeBackupPolicy");
    List<String> names = List.of("x", "y", "z");
    names.forEach(harness::create);
    for (String name : names) {
      PolarDBBackup b =
          awaitCondition(
              name,
              Reasons.RETAINED_AFTER_CLUSTER_DELETION,
              "Unknown",
              Reasons.POLICY_UNREADABLE,
              Duration.ofSeconds(20));
      String message =
          condition(b, Reasons.RETAINED_AFTER_CLUSTER_DELETION).orElseThrow().getMessage();
      assertTrue(
          message.contains("Forbidden.RAM") && message.contains("polardb:DescribeBackupPolicy"),
          message);
      assertEquals("True", condition(b, "Ready").orElseThrow().getStatus());
    }
    long refused = calls("DescribeBackupPolicy");
    int intervals = 3;

    Thread.sleep(INTERVAL.multipliedBy(intervals).toMillis());

    long more = calls("DescribeBackupPolicy") - refused;
    // A refusal is shared like an answer: one call per cluster and interval, not one per backup.
    assertTrue(more <= intervals + 1, "refused policy looks: " + more);
  }

  @Test
  void deletingAGoneBackupWithDeletionPolicyDeleteEndsAtOnce() throws Exception {
    start();
    harness.create("doomed", new PolarDBBackupSpec(CLUSTER, REGION, DeletionPolicy.Delete, null));
    String set =
        awaitCondition(
                "doomed",
                Reasons.BACKUP_AVAILABLE,
                "True",
                Reasons.BACKUP_LISTED,
                Duration.ofSeconds(20))
            .getStatus()
            .getBackupId();
    harness.emulator.console().deleteBackup(CLUSTER, set);
    awaitCondition(
        "doomed", Reasons.BACKUP_AVAILABLE, "False", Reasons.BACKUP_GONE, WITHIN_ONE_INTERVAL);

    harness.delete("doomed");

    harness.awaitGone("doomed");
    assertFalse(harness.hasEvent("doomed", Reasons.BACKUP_LEFT_UNDELETED));
  }
}
