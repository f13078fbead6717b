package dev.polardbbackup.restore;

import static dev.polardbbackup.backup.OperatorHarness.CLUSTER;
import static dev.polardbbackup.backup.OperatorHarness.NAMESPACE;
import static dev.polardbbackup.backup.OperatorHarness.REGION;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.backup.MockKubernetes;
import dev.polardbbackup.backup.OperatorHarness;
import dev.polardbbackup.emulator.ClusterRecord;
import dev.polardbbackup.emulator.FaultSpec;
import dev.polardbbackup.emulator.MutableClock;
import dev.polardbbackup.emulator.PolarDbEmulator;
import dev.polardbbackup.model.DeletionPolicy;
import dev.polardbbackup.model.NewCluster;
import dev.polardbbackup.model.Phase;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBRestore;
import dev.polardbbackup.model.PolarDBRestoreSpec;
import dev.polardbbackup.model.PolarDBRestoreStatus;
import dev.polardbbackup.model.Reasons;
import dev.polardbbackup.model.RestorePhase;
import dev.polardbbackup.model.RestoreSource;
import dev.polardbbackup.model.RestoreTarget;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A PolarDBRestore against the emulator: exactly one new cluster, from a PolarDBBackup, a backup id
 * or a point in time, through lost replies and a restart; sources that cannot work are refused
 * without a CreateDBCluster; Delete and ttl delete the clone.
 */
class RestoreControllerTest {
  private static final RestoreSettings FAST = OperatorHarness.fastRestoreSettings();

  /** As FAST, but PolarDB is trusted to remember a ClientToken for one second only. */
  private static final RestoreSettings SHORT_TOKEN_WINDOW =
      new RestoreSettings(
          FAST.follow(),
          FAST.sourceRecheck(),
          FAST.retry(),
          FAST.capacityRetry(),
          FAST.deletionRetry(),
          FAST.deletionTimeout(),
          Duration.ofSeconds(1));

  private static final NewCluster CLONE =
      NewCluster.of("polar.mysql.x4.medium", "cn-hangzhou-h", "vpc-1", "vsw-1");

  @RegisterExtension final MockKubernetes kubernetes = new MockKubernetes(() -> this.harness);
  private final KubernetesClient client = kubernetes.client;
  private OperatorHarness harness;
  private ScheduledExecutorService ticker;

  @AfterEach
  void stopTicker() {
    if (ticker != null) {
      ticker.shutdownNow();
    }
  }

  private OperatorHarness start(PolarDbEmulator.Builder emulator) throws Exception {
    return start(emulator, FAST);
  }

  private OperatorHarness start(PolarDbEmulator.Builder emulator, RestoreSettings settings)
      throws Exception {
    harness =
        new OperatorHarness(client, emulator.build(), OperatorHarness.fastSettings())
            .withRestores(settings);
    return harness;
  }

  private static PolarDbEmulator.Builder emulator() {
    return OperatorHarness.emulator().clusterCreationDuration(Duration.ofMillis(800));
  }

  private void restore(String name, RestoreSource source, DeletionPolicy policy, String ttl) {
    client
        .resource(
            new PolarDBRestore(
                NAMESPACE,
                name,
                new PolarDBRestoreSpec(
                    REGION, null, source, RestoreTarget.ofNewCluster(CLONE), policy, ttl)))
        .create();
  }

  private PolarDBRestore get(String name) {
    return client.resources(PolarDBRestore.class).inNamespace(NAMESPACE).withName(name).get();
  }

