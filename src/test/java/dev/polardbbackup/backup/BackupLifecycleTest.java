package dev.polardbbackup.backup;

import static dev.polardbbackup.backup.OperatorHarness.CLUSTER;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.emulator.ApiCall;
import dev.polardbbackup.emulator.BackupRecord;
import dev.polardbbackup.emulator.FaultSpec;
import dev.polardbbackup.emulator.Ledger;
import dev.polardbbackup.emulator.PolarDbEmulator;
import dev.polardbbackup.emulator.ShiftableClock;
import dev.polardbbackup.model.DeletionPolicy;
import dev.polardbbackup.model.Phase;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupSpec;
import dev.polardbbackup.model.PolarDBBackupStatus;
import dev.polardbbackup.model.Reasons;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class BackupLifecycleTest {
  @RegisterExtension final MockKubernetes kubernetes = new MockKubernetes(() -> this.harness);
  private final KubernetesClient client = kubernetes.client;

  private OperatorHarness harness;

  private OperatorHarness start(PolarDbEmulator.Builder emulator) throws Exception {
    harness = new OperatorHarness(client, emulator.build(), OperatorHarness.fastSettings()).start();
    return harness;
  }

  /** A harness whose emulator and operator share a clock that the test can move. */
  private OperatorHarness onClock(
      ShiftableClock clock, PolarDbEmulator.Builder emulator, ControllerSettings settings)
      throws Exception {
    harness = new OperatorHarness(client, emulator.clock(clock).build(), settings).withClock(clock);
    return harness;
  }

  /**
   * A user's edit of status ({@code kubectl edit --subresource=status}): read, change, write, and
   * again on a conflict, since the operator keeps writing status while it retries.
   */
  private void editStatus(String name, Consumer<PolarDBBackupStatus> edit) {
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              PolarDBBackup current = harness.get(name);
              edit.accept(current.getStatus());
              try {
                client.resource(current).updateStatus();
                return true;
              } catch (KubernetesClientException e) {
                if (e.getCode() == 409) {
                  return false;
                }
                throw e;
              }
            });
  }

  private static long liveBackups(Ledger ledger) {
    return ledger.backups().stream().filter(b -> !b.deleted()).count();
  }

  @ParameterizedTest(name = "jobIdEqualsBackupId={0}")
  @ValueSource(booleans = {false, true})
  void backupReachesSucceededAndReady(boolean jobIdEqualsBackupId) throws Exception {
    start(OperatorHarness.emulator().jobIdEqualsBackupId(jobIdEqualsBackupId));
    String uid = harness.create("nightly").getMetadata().getUid();

    PolarDBBackup done = harness.awaitPhase("nightly", Phase.Succeeded);

    PolarDBBackupStatus status = done.getStatus();
    Ledger ledger = harness.emulator.ledger();
    assertEquals(1, ledger.backups().size());
    BackupRecord cloud = ledger.backups().get(0);
    assertEquals(uid, status.getClientToken());
    assertEquals(1, ledger.backupsCreatedWithToken(uid));
    assertEquals(cloud.backupJobId(), status.getBackupJobId());
    assertEquals(cloud.backupId(), status.getBackupId());
    assertEquals(100, status.getProgress());
    assertNotNull(status.getCompletionTime());
    assertNotNull(status.getBackupSetSize());
    assertNotNull(status.getLastRequestId());
    Condition ready = status.condition("Ready").orElseThrow();
    assertEquals("True", ready.getStatus());
    assertEquals(Reasons.BACKUP_SUCCEEDED, ready.getReason());
    // Events are for the outcome and for problems: the start and the progress are in status.
    assertTrue(harness.hasEvent("nightly", Reasons.BACKUP_SUCCEEDED));
    assertFalse(harness.hasEvent("nightly", Reasons.PENDING));
    assertFalse(harness.hasEvent("nightly", Reasons.BACKUP_RUNNING));
  }

  @Test
  void aBackupCostsItsFinalizerThreeStatusWritesAndTwoEvents() throws Exception {
    // The Kubernetes requests of one backup: the finalizer; the accept folded into the fence
    // before CreateBackup; the job id; the outcome. PolarDB's start of the job is not written on
    // its own (this process keeps it for the cluster's other backups), nor is progress while the
    // backup is young (it runs 2 s here and is looked at every 50 ms or more), and of Events only
    // the outcome's and the cluster's retention Warning (once per namespace and cluster) are sent.
    start(OperatorHarness.emulator().backupDuration(Duration.ofSeconds(2)));
    java.util.concurrent.atomic.AtomicInteger writes =
        new java.util.concurrent.atomic.AtomicInteger();
    try (var watch =
        client
            .resources(PolarDBBackup.class)
            .inNamespace(OperatorHarness.NAMESPACE)
            .withName("counted")
            .watch(
                new io.fabric8.kubernetes.client.Watcher<>() {
                  @Override
                  public void eventReceived(Action action, PolarDBBackup resource) {
                    if (action == Action.MODIFIED) {
                      writes.incrementAndGet();
                    }
                  }

                  @Override
                  public void onClose(io.fabric8.kubernetes.client.WatcherException cause) {}
                })) {
      harness.create("counted");
      harness.awaitPhase("counted", Phase.Succeeded);
      harness.create("second");
      harness.awaitPhase("second", Phase.Succeeded);
      Thread.sleep(500);
    }

    assertEquals(4, writes.get(), "finalizer, fence with the accept, job id, outcome");
    assertEquals(
        List.of(Reasons.BACKUP_SUCCEEDED, Reasons.DELETED_WITH_CLUSTER),
        harness.events("counted").stream().map(Event::getReason).sorted().toList());
    assertEquals(
        List.of(Reasons.BACKUP_SUCCEEDED),
        harness.events("second").stream().map(Event::getReason).toList(),
        "the cluster's retention was said on the first backup");
    assertTrue(
        harness
            .get("second")
            .getStatus()
            .condition(Reasons.RETAINED_AFTER_CLUSTER_DELETION)
            .isPresent(),
        "and every backup carries it in its condition");
  }

  @Test
  void concurrentBackupsOfOneClusterEachFindTheirOwnBackupSet() throws Exception {
    start(OperatorHarness.emulator().jobIdEqualsBackupId(false));
    List<String> names = List.of("c1", "c2", "c3");
    Map<String, String> uids = new java.util.HashMap<>();
    for (String name : names) {
      uids.put(name, harness.create(name).getMetadata().getUid());
    }

    Map<String, BackupRecord> byToken =
        harness.emulator.ledger().backups().stream()
            .collect(
                java.util.stream.Collectors.toMap(BackupRecord::clientToken, b -> b, (a, b) -> a));
    for (String name : names) {
      PolarDBBackupStatus status = harness.awaitPhase(name, Phase.Succeeded).getStatus();
      byToken =
          harness.emulator.ledger().backups().stream()
              .collect(
                  java.util.stream.Collectors.toMap(
                      BackupRecord::clientToken, b -> b, (a, b) -> a));
      BackupRecord mine = byToken.get(uids.get(name));
      assertEquals(mine.backupJobId(), status.getBackupJobId(), name);
      assertEquals(
          mine.backupId(), status.getBackupId(), name + " identified someone else's backup set");
    }
    assertEquals(3, harness.emulator.ledger().backups().size());
  }

  @Test
  void backupsOfOneClusterShareTheirProgressChecks() throws Exception {
    // Production's proportions: pollMin and lookGather (5 and 12 s) are coarser than the spread of
    // a burst's starts (here about half a second), and a backup runs many times pollMin.
    harness =
        new OperatorHarness(
                client,
                OperatorHarness.emulator().quota(50).backupDuration(Duration.ofSeconds(4)).build(),
                OperatorHarness.fastSettings().toBuilder()
                    .pollMin(Duration.ofMillis(500))
                    .pollMax(Duration.ofSeconds(2))
                    .lookGather(Duration.ofSeconds(1))
                    .build())
            .start();
    int n = 12;
    for (int i = 0; i < n; i++) {
      harness.create("burst-" + i);
    }
    for (int i = 0; i < n; i++) {
      harness.awaitPhase("burst-" + i, Phase.Succeeded);
    }

    Map<String, Long> calls = harness.emulator.ledger().callsByAction();
    long total = calls.values().stream().mapToLong(Long::longValue).sum();
    System.out.printf(
        "shared looks: %d PolarDB calls for %d backups (%.2f a backup): %s%n",
        total, n, (double) total / n, calls);
    assertEquals(n, calls.get("CreateBackup"));
    // A guard on the real operator (JOSDK timers, threads, the in-process claims); the exact
    // figures of the poll timing are PollTimingTest's, on a clock the test moves. Each backup
    // looking alone costs about 7 calls; shared, 1.3 to 1.6 (16 to 19 in all) in six runs here.
    assertTrue(total <= 3L * n, "PolarDB calls per backup must stay at most 3: " + calls);
  }

  @Test
  void aTokenCopiedFromAnotherResourceIsRefusedNeverShared() throws Exception {
    start(OperatorHarness.emulator().cluster("pc-busy", OperatorHarness.REGION, "ClassChanging"));
    PolarDBBackup first = harness.create("original");
    harness.awaitPhase("original", Phase.Succeeded);
    harness.create("copycat", new PolarDBBackupSpec("pc-busy", OperatorHarness.REGION));
    harness.awaitReason("copycat", Reasons.CLUSTER_NOT_READY);

    editStatus("copycat", s -> s.setClientToken(first.getMetadata().getUid()));
    harness.emulator.setClusterStatus("pc-busy", "Running");

    PolarDBBackup refused = harness.awaitPhase("copycat", Phase.Failed);
    assertEquals(Reasons.CLIENT_TOKEN_MISMATCH, refused.getStatus().getReason());
    assertEquals(1, harness.emulator.ledger().backups().size(), "no backup shared or made");
  }

  @Test
  void adoptsAnExistingBackupWithoutCreatingOneAndDeletesItByPolicy() throws Exception {
    start(OperatorHarness.emulator());
    assertTrue(harness.polarDb().createBackup(CLUSTER, "made-elsewhere").isOk());
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> "Success".equals(harness.emulator.ledger().backups().get(0).status()));
    String existing = harness.emulator.ledger().backups().get(0).backupId();

    harness.create(
        "adopted",
        new PolarDBBackupSpec(
            CLUSTER, OperatorHarness.REGION, DeletionPolicy.Delete, null, existing));
    PolarDBBackup done = harness.awaitPhase("adopted", Phase.Succeeded);

    assertEquals(existing, done.getStatus().getBackupId());
    assertNotNull(done.getStatus().getBackupSetSize());
    assertEquals(
        1L,
        harness.emulator.ledger().callsByAction().get("CreateBackup"),
        "adoption makes no backup");
    harness.delete("adopted");
    harness.awaitGone("adopted");
    assertEquals(
        0,
        liveBackups(harness.emulator.ledger()),
        "deletionPolicy Delete applies to adopted backups");
  }

  @Test
  void adoptingABackupThatDoesNotExistFails() throws Exception {
    start(OperatorHarness.emulator());
    harness.create(
        "ghost",
        new PolarDBBackupSpec(
            CLUSTER, OperatorHarness.REGION, DeletionPolicy.Retain, null, "999999"));

    PolarDBBackup failed = harness.awaitPhase("ghost", Phase.Failed);

    assertEquals(Reasons.BACKUP_NOT_FOUND, failed.getStatus().getReason());
    assertEquals(0L, harness.emulator.ledger().callsByAction().getOrDefault("CreateBackup", 0L));
  }

  @Test
  void adoptingARunningBackupFollowsItToSucceeded() throws Exception {
    // The backup takes ten minutes on the shared clock: it is running until the test moves time.
    ShiftableClock clock = new ShiftableClock();
    onClock(
            clock,
            OperatorHarness.emulator().backupDuration(Duration.ofMinutes(10)),
            OperatorHarness.fastSettings())
        .start();
    assertTrue(harness.polarDb().createBackup(CLUSTER, "made-elsewhere").isOk());
    String existing = harness.emulator.ledger().backups().get(0).backupId();
    harness.create(
        "adopted",
        new PolarDBBackupSpec(
            CLUSTER, OperatorHarness.REGION, DeletionPolicy.Retain, null, existing));

    PolarDBBackup adopting = harness.awaitReason("adopted", Reasons.ADOPTING);
    assertEquals(Phase.Pending, adopting.getStatus().getPhase());
    clock.jump(Duration.ofMinutes(11));
    PolarDBBackup done = harness.awaitPhase("adopted", Phase.Succeeded);

    assertEquals(existing, done.getStatus().getBackupId());
    assertNotNull(done.getStatus().getBackupSetSize());
    assertEquals("True", done.getStatus().condition("Ready").orElseThrow().getStatus());
    assertTrue(harness.hasEvent("adopted", Reasons.BACKUP_SUCCEEDED));
    assertEquals(
        1L,
        harness.emulator.ledger().callsByAction().get("CreateBackup"),
        "adoption makes no backup");
  }

  @Test
  void adoptingAFailedBackupEndsFailedAndSaysWhy() throws Exception {
    start(OperatorHarness.emulator());
    harness.emulator.failBackups(CLUSTER, "disk full");
    assertTrue(harness.polarDb().createBackup(CLUSTER, "made-elsewhere").isOk());
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> "Failed".equals(harness.emulator.ledger().backups().get(0).status()));
    String existing = harness.emulator.ledger().backups().get(0).backupId();

    harness.create(
        "adopted",
        new PolarDBBackupSpec(
            CLUSTER, OperatorHarness.REGION, DeletionPolicy.Retain, null, existing));
    PolarDBBackup failed = harness.awaitPhase("adopted", Phase.Failed);

    assertEquals(Reasons.BACKUP_FAILED, failed.getStatus().getReason());
    assertTrue(
        failed.getStatus().getMessage().contains(existing)
            && failed.getStatus().getMessage().contains("Failed"),
        failed.getStatus().getMessage());
    assertEquals("False", failed.getStatus().condition("Ready").orElseThrow().getStatus());
    assertTrue(harness.hasEvent("adopted", Reasons.BACKUP_FAILED));
    assertEquals(
        1L,
        harness.emulator.ledger().callsByAction().get("CreateBackup"),
        "adoption makes no backup");
  }

  @Test
  void aJobThatEndsWithoutABackupSetFailsWithBackupNotFound() throws Exception {
    // The operator is down while the backup ends and a DBA deletes its set. Back, it finds the job
    // ended and no set, and gives up only once backupNotFoundTimeout has passed on the shared
    // clock.
    ShiftableClock clock = new ShiftableClock();
    onClock(
            clock,
            OperatorHarness.emulator().backupDuration(Duration.ofMinutes(5)),
            OperatorHarness.fastSettings().toBuilder()
                .backupNotFoundTimeout(Duration.ofMinutes(30))
                .build())
        .start();
    harness.create("vanished");
    String jobId = harness.awaitJobSeen("vanished", Duration.ZERO).getStatus().getBackupJobId();
    harness.stopOperator();
    clock.jump(Duration.ofMinutes(6));
    String set = harness.emulator.ledger().backups().get(0).backupId();
    assertTrue(harness.polarDb().deleteBackup(CLUSTER, set).isOk(), "a DBA deletes the set");

    harness.start();
    harness.awaitThat(
        "vanished", b -> b.getStatus().getJobEndedTime() != null, Duration.ofSeconds(10));
    // Two more looks: the set may still appear, so the backup must not fail yet.
    long looks = harness.emulator.ledger().callsByAction().get("DescribeBackups");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> harness.emulator.ledger().callsByAction().get("DescribeBackups") >= looks + 2);
    assertEquals(Phase.Running, harness.get("vanished").getStatus().getPhase());

    clock.jump(Duration.ofMinutes(31));
    PolarDBBackup failed = harness.awaitPhase("vanished", Phase.Failed);

    assertEquals(Reasons.BACKUP_NOT_FOUND, failed.getStatus().getReason());
    assertTrue(failed.getStatus().getMessage().contains(jobId), failed.getStatus().getMessage());
    assertTrue(harness.hasEvent("vanished", Reasons.BACKUP_NOT_FOUND));
    assertEquals(1L, harness.emulator.ledger().callsByAction().get("CreateBackup"));
  }

  // Under both readings of when PolarDB replays a token: before its quota and cluster checks, or
  // after them.
  @ParameterizedTest(name = "{0}")
  @EnumSource(PolarDbEmulator.QuotaCheckOrder.class)
  void lostResponseOnCreateBackupStillCreatesExactlyOneBackup(PolarDbEmulator.QuotaCheckOrder order)
      throws Exception {
    start(OperatorHarness.emulator().quotaCheckOrder(order));
    harness.emulator.setFault("CreateBackup", new FaultSpec(Duration.ZERO, 0, 0, 1.0));
    String uid = harness.create("lost").getMetadata().getUid();

    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> harness.emulator.ledger().callsByAction().getOrDefault("CreateBackup", 0L) >= 2);
    harness.emulator.clearFaults();
    PolarDBBackup done = harness.awaitPhase("lost", Phase.Succeeded);

    Ledger ledger = harness.emulator.ledger();
    assertEquals(1, ledger.backups().size(), "a lost reply must not make a second backup");
    assertEquals(1, ledger.backupsCreatedWithToken(uid));
    assertEquals(
        uid, done.getStatus().getClientToken(), "an unknown outcome retries the same token");
    assertTrue(harness.hasEvent("lost", Reasons.OUTCOME_UNKNOWN));
  }

  @Test
  void atTheExpectedEndTheSetsAreLookedAtAndNotTheJobs() throws Exception {
    // Two backups of one cluster learn its duration from their jobs' progress (looks after 50 ms,
    // then doubling, until a job is past 20%), then aim one look just past their expected end.
    // There the backup sets answer: a complete set needs no look at the jobs. pollMax (10 s) is
    // longer than the backups (4 s), so no look is due between the learning and the end.
    ControllerSettings settings =
        OperatorHarness.fastSettings().toBuilder()
            .pollMax(Duration.ofSeconds(10))
            .lookGather(Duration.ZERO)
            .build();
    harness =
        new OperatorHarness(
                client,
                OperatorHarness.emulator().backupDuration(Duration.ofSeconds(4)).build(),
                settings)
            .start();
    List<String> pair = List.of("pair-0", "pair-1");
    pair.forEach(harness::create);
    List<PolarDBBackup> done =
        pair.stream().map(n -> harness.awaitPhase(n, Phase.Succeeded)).toList();

    // The emulator's own end of each job: made then, finished four seconds later.
    Ledger ledger = harness.emulator.ledger();
    java.time.Instant lastEnd =
        done.stream()
            .map(b -> b.getStatus().getBackupId())
            .map(
                id ->
                    ledger.backups().stream()
                        .filter(record -> record.backupId().equals(id))
                        .findFirst()
                        .orElseThrow())
            .map(record -> record.createdAt().plusSeconds(4))
            .max(java.time.Instant::compareTo)
            .orElseThrow();
    assertEquals(
        List.of(),
        ledger.callsTo("DescribeBackupTasks").stream()
            .filter(call -> call.at().isAfter(lastEnd))
            .toList(),
        "no look at the jobs after both ended at " + lastEnd);
    assertTrue(
        ledger.callsTo("DescribeBackups").stream().anyMatch(call -> call.at().isAfter(lastEnd)),
        "the sets told the ends");
  }

  @Test
  void restartedOperatorResumesFromStatusWithoutASecondBackup() throws Exception {
    start(OperatorHarness.emulator().backupDuration(Duration.ofSeconds(3)));
    harness.create("restart");
    harness.awaitPhase("restart", Phase.Running);
    harness.stopOperator();
    long createsBefore = harness.emulator.ledger().callsByAction().getOrDefault("CreateBackup", 0L);

    harness.start();
    harness.awaitPhase("restart", Phase.Succeeded);

    Ledger ledger = harness.emulator.ledger();
    assertEquals(1, ledger.backups().size());
    assertEquals(
        createsBefore,
        ledger.callsByAction().getOrDefault("CreateBackup", 0L),
        "the new operator follows the recorded job instead of calling CreateBackup again");
  }

  @Test
  void throttlingAndServerErrorStormsEndInOneBackup() throws Exception {
    start(OperatorHarness.emulator());
    harness.emulator.setFault("*", new FaultSpec(Duration.ZERO, 0.3, 0.3, 0));
    String uid = harness.create("storm").getMetadata().getUid();

    PolarDBBackup done = harness.awaitPhase("storm", Phase.Succeeded);

    assertEquals(1, harness.emulator.ledger().backups().size());
    assertEquals(1, harness.emulator.ledger().backupsCreatedWithToken(uid));
    assertEquals(Phase.Succeeded, done.getStatus().getPhase());
  }

  @Test
  void missingSecretWaitsThenSecretCreationStartsTheBackup() throws Exception {
    // Nothing watches Secrets, authRetry and the Secret cache's time to live are ten minutes: only
    // the first retries, short and growing with the wait (from 100 ms here), each reading a Secret
    // that was missing or invalid again, can pick up the created and then fixed Secret in time.
    ControllerSettings slowAuth =
        OperatorHarness.fastSettings(Duration.ofMinutes(10)).toBuilder()
            .secretCacheTtl(Duration.ofMinutes(10))
            .build();
    harness = new OperatorHarness(client, OperatorHarness.emulator().build(), slowAuth).start();
    harness.createWithSecret("with-secret", "polardb-creds");

    PolarDBBackup waiting = harness.awaitReason("with-secret", Reasons.SECRET_NOT_FOUND);
    assertEquals(Phase.Pending, waiting.getStatus().getPhase());
    assertTrue(harness.hasEvent("with-secret", Reasons.SECRET_NOT_FOUND));

    client
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("polardb-creds")
                .withNamespace(OperatorHarness.NAMESPACE)
                .endMetadata()
                .withStringData(Map.of("accessKeyId", OperatorHarness.KEY_ID))
                .build())
        .create();
    harness.awaitReason("with-secret", Reasons.SECRET_INVALID);

    client
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("polardb-creds")
                .withNamespace(OperatorHarness.NAMESPACE)
                .endMetadata()
                .withStringData(
                    Map.of(
                        "accessKeyId",
                        OperatorHarness.KEY_ID,
                        "accessKeySecret",
                        OperatorHarness.KEY_SECRET + "\n"))
                .build())
        .update();
    harness.awaitPhase("with-secret", Phase.Succeeded);

    String everything =
        harness.events("with-secret").toString() + harness.get("with-secret").getStatus();
    assertFalse(
        everything.contains(OperatorHarness.KEY_SECRET),
        "a secret value leaked into status or events");
  }

  @Test
  void wrongSecretKeyIsReportedAsAuthFailure() throws Exception {
    start(OperatorHarness.emulator());
    client
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("bad-creds")
                .withNamespace(OperatorHarness.NAMESPACE)
                .endMetadata()
                .withStringData(
                    Map.of(
                        "accessKeyId", OperatorHarness.KEY_ID, "accessKeySecret", "wrong-secret"))
                .build())
        .create();
    harness.createWithSecret("bad", "bad-creds");

    PolarDBBackup waiting = harness.awaitReason("bad", Reasons.AUTH_FAILED);

    assertEquals(Phase.Pending, waiting.getStatus().getPhase());
    assertTrue(
        waiting.getStatus().getMessage().contains("SignatureDoesNotMatch"),
        waiting.getStatus().getMessage());
    assertFalse(waiting.getStatus().toString().contains("wrong-secret"));
    assertEquals(0, harness.emulator.ledger().backups().size());
  }

  @Test
  void unknownClusterWaitsThenFails() throws Exception {
    start(OperatorHarness.emulator());
    harness.create("nowhere", new PolarDBBackupSpec("pc-doesnotexist", OperatorHarness.REGION));

    harness.awaitReason("nowhere", Reasons.CLUSTER_NOT_FOUND);
    PolarDBBackup failed = harness.awaitPhase("nowhere", Phase.Failed);

    assertEquals(Reasons.CLUSTER_NOT_FOUND, failed.getStatus().getReason());
    assertEquals("False", failed.getStatus().condition("Ready").orElseThrow().getStatus());
  }

  @Test
  void clusterThatBecomesRunningInTimeGetsItsBackup() throws Exception {
    start(
        OperatorHarness.emulator().cluster("pc-resizing", OperatorHarness.REGION, "ClassChanging"));
    harness.create("patient", new PolarDBBackupSpec("pc-resizing", OperatorHarness.REGION));

    harness.awaitReason("patient", Reasons.CLUSTER_NOT_READY);
    harness.emulator.setClusterStatus("pc-resizing", "Running");

    harness.awaitPhase("patient", Phase.Succeeded);
  }

  @Test
  void aClusterThatStaysNotRunningPastTheWaitFailsWithClusterNotReady() throws Exception {
    // clusterWaitTimeout is 30 minutes; the test moves the shared clock instead of waiting.
    ShiftableClock clock = new ShiftableClock();
    onClock(
            clock,
            OperatorHarness.emulator().cluster("pc-stopped", OperatorHarness.REGION, "Stopped"),
            OperatorHarness.fastSettings().toBuilder()
                .clusterWaitTimeout(Duration.ofMinutes(30))
                .build())
        .start();
    harness.create("waits", new PolarDBBackupSpec("pc-stopped", OperatorHarness.REGION));

    // Refused twice: the second refusal is a later pass that still waits.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                harness.emulator.ledger().callsTo("CreateBackup").stream()
                        .filter(c -> "OperationDenied.DBClusterStatus".equals(c.code()))
                        .count()
                    >= 2);
    PolarDBBackup waiting = harness.awaitReason("waits", Reasons.CLUSTER_NOT_READY);
    assertEquals(Phase.Pending, waiting.getStatus().getPhase(), "within the wait it only waits");

    clock.jump(Duration.ofMinutes(31));
    PolarDBBackup failed = harness.awaitPhase("waits", Phase.Failed);

    assertEquals(Reasons.CLUSTER_NOT_READY, failed.getStatus().getReason());
    assertTrue(
        failed.getStatus().getMessage().contains("giving up")
            && failed.getStatus().getMessage().contains("OperationDenied.DBClusterStatus"),
        failed.getStatus().getMessage());
    assertEquals("False", failed.getStatus().condition("Ready").orElseThrow().getStatus());
    assertTrue(harness.hasEvent("waits", Reasons.CLUSTER_NOT_READY));
    assertEquals(0, harness.emulator.ledger().backups().size());
  }

  @Test
  void aThrottledCallIsNotRetriedBeforeItsRetryAfter() throws Exception {
    // The error backoff is 50 ms; PolarDB asks for 1.5 s.
    harness =
        new OperatorHarness(
                client,
                OperatorHarness.emulator().build(),
                OperatorHarness.fastSettings().toBuilder()
                    .errorBackoff(new Backoff(Duration.ofMillis(50), Duration.ofMillis(50), 0))
                    .build())
            .start();
    harness.emulator.throttleNext("CreateBackup", 1, Duration.ofMillis(1500));
    harness.create("throttled");

    harness.awaitPhase("throttled", Phase.Succeeded);

    List<ApiCall> creates = harness.emulator.ledger().callsTo("CreateBackup");
    assertEquals(2, creates.size(), creates.toString());
    assertEquals("Throttling.User", creates.get(0).code());
    Duration gap = Duration.between(creates.get(0).at(), creates.get(1).at());
    assertTrue(
        gap.compareTo(Duration.ofMillis(1500)) >= 0,
        "the retry came " + gap.toMillis() + " ms after a reply that asked for 1500 ms");
    assertTrue(harness.hasEvent("throttled", Reasons.API_THROTTLED));
  }

  @Test
  void backupFailedByTheServiceIsTerminal() throws Exception {
    start(OperatorHarness.emulator());
    harness.emulator.failBackups(CLUSTER, "disk full");
    harness.create("doomed");

    PolarDBBackup failed = harness.awaitPhase("doomed", Phase.Failed);

    assertEquals(Reasons.BACKUP_FAILED, failed.getStatus().getReason());
    assertTrue(harness.hasEvent("doomed", Reasons.BACKUP_FAILED));
    assertEquals(1, harness.emulator.ledger().backups().size());
  }

  @Test
  void retainPolicyKeepsTheCloudBackup() throws Exception {
    start(OperatorHarness.emulator());
    harness.create("keep", DeletionPolicy.Retain);
    harness.awaitPhase("keep", Phase.Succeeded);

    harness.delete("keep");
    harness.awaitGone("keep");

    assertEquals(1, liveBackups(harness.emulator.ledger()));
  }

  @Test
  void deletePolicyDeletesTheCloudBackup() throws Exception {
    start(OperatorHarness.emulator());
    harness.create("drop", DeletionPolicy.Delete);
    harness.awaitPhase("drop", Phase.Succeeded);

    harness.delete("drop");
    harness.awaitGone("drop");

    assertEquals(0, liveBackups(harness.emulator.ledger()));
    assertEquals(1, harness.emulator.ledger().callsByAction().getOrDefault("DeleteBackup", 0L));
  }

  @Test
  void deletePolicyWaitsForARunningBackupThenDeletesIt() throws Exception {
    start(OperatorHarness.emulator().backupDuration(Duration.ofSeconds(2)));
    harness.create("early", DeletionPolicy.Delete);
    harness.awaitPhase("early", Phase.Running);

    harness.delete("early");
    assertNotNull(harness.get("early"), "the finalizer holds the resource while the backup runs");
    harness.awaitGone("early");

    List<BackupRecord> backups = harness.emulator.ledger().backups();
    assertEquals(1, backups.size());
    assertTrue(backups.get(0).deleted());
  }

  @Test
  void deletePolicyTreatsAnAlreadyDeletedBackupAsDone() throws Exception {
    start(OperatorHarness.emulator());
    harness.create("gone", DeletionPolicy.Delete);
    PolarDBBackup done = harness.awaitPhase("gone", Phase.Succeeded);
    assertTrue(harness.polarDb().deleteBackup(CLUSTER, done.getStatus().getBackupId()).isOk());

    harness.delete("gone");
    harness.awaitGone("gone");
  }

  @Test
  void deletingABackupThatNeverStartedIsImmediate() throws Exception {
    start(OperatorHarness.emulator());
    harness.create(
        "never",
        new PolarDBBackupSpec(
            "pc-doesnotexist", OperatorHarness.REGION, DeletionPolicy.Delete, null));
    harness.awaitReason("never", Reasons.CLUSTER_NOT_FOUND);

    harness.delete("never");
    harness.awaitGone("never");
    assertEquals(0, harness.emulator.ledger().callsByAction().getOrDefault("DeleteBackup", 0L));
  }

  @Test
  void deletingAfterALostReplyStillDeletesTheBackupThatWasMade() throws Exception {
    // The operator's own retry of the lost call is ten minutes away: only the deletion, by sending
    // the token again, can learn which job the lost reply would have named.
    harness =
        new OperatorHarness(
                client,
                OperatorHarness.emulator().build(),
                OperatorHarness.fastSettings().toBuilder()
                    .errorBackoff(new Backoff(Duration.ofMinutes(10), Duration.ofMinutes(10), 0))
                    .build())
            .start();
    harness.emulator.setFault("CreateBackup", FaultSpec.lostResponses(1.0));
    harness.create("unsure", DeletionPolicy.Delete);
    PolarDBBackup unsure = harness.awaitReason("unsure", Reasons.OUTCOME_UNKNOWN);
    assertNull(unsure.getStatus().getBackupJobId(), "no reply, so no job id in status");
    assertEquals(1, harness.emulator.ledger().backups().size(), "the lost reply made a backup");

    harness.emulator.clearFaults();
    harness.delete("unsure");
    harness.awaitGone("unsure");

    Ledger ledger = harness.emulator.ledger();
    assertEquals(0, liveBackups(ledger), "the backup nobody heard of was deleted");
    assertEquals(1, ledger.backups().size(), "no second backup");
    assertEquals(
        2L, ledger.callsByAction().get("CreateBackup"), "the deletion sent the token again");
    assertTrue(harness.hasEvent("unsure", "BackupDeleted"));
  }

  @Test
  void deletionThatCannotSucceedIsReleasedAfterTheTimeout() throws Exception {
    start(OperatorHarness.emulator());
    harness.create("timeout", DeletionPolicy.Delete);
    harness.awaitPhase("timeout", Phase.Succeeded);
    harness.emulator.setClusterStatus(CLUSTER, "Stopped");

    harness.delete("timeout");
    harness.awaitGone("timeout"); // fastSettings: deletionTimeout 5s

    assertTrue(harness.hasEvent("timeout", "DeletionTimedOut"));
    assertEquals(1, liveBackups(harness.emulator.ledger()));
  }

  @Test
  void backupsOutsideTheWatchedNamespacesAreLeftAlone() throws Exception {
    start(OperatorHarness.emulator());
    client
        .resource(
            new PolarDBBackup(
                "elsewhere", "foreign", new PolarDBBackupSpec(CLUSTER, OperatorHarness.REGION)))
        .create();
    harness.create("local");

    harness.awaitPhase("local", Phase.Succeeded);

    assertEquals(
        null,
        client
            .resources(PolarDBBackup.class)
            .inNamespace("elsewhere")
            .withName("foreign")
            .get()
            .getStatus());
    assertEquals(1, harness.emulator.ledger().backups().size());
  }

  @Test
  void specEditIsIgnored() throws Exception {
    start(
        OperatorHarness.emulator()
            .cluster("pc-other", OperatorHarness.REGION)
            .backupDuration(Duration.ofSeconds(1)));
    harness.create("fixed");
    harness.awaitPhase("fixed", Phase.Running);

    // The mock server does not run CEL, like an API server older than 1.25.
    harness.mergePatch("fixed", "{\"spec\":{\"dbClusterId\":\"pc-other\"}}");
    PolarDBBackup done = harness.awaitPhase("fixed", Phase.Succeeded);

    harness.awaitThat(
        "fixed",
        b -> b.getStatus().condition(Reasons.SPEC_CHANGE_IGNORED).isPresent(),
        Duration.ofSeconds(10));
    assertEquals(CLUSTER, done.getStatus().getAcceptedDbClusterId());
    assertTrue(
        harness.emulator.ledger().backups().stream()
            .allMatch(b -> b.dbClusterId().equals(CLUSTER)));
    assertEquals(1, harness.emulator.ledger().backups().size());
  }

  @Test
  void observedPhasesNeverMoveBackwards() throws Exception {
    start(OperatorHarness.emulator().backupDuration(Duration.ofSeconds(1)));
    harness.emulator.setFault("*", new FaultSpec(Duration.ZERO, 0.2, 0.2, 0));
    List<Phase> seen = new CopyOnWriteArrayList<>();
    var watch =
        client
            .resources(PolarDBBackup.class)
            .inNamespace(OperatorHarness.NAMESPACE)
            .watch(
                new Watcher<>() {
                  @Override
                  public void eventReceived(Action action, PolarDBBackup resource) {
                    if (resource.getStatus() != null
                        && resource.getStatus().getPhase() != null
                        && "mono".equals(resource.getMetadata().getName())) {
                      seen.add(resource.getStatus().getPhase());
                    }
                  }

                  @Override
                  public void onClose(WatcherException cause) {}
                });
    try {
      harness.create("mono");
      harness.awaitPhase("mono", Phase.Succeeded);
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> !seen.isEmpty() && seen.get(seen.size() - 1) == Phase.Succeeded);
    } finally {
      watch.close();
    }
    for (int i = 1; i < seen.size(); i++) {
      assertTrue(seen.get(i - 1).canMoveTo(seen.get(i)), "phase moved backwards: " + seen);
    }
    assertTrue(seen.contains(Phase.Running), seen.toString());
  }
}