  private PolarDBRestore awaitRestore(String name, Predicate<PolarDBRestore> done) {
    return await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> get(name), r -> r != null && r.getStatus() != null && done.test(r));
  }

  private PolarDBRestore awaitPhase(String name, RestorePhase phase) {
    return awaitRestore(name, r -> r.getStatus().getPhase() == phase);
  }

  private void mergePatch(String name, String json) {
    client
        .resources(PolarDBRestore.class)
        .inNamespace(NAMESPACE)
        .withName(name)
        .patch(
            io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
            json);
  }

  private List<ClusterRecord> clones() {
    return harness.emulator.ledger().clusters();
  }

  private long calls(String action) {
    return harness.emulator.ledger().callsByAction().getOrDefault(action, 0L);
  }

  private String consoleBackup() {
    String id = harness.emulator.console().createBackup(CLUSTER);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                harness
                    .polarDb()
                    .describeAllBackups(
                        dev.polardbbackup.polardb.DescribeBackupsQuery.byId(
                            CLUSTER,
                            id,
                            Instant.now().minus(Duration.ofDays(1)),
                            Instant.now().plus(Duration.ofMinutes(1))))
                    .value()
                    .stream()
                    .anyMatch(b -> b.succeeded()));
    return id;
  }

  /** The restore's DatabasesListed condition is as given, and names every database of CLUSTER. */
  private void assertDatabasesListed(PolarDBRestore done, String status, String reason) {
    var listed = done.getStatus().condition(PolarDBRestoreStatus.DATABASES_LISTED).orElseThrow();
    assertEquals(status, listed.getStatus(), listed.getMessage());
    assertEquals(reason, listed.getReason());
    for (String db : harness.emulator.databasesOf(CLUSTER).keySet()) {
      assertTrue(listed.getMessage().contains(db), db + " named in: " + listed.getMessage());
    }
  }

  /** The one clone in the ledger was made with this restore's token, from what it names. */
  private ClusterRecord theOneClone(PolarDBRestore restore, String dataPoint) {
    assertEquals(1, clones().size(), "exactly one cluster: " + clones());
    ClusterRecord clone = clones().get(0);
    assertEquals(restore.getMetadata().getUid(), clone.clientToken());
    assertEquals(CLUSTER, clone.sourceDbClusterId());
    if (dataPoint != null) {
      assertEquals(dataPoint, clone.cloneDataPoint());
    }
    assertEquals(restore.getMetadata().getUid(), clone.tags().get(NewCluster.TAG_UID));
    assertEquals(clone.dbClusterId(), restore.getStatus().getDbClusterId());
    return clone;
  }

  @Test
  void aRestoreFromABackupRefWaitsForItThenMakesOneRunningClone() throws Exception {
    start(emulator()).start();
    restore("from-nightly", RestoreSource.ofBackup("nightly"), null, null);
    awaitRestore("from-nightly", r -> Reasons.SOURCE_NOT_READY.equals(r.getStatus().getReason()));
    assertEquals(0, calls("CreateDBCluster"), "no call while the backup is not there");

    harness.create("nightly");
    String set = harness.awaitPhase("nightly", Phase.Succeeded).getStatus().getBackupId();
    PolarDBRestore done = awaitPhase("from-nightly", RestorePhase.Succeeded);

    theOneClone(done, set);
    assertEquals(CLUSTER, done.getStatus().getSourceDbClusterId());
    assertEquals(set, done.getStatus().getSourceBackupId());
    assertNotNull(done.getStatus().getEndpoint(), "the endpoint once Running");
    assertNotNull(done.getStatus().getOrderId());
    assertEquals("True", done.getStatus().condition("Ready").orElseThrow().getStatus());
    assertTrue(harness.hasEvent("from-nightly", Reasons.RESTORE_SUCCEEDED));
    assertDatabasesListed(done, "True", Reasons.ALL_LISTED);
  }

  @Test
  void aCloneWithoutADatabaseOfItsBackupSaysWhich() throws Exception {
    start(
            emulator()
                .clusterCreationDuration(Duration.ofSeconds(3))
                .metaListNeedsBackupOrTime(false))
        .start();
    String set = consoleBackup();
    restore("short", RestoreSource.ofBackupId(CLUSTER, set), null, null);
    String clone =
        awaitRestore("short", r -> r.getStatus().getDbClusterId() != null)
            .getStatus()
            .getDbClusterId();
    String dropped = harness.emulator.databasesOf(clone).keySet().iterator().next();
    harness.emulator.console().dropDatabase(clone, dropped);

    PolarDBRestore done = awaitPhase("short", RestorePhase.Succeeded);
    var listed = done.getStatus().condition(PolarDBRestoreStatus.DATABASES_LISTED).orElseThrow();
    assertEquals("False", listed.getStatus(), listed.getMessage());
    assertEquals(Reasons.DATABASES_MISSING, listed.getReason());
    assertTrue(listed.getMessage().contains(dropped), listed.getMessage());
    assertTrue(harness.hasEvent("short", Reasons.DATABASES_MISSING));
  }

  @Test
  void underTheStricterReadingOfDescribeMetaListTheCheckIsUnknownNotFailed() throws Exception {
    start(emulator().metaListNeedsBackupOrTime(true)).start();
    String set = consoleBackup();
    restore("strict", RestoreSource.ofBackupId(CLUSTER, set), null, null);

    PolarDBRestore done = awaitPhase("strict", RestorePhase.Succeeded);
    assertDatabasesListed(done, "Unknown", Reasons.CLONE_NOT_LISTABLE);
  }

  @Test
  void aRestoreFromABackupIdOrAPointInTimeMakesOneCloneEach() throws Exception {
    start(emulator()).start();
    String set = consoleBackup();
    restore("by-id", RestoreSource.ofBackupId(CLUSTER, set), null, null);
    theOneClone(awaitPhase("by-id", RestorePhase.Succeeded), set);

    // The window starts at the backup (to the sub-second), and a point in time has whole seconds.
    Thread.sleep(1500);
    Instant at = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    restore("by-time", RestoreSource.ofPointInTime(CLUSTER, at), null, null);
    PolarDBRestore byTime = awaitPhase("by-time", RestorePhase.Succeeded);

    assertEquals(2, clones().size());
    assertEquals(at.toString(), clones().get(1).cloneDataPoint());
    assertEquals(byTime.getStatus().getDbClusterId(), clones().get(1).dbClusterId());
  }

  @Test
  void sourcesThatCannotWorkAreRefusedWithoutACreate() throws Exception {
    start(emulator()).start();
    consoleBackup();
    // A point in time outside the recoverable window: PolarDB tells the window, no clone is asked.
    restore(
        "too-old",
        RestoreSource.ofPointInTime(CLUSTER, Instant.now().minus(Duration.ofDays(30))),
        null,
        null);
    PolarDBRestore tooOld = awaitPhase("too-old", RestorePhase.Failed);
    assertEquals(Reasons.SOURCE_FAILED, tooOld.getStatus().getReason());
    assertTrue(tooOld.getStatus().getMessage().contains("outside the recoverable window"));
    // A point in time in the future: refused without any call.
    restore(
        "future",
        RestoreSource.ofPointInTime(CLUSTER, Instant.now().plus(Duration.ofDays(1))),
        null,
        null);
    assertEquals(
        Reasons.INVALID_SPEC, awaitPhase("future", RestorePhase.Failed).getStatus().getReason());
    // A PolarDBBackup that failed: nothing to restore.
    harness.emulator.failBackups(CLUSTER, "disk");
    harness.create("broken");
    harness.awaitPhase("broken", Phase.Failed);
    restore("from-broken", RestoreSource.ofBackup("broken"), null, null);
    PolarDBRestore fromBroken = awaitPhase("from-broken", RestorePhase.Failed);
    assertEquals(Reasons.SOURCE_FAILED, fromBroken.getStatus().getReason());
    // An id PolarDB does not know: PolarDB's code, and nothing made.
    restore("unknown-id", RestoreSource.ofBackupId(CLUSTER, "999999"), null, null);
    PolarDBRestore unknown = awaitPhase("unknown-id", RestorePhase.Failed);
    assertTrue(
        unknown.getStatus().getMessage().contains("InvalidBackupSetID.NotFound"),
        unknown.getStatus().getMessage());

    assertEquals(1, calls("CreateDBCluster"), "only the unknown id reached CreateDBCluster");
    assertEquals(0, clones().size());
  }

  @Test
  void aLostReplyOnCreateDBClusterStillMakesExactlyOneCluster() throws Exception {
    start(emulator()).start();
    String set = consoleBackup();
    harness.emulator.setFault("CreateDBCluster", FaultSpec.lostResponses(1.0));
    restore("lost", RestoreSource.ofBackupId(CLUSTER, set), null, null);
    await().atMost(Duration.ofSeconds(20)).until(() -> calls("CreateDBCluster") >= 2);
    assertEquals(1, clones().size(), "the first call made the cluster; the retries made none");

    harness.emulator.clearFaults();
    PolarDBRestore done = awaitPhase("lost", RestorePhase.Succeeded);

    theOneClone(done, set);
  }

  @Test
  void aCloneWhoseRepliesWereLostPastTheTokenWindowIsFoundByItsTagAndFollowed() throws Exception {
    start(emulator(), SHORT_TOKEN_WINDOW).start();
    String set = consoleBackup();
    // Every reply is lost for longer than the token is trusted: the token is not sent again, and
    // the cluster the first call made is found by the uid tag instead.
    harness.emulator.setFault("CreateDBCluster", FaultSpec.lostResponses(1.0));
    restore("lost-long", RestoreSource.ofBackupId(CLUSTER, set), null, null);

    PolarDBRestore done = awaitPhase("lost-long", RestorePhase.Succeeded);

    theOneClone(done, set);
    assertTrue(calls("DescribeDBClusters") >= 1, "looked for the tag");
    assertTrue(harness.hasEvent("lost-long", Reasons.CLUSTER_FOUND_BY_TAG));
    assertTrue(
        harness.events("lost-long").stream()
            .filter(e -> Reasons.CLUSTER_FOUND_BY_TAG.equals(e.getReason()))
            .allMatch(e -> e.getMessage().contains(done.getStatus().getDbClusterId())));
  }

  @Test
  void aCreateThatMadeNothingPastTheTokenWindowFailsSayingNoTaggedClusterWasListed()
      throws Exception {
    start(emulator(), SHORT_TOKEN_WINDOW).start();
    String set = consoleBackup();
    // Server errors make nothing, but the operator cannot know that: the outcome stays unknown.
    harness.emulator.setFault("CreateDBCluster", FaultSpec.serverErrors(1.0));
    restore("made-nothing", RestoreSource.ofBackupId(CLUSTER, set), null, null);

    PolarDBRestore failed = awaitPhase("made-nothing", RestorePhase.Failed);

    assertEquals(Reasons.UNCERTAIN_OUTCOME, failed.getStatus().getReason());
    String message = failed.getStatus().getMessage();
    assertTrue(message.contains("no cluster tagged polardbbackup.dev/uid="), message);
    assertTrue(message.contains("was listed"), message);
    assertEquals(0, clones().size());
  }

  @Test
  void twoClustersWithTheUidTagAreNeitherFollowedNorDeleted() throws Exception {
    start(emulator(), SHORT_TOKEN_WINDOW).start();
    String set = consoleBackup();
    harness.emulator.setFault("CreateDBCluster", FaultSpec.lostResponses(1.0));
    harness.emulator.setFault("DescribeDBClusters", FaultSpec.serverErrors(1.0));
    restore("twins", RestoreSource.ofBackupId(CLUSTER, set), DeletionPolicy.Delete, null);
    await().atMost(Duration.ofSeconds(20)).until(() -> calls("DescribeDBClusters") >= 1);
    String uid = get("twins").getMetadata().getUid();
    // Someone made a second cluster carrying the same uid tag (a copied tag, a hand-made clone).
    harness.emulator.setFault("CreateDBCluster", FaultSpec.NONE);
    var copy =
        new dev.polardbbackup.polardb.CloneRequest(
            REGION,
            "MySQL",
            "8.0",
            "Postpaid",
            java.util.Optional.of("polar.mysql.x4.medium"),
            CLUSTER,
            set,
            "someone-elses-token",
            java.util.Optional.of("cn-hangzhou-h"),
            java.util.Optional.of("vpc-1"),
            java.util.Optional.of("vsw-1"),
            java.util.Optional.empty(),
            java.util.Map.of(NewCluster.TAG_UID, uid),
            java.util.Optional.empty());
    assertTrue(harness.polarDb().createDBCluster(copy).isOk());
    List<String> both = clones().stream().map(ClusterRecord::dbClusterId).toList();
    assertEquals(2, both.size());
    harness.emulator.setFault("DescribeDBClusters", FaultSpec.NONE);

    PolarDBRestore failed = awaitPhase("twins", RestorePhase.Failed);

    assertEquals(Reasons.UNCERTAIN_OUTCOME, failed.getStatus().getReason());
    assertEquals(null, failed.getStatus().getDbClusterId(), "neither is adopted");
    for (String id : both) {
      assertTrue(failed.getStatus().getMessage().contains(id), failed.getStatus().getMessage());
    }
    client.resources(PolarDBRestore.class).inNamespace(NAMESPACE).withName("twins").delete();
    await().atMost(Duration.ofSeconds(20)).until(() -> get("twins") == null);
    assertEquals(0, calls("DeleteDBCluster"), "neither is deleted");
    assertEquals(2, harness.emulator.ledger().liveClusters().size());
    assertTrue(
        harness.events("twins").stream()
            .anyMatch(
                e ->
                    Reasons.CLUSTER_LEFT_UNDELETED.equals(e.getReason())
                        && both.stream().allMatch(id -> e.getMessage().contains(id))));
  }

  @Test
  void deletingADeleteRestoreWhoseCloneIsKnownOnlyByItsTagDeletesThatClone() throws Exception {
    start(emulator(), SHORT_TOKEN_WINDOW).start();
    String set = consoleBackup();
    // The create reply is lost and, past the token window, the listing fails too: the restore
    // waits without knowing its cluster when it is deleted.
    harness.emulator.setFault("CreateDBCluster", FaultSpec.lostResponses(1.0));
    harness.emulator.setFault("DescribeDBClusters", FaultSpec.serverErrors(1.0));
    restore("orphan", RestoreSource.ofBackupId(CLUSTER, set), DeletionPolicy.Delete, null);
    await().atMost(Duration.ofSeconds(20)).until(() -> calls("DescribeDBClusters") >= 1);
    assertEquals(1, clones().size());
    PolarDBRestore waiting = get("orphan");
    assertEquals(RestorePhase.Pending, waiting.getStatus().getPhase());
    assertEquals(null, waiting.getStatus().getDbClusterId());

    client.resources(PolarDBRestore.class).inNamespace(NAMESPACE).withName("orphan").delete();
    long before = calls("DescribeDBClusters");
    await().atMost(Duration.ofSeconds(20)).until(() -> calls("DescribeDBClusters") > before);
    assertTrue(get("orphan") != null, "a failed listing holds the finalizer");
    harness.emulator.clearFaults();
    await().atMost(Duration.ofSeconds(20)).until(() -> get("orphan") == null);

    assertEquals(1, clones().size(), "no second cluster");
    assertTrue(clones().get(0).deleted(), "the clone found by its tag is deleted");
    assertTrue(calls("DeleteDBCluster") >= 1, "DeleteDBCluster was called");
    assertTrue(harness.hasEvent("orphan", Reasons.CLUSTER_FOUND_BY_TAG));
    assertFalse(harness.hasEvent("orphan", Reasons.CLUSTER_LEFT_UNDELETED));
  }

  @Test
  void aPausedRestoreSaysSoOnceCallsNothingAndGoesOnWhenUnpaused() throws Exception {
    start(emulator()).start();
    String set = consoleBackup();
    PolarDBRestore held =
        new PolarDBRestore(
            NAMESPACE,
            "held",
            new PolarDBRestoreSpec(
                REGION,
                null,
                RestoreSource.ofBackupId(CLUSTER, set),
                RestoreTarget.ofNewCluster(CLONE),
                null,
                null));
    held.getMetadata().setAnnotations(java.util.Map.of(PolarDBBackup.PAUSED_ANNOTATION, "true"));
    client.resource(held).create();
    PolarDBRestore paused =
        awaitRestore("held", r -> r.getStatus().condition(Reasons.PAUSED).isPresent());
    assertEquals("True", paused.getStatus().condition(Reasons.PAUSED).orElseThrow().getStatus());
    // Another pass while paused (a label change wakes the controller) adds no second Event.
    mergePatch("held", "{\"metadata\":{\"labels\":{\"touched\":\"yes\"}}}");
    Thread.sleep(500);
    assertEquals(
        1,
        harness.events("held").stream().filter(e -> Reasons.PAUSED.equals(e.getReason())).count());
    assertEquals(
        "Normal",
        harness.events("held").stream()
            .filter(e -> Reasons.PAUSED.equals(e.getReason()))
            .findFirst()
            .orElseThrow()
            .getType());
    assertEquals(0, calls("CreateDBCluster"), "nothing is called while paused");

    mergePatch("held", "{\"metadata\":{\"annotations\":{\"polardbbackup.dev/paused\":null}}}");
    PolarDBRestore done = awaitPhase("held", RestorePhase.Succeeded);

    assertTrue(done.getStatus().condition(Reasons.PAUSED).isEmpty(), "the condition goes");
    theOneClone(done, set);
  }

  @Test
  void aCloneADbaDeletesWhileItIsCreatingFailsTheRestoreAndItsDeletionDoesNotHang()
      throws Exception {
    start(emulator().clusterCreationDuration(Duration.ofSeconds(5))).start();
    String set = consoleBackup();
    restore("doomed", RestoreSource.ofBackupId(CLUSTER, set), DeletionPolicy.Delete, null);
    String id =
        awaitRestore(
                "doomed",
                r ->
                    r.getStatus().getPhase() == RestorePhase.Creating
                        && r.getStatus().getDbClusterId() != null)
            .getStatus()
            .getDbClusterId();

    harness.emulator.console().deleteCluster(id);
    PolarDBRestore failed = awaitPhase("doomed", RestorePhase.Failed);

    assertEquals(Reasons.RESTORE_FAILED, failed.getStatus().getReason());
    assertTrue(failed.getStatus().getMessage().contains(id), failed.getStatus().getMessage());
    assertTrue(
        failed.getStatus().getMessage().contains("no longer exists"),
        failed.getStatus().getMessage());
    assertTrue(
        harness.events("doomed").stream()
            .anyMatch(
                e ->
                    Reasons.RESTORE_FAILED.equals(e.getReason())
                        && "Warning".equals(e.getType())
                        && e.getMessage().contains(id)));
    Thread.sleep(500);
    assertEquals(1, calls("CreateDBCluster"), "no second cluster after the first one vanished");

    long start = System.nanoTime();
    client.resources(PolarDBRestore.class).inNamespace(NAMESPACE).withName("doomed").delete();
    await().atMost(Duration.ofSeconds(10)).until(() -> get("doomed") == null);

    assertTrue(
        Duration.ofNanos(System.nanoTime() - start).compareTo(FAST.deletionTimeout()) < 0,
        "gone well before the deletion timeout");
    assertFalse(harness.hasEvent("doomed", "DeletionTimedOut"));
    assertEquals(1, calls("CreateDBCluster"));
    assertEquals(0, harness.emulator.ledger().liveClusters().size());
    // The operator did not delete it, and does not say it did.
    List<String> deletedEvents =
        harness.events("doomed").stream()
            .filter(e -> Reasons.CLUSTER_DELETED.equals(e.getReason()))
            .map(e -> e.getMessage())
            .toList();
    assertFalse(deletedEvents.isEmpty());
    assertTrue(
        deletedEvents.stream().allMatch(m -> m.contains("was already gone")),
        deletedEvents.toString());
  }

  @Test
  void anOperatorRestartWhileTheClusterIsCreatingMakesNoSecond() throws Exception {
    start(emulator().clusterCreationDuration(Duration.ofSeconds(3))).start();
    String set = consoleBackup();
    restore("restarted", RestoreSource.ofBackupId(CLUSTER, set), null, null);
    awaitPhase("restarted", RestorePhase.Creating);

    harness.stopOperator();
    harness.start();
    PolarDBRestore done = awaitPhase("restarted", RestorePhase.Succeeded);

    theOneClone(done, set);
    assertEquals(1, calls("CreateDBCluster"));
  }

  @Test
  void aReplicaWithAStaleViewSendsNoCreateDBCluster() throws Exception {
    // The look at the source is slow; meanwhile "another replica" (the test) records a cluster for
    // the restore. The operator's intent write then conflicts, so it never sends its own call.
    start(emulator()).start();
    String set = consoleBackup();
    harness.emulator.setFault(
        "DescribeDBClusterAttribute", new FaultSpec(Duration.ofMillis(1500), 0, 0, 0));
    restore("contested", RestoreSource.ofBackupId(CLUSTER, set), null, null);
    PolarDBRestore accepted = awaitPhase("contested", RestorePhase.Pending);

    var moved = accepted.getStatus().copy();
    moved.created(CLUSTER, "order-of-the-other-replica", "by-the-other-replica", Instant.now());
    accepted.setStatus(moved);
    client.resource(accepted).updateStatus();
    harness.emulator.clearFaults();

    awaitPhase("contested", RestorePhase.Succeeded);
    assertEquals(0, calls("CreateDBCluster"), "the stale view never sent CreateDBCluster");
    assertEquals(0, clones().size());
  }

  private void restoreTables(String name, RestoreSource source, String db, String newName) {
    client
        .resource(
            new PolarDBRestore(
                NAMESPACE,
                name,
                new PolarDBRestoreSpec(
                    REGION,
                    null,
                    source,
                    RestoreTarget.ofTables(
                        List.of(new RestoreTarget.DatabaseRestore(db, newName, null))),
                    null,
                    null)))
        .create();
  }

  @Test
  void tablesAreRestoredOnceUnderTheirNewNamesAlsoAfterALostReply() throws Exception {
    start(emulator()).start();
    String set = consoleBackup();
    String db = harness.emulator.databasesOf(CLUSTER).keySet().iterator().next();
    harness.emulator.setFault("RestoreTable", FaultSpec.lostResponses(1.0));
    restoreTables("tables", RestoreSource.ofBackupId(CLUSTER, set), db, db + "_restored");
    await().atMost(Duration.ofSeconds(20)).until(() -> calls("RestoreTable") >= 2);

    harness.emulator.clearFaults();
    PolarDBRestore done = awaitPhase("tables", RestorePhase.Succeeded);

    assertEquals(1, harness.emulator.ledger().tableRestores().size(), "restored once");
    assertTrue(harness.emulator.databasesOf(CLUSTER).containsKey(db + "_restored"));
    assertTrue(
        done.getStatus().getMessage().contains("tables are restored"),
        done.getStatus().getMessage());
    assertEquals(0, clones().size(), "no cluster for a table restore");
  }

  @Test
  void aNewNameThatExistsAlreadyIsRefusedBeforeAnyRestoreTable() throws Exception {
    start(emulator()).start();
    String set = consoleBackup();
    String db = harness.emulator.databasesOf(CLUSTER).keySet().iterator().next();
    restoreTables("clash", RestoreSource.ofBackupId(CLUSTER, set), db, db);

    PolarDBRestore refused = awaitPhase("clash", RestorePhase.Failed);

    assertEquals(Reasons.INVALID_SPEC, refused.getStatus().getReason());
    assertTrue(refused.getStatus().getMessage().contains("exists already"));
    assertEquals(0, calls("RestoreTable"));
  }

  @Test
  void deletionPolicyDeleteDeletesTheCloneAndRetainKeepsIt() throws Exception {
    start(emulator()).start();
    String set = consoleBackup();
    restore("kept", RestoreSource.ofBackupId(CLUSTER, set), DeletionPolicy.Retain, null);
    restore("throwaway", RestoreSource.ofBackupId(CLUSTER, set), DeletionPolicy.Delete, null);
    String kept = awaitPhase("kept", RestorePhase.Succeeded).getStatus().getDbClusterId();
    String gone = awaitPhase("throwaway", RestorePhase.Succeeded).getStatus().getDbClusterId();

    client.resources(PolarDBRestore.class).inNamespace(NAMESPACE).withName("kept").delete();
    client.resources(PolarDBRestore.class).inNamespace(NAMESPACE).withName("throwaway").delete();
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> get("kept") == null && get("throwaway") == null);

    List<String> live =
        harness.emulator.ledger().liveClusters().stream().map(ClusterRecord::dbClusterId).toList();
    assertEquals(List.of(kept), live, "Retain kept its clone, Delete deleted its own");
    assertFalse(live.contains(gone));
  }

  @Test
  void aCloneWithATtlIsDeletedOnceItHasPassed() throws Exception {
    // The operator's clock follows real time, and jumps when the test says.
    AtomicReference<Duration> ahead = new AtomicReference<>(Duration.ZERO);
    MutableClock clock = new MutableClock(Instant.now());
    ticker = Executors.newSingleThreadScheduledExecutor();
    ticker.scheduleAtFixedRate(
        () -> clock.set(Instant.now().plus(ahead.get())), 0, 20, TimeUnit.MILLISECONDS);
    harness =
        new OperatorHarness(client, emulator().build(), OperatorHarness.fastSettings())
            .withRestores(FAST)
            .withClock(clock)
            .start();
    String set = consoleBackup();
    restore("drill", RestoreSource.ofBackupId(CLUSTER, set), DeletionPolicy.Retain, "1m");
    PolarDBRestore running = awaitPhase("drill", RestorePhase.Succeeded);
    Instant expiry = Instant.parse(running.getStatus().getExpiryTime());
    assertEquals(
        Instant.parse(running.getStatus().getRunningTime()).plus(Duration.ofMinutes(1)), expiry);
    assertEquals(1, harness.emulator.ledger().liveClusters().size());

    // A minute on (PolarDB accepts a signature up to 15 minutes off, so the jump stays small).
    ahead.set(Duration.ofSeconds(61));
    clock.set(Instant.now().plus(ahead.get()));
    // The wake-up is a minute away in real time: a pause and resume makes the next pass now.
    mergePatch("drill", "{\"metadata\":{\"annotations\":{\"polardbbackup.dev/paused\":\"true\"}}}");
    mergePatch("drill", "{\"metadata\":{\"annotations\":{\"polardbbackup.dev/paused\":null}}}");

    PolarDBRestore expired =
        awaitRestore(
            "drill",
            r ->
                r.getStatus().getDeletion() != null
                    && r.getStatus().getDeletion().deletedTime() != null);
    assertEquals(RestorePhase.Succeeded, expired.getStatus().getPhase(), "it did succeed");
    assertEquals(Reasons.TTL_EXPIRED, expired.getStatus().getDeletion().reason());
    assertEquals(0, harness.emulator.ledger().liveClusters().size(), "the clone is deleted");
  }
}
