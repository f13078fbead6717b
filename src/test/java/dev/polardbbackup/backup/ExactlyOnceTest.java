package dev.polardbbackup.backup;

import static dev.polardbbackup.backup.OperatorHarness.CLUSTER;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * "Exactly one backup per resource, and never anyone else's" on the paths where it is easiest to
 * break: a write lost after CreateBackup, a refusal after an unknown outcome when PolarDB checks
 * the quota before the token, a token PolarDB has forgotten, and deletions that must end.
 */
class ExactlyOnceTest {
  @RegisterExtension final MockKubernetes kubernetes = new MockKubernetes(() -> this.harness);
  private final KubernetesClient client = kubernetes.client;
  private OperatorHarness harness;

  private OperatorHarness start(PolarDbEmulator.Builder emulator, ControllerSettings settings)
      throws Exception {
    harness = new OperatorHarness(client, emulator.build(), settings).start();
    return harness;
  }

  /**
   * The fast settings, but with timers long enough that only an event can act within a test, and
   * 1.5 s between retries after an error, time enough for a test to change the cloud in between.
   */
  private static ControllerSettings patient() {
    return OperatorHarness.fastSettings().toBuilder()
        .errorBackoff(new Backoff(Duration.ofMillis(1500), Duration.ofMillis(1500), 0))
        .queueRecheck(Duration.ofMinutes(5))
        .deletionTimeout(Duration.ofMinutes(10))
        .deletionRetry(Duration.ofMinutes(5))
        .build();
  }

  /**
   * A harness whose emulator and operator share a clock that the test can move. The mock API server
   * dates deletions by the real clock, so deletion gets the hour it has by default.
   */
  private OperatorHarness onClock(
      ShiftableClock clock, PolarDbEmulator.Builder emulator, ControllerSettings settings)
      throws Exception {
    return new OperatorHarness(
            client,
            emulator.clock(clock).build(),
            settings.toBuilder().deletionTimeout(Duration.ofHours(1)).build())
        .withClock(clock);
  }

  private static long live(Ledger ledger) {
    return ledger.backups().stream().filter(b -> !b.deleted()).count();
  }

  @Test
  void deletingWhileCreateBackupIsInFlightLeavesNoBackupBehind() throws Exception {
    // The reply comes 1.5 s after the call; the deletion lands meanwhile, so the write of the job
    // id
    // gets a conflict. The intent written before the call is what tells deletion to look.
    start(OperatorHarness.emulator(), OperatorHarness.fastSettings());
    harness.emulator.setFault("CreateBackup", new FaultSpec(Duration.ofMillis(1500), 0, 0, 0));
    harness.create("inflight", DeletionPolicy.Delete);
    harness.awaitThat(
        "inflight",
        b -> b.getStatus() != null && b.getStatus().getPhase() != null,
        Duration.ofSeconds(10));

    harness.delete("inflight");
    harness.awaitGone("inflight");

    Ledger ledger = harness.emulator.ledger();
    assertTrue(ledger.backups().size() <= 1, "never a second backup: " + ledger.backups());
    assertEquals(0, live(ledger), "the backup made during the deletion was deleted too");
  }

  @Test
  void aLostDeleteBackupReplyNeverLeadsToDeletingAnotherSet() throws Exception {
    // Deleted while Running, so the set is found by matching its job's start time. The first
    // DeleteBackup deletes it but its reply is lost; a DBA's backup made right then is the only
    // manual set left near the job. Matched again, it would be taken for ours and deleted: the set
    // the deletion chose must be the only one it ever deletes.
    start(
        OperatorHarness.emulator().backupDuration(Duration.ofSeconds(2)),
        OperatorHarness.fastSettings());
    harness.create("mine", DeletionPolicy.Delete);
    harness.awaitThat(
        "mine",
        b -> b.getStatus() != null && b.getStatus().getBackupJobId() != null,
        Duration.ofSeconds(10));
    harness.emulator.setFault("DeleteBackup", new FaultSpec(Duration.ZERO, 0, 0, 1.0));
    harness.delete("mine");
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> !harness.emulator.ledger().callsTo("DeleteBackup").isEmpty());
    String dbas = harness.emulator.createConsoleBackup(CLUSTER);
    harness.awaitGone("mine");

    Ledger ledger = harness.emulator.ledger();
    BackupRecord dba =
        ledger.backups().stream().filter(b -> b.backupId().equals(dbas)).findFirst().orElseThrow();
    assertFalse(dba.deleted(), "the DBA's backup " + dbas + " was left alone: " + ledger.backups());
    assertEquals(
        1,
        ledger.backups().stream().filter(b -> b.clientToken() != null && b.deleted()).count(),
        "our own set was deleted, once: " + ledger.backups());
    // Found gone, the deletion ended at once rather than waiting for its timeout.
    assertTrue(
        harness.events("mine").stream().noneMatch(e -> "DeletionTimedOut".equals(e.getReason())),
        "no DeletionTimedOut: " + harness.events("mine").stream().map(e -> e.getReason()).toList());
  }

  @Test
  void aReplicaWithAStaleViewSendsNoCreateBackup() throws Exception {
    // "contested" waits for the cluster's CreateBackup lock while "first" holds it for 1.5 s.
    // Meanwhile "another replica" (the test) moves contested on: it recorded a backup job for it.
    // The operator's intent write then conflicts, so it never sends its own, older token.
    start(OperatorHarness.emulator().jobIdEqualsBackupId(true), OperatorHarness.fastSettings());
    harness.emulator.setFault("CreateBackup", new FaultSpec(Duration.ofMillis(1500), 0, 0, 0));
    harness.create("first");
    harness.awaitThat(
        "first",
        b -> b.getStatus() != null && b.getStatus().getClientTokenLastSent() != null,
        Duration.ofSeconds(10));
    String uid = harness.create("contested").getMetadata().getUid();
    // The operator takes contested up (its finalizer first), accepts it in memory (the accept is
    // written with the intent, not before) and waits for the lock.
    PolarDBBackup accepted =
        harness.awaitThat(
            "contested", b -> !b.getMetadata().getFinalizers().isEmpty(), Duration.ofSeconds(10));
    Thread.sleep(300);
    assertEquals(null, accepted.getStatus(), "contested is still waiting for the lock");

    String job = harness.emulator.createConsoleBackup(CLUSTER);
    PolarDBBackupStatus moved =
        PolarDBBackupStatus.accept(uid, accepted.getSpec(), 1, java.time.Instant.now());
    moved.setClientToken(uid + "-2");
    moved.setAttempt(2);
    moved.started(job, "by-the-other-replica", java.time.Instant.now());
    accepted.setStatus(moved);
    client.resource(accepted).updateStatus();

    PolarDBBackup done = harness.awaitPhase("contested", Phase.Succeeded);
    assertEquals(
        0,
        harness.emulator.ledger().backupsCreatedWithToken(uid),
        "the stale view's token was never sent");
    assertEquals(
        2,
        harness.emulator.ledger().backups().size(),
        "first's backup and the one the other replica recorded, no third");
    assertEquals(job, done.getStatus().getBackupId());
  }

  @Test
  void aQuotaRefusalAfterALostReplyKeepsTheTokenSoNoSecondBackupIsMade() throws Exception {
    // PolarDB may check the quota before it looks at the token. Then a retry of a token whose
    // backup fills the last slot is refused, and that refusal says nothing about the first call.
    start(
        OperatorHarness.emulator()
            .quota(2)
            .quotaCheckOrder(PolarDbEmulator.QuotaCheckOrder.QUOTA_FIRST),
        OperatorHarness.fastSettings());
    String dba = harness.emulator.createConsoleBackup(CLUSTER);
    harness.emulator.setFault("CreateBackup", new FaultSpec(Duration.ZERO, 0, 0, 1.0));
    String uid = harness.create("unsure").getMetadata().getUid();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> harness.emulator.ledger().backups().size() == 2);
    harness.emulator.clearFaults();

    PolarDBBackup waiting = harness.awaitReason("unsure", Reasons.WAITING_FOR_QUOTA);
    assertEquals(
        uid,
        waiting.getStatus().getClientToken(),
        "a refusal after an unknown outcome must not move to a new token");
    assertTrue(waiting.getStatus().getMessage().contains("may include this resource's own"));

    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                harness.emulator.ledger().backups().stream()
                    .anyMatch(b -> b.backupId().equals(dba) && "Success".equals(b.status())));
    assertTrue(harness.polarDb().deleteBackup(CLUSTER, dba).isOk(), "the DBA frees a slot");
    PolarDBBackup done = harness.awaitPhase("unsure", Phase.Succeeded);

    List<BackupRecord> ours = OperatorHarness.madeWithTokensOf(harness.emulator.ledger(), uid);
    assertEquals(1, ours.size(), "exactly one backup for the resource: " + ours);
    assertEquals(ours.get(0).backupId(), done.getStatus().getBackupId());
  }

  @Test
  void aTokenOlderThanTheReuseWindowIsLookedForInsteadOfSentAgain() throws Exception {
    // PolarDB forgets tokens after a minute here; the operator trusts them for 30 s. The operator
    // is down for two minutes right after a CreateBackup whose reply was lost.
    ShiftableClock clock = new ShiftableClock();
    harness =
        onClock(
            clock,
            OperatorHarness.emulator().tokenTtl(Duration.ofMinutes(1)),
            OperatorHarness.fastSettings().toBuilder()
                .tokenReuseWindow(Duration.ofSeconds(30))
                .build());
    harness.emulator.setFault("CreateBackup", new FaultSpec(Duration.ZERO, 0, 0, 1.0));
    harness.start();
    String uid = harness.create("outage", DeletionPolicy.Delete).getMetadata().getUid();
    harness.awaitReason("outage", Reasons.OUTCOME_UNKNOWN);
    harness.stopOperator();
    assertEquals(1, harness.emulator.ledger().backups().size(), "the lost reply made a backup");

    clock.jump(Duration.ofMinutes(2));
    harness.emulator.clearFaults();
    harness.start();
    // The backup the lost reply made is the only candidate, but it cannot be told from one a DBA
    // made meanwhile: the resource names it instead of taking it, and deletion leaves it alone.
    PolarDBBackup done = harness.awaitReason("outage", Reasons.UNCERTAIN_OUTCOME);

    List<BackupRecord> ours = OperatorHarness.madeWithTokensOf(harness.emulator.ledger(), uid);
    assertEquals(1, ours.size(), "the forgotten token was not sent again: " + ours);
    assertEquals(Phase.Failed, done.getStatus().getPhase());
    assertTrue(done.getStatus().getMessage().contains(ours.get(0).backupId()));
    harness.delete("outage");
    harness.awaitGone("outage");
    assertTrue(harness.hasEvent("outage", Reasons.BACKUP_LEFT_UNDELETED));
    assertEquals(1, live(harness.emulator.ledger()), "a backup that may be anyone's is kept");
  }

  @Test
  void aBackupThatFailedWhileItsCreateOutcomeWasUnknownIsStillDeleted() throws Exception {
    // The reply of the first call is lost, then the cluster stops: with the quota and cluster
    // checked before the token, every retry is refused until the wait for the cluster gives up.
    start(
        OperatorHarness.emulator().quotaCheckOrder(PolarDbEmulator.QuotaCheckOrder.QUOTA_FIRST),
        patient());
    harness.emulator.setFault("CreateBackup", new FaultSpec(Duration.ZERO, 0, 0, 1.0));
    harness.create("stranded", DeletionPolicy.Delete);
    harness.awaitReason("stranded", Reasons.OUTCOME_UNKNOWN);
    harness.emulator.setClusterStatus(CLUSTER, "Stopped"); // before the retry, 1.5 s later
    harness.emulator.clearFaults();
    harness.awaitPhase("stranded", Phase.Failed);
    assertTrue(harness.get("stranded").getStatus().mayHaveUnseenBackup());

    harness.emulator.setClusterStatus(CLUSTER, "Running");
    harness.delete("stranded");
    harness.awaitGone("stranded");

    assertFalse(harness.hasEvent("stranded", "DeletionTimedOut"));
    assertEquals(1, harness.emulator.ledger().backups().size());
    assertEquals(0, live(harness.emulator.ledger()), "the backup nobody heard of was deleted");
  }

  @Test
  void theForceDeleteAnnotationActsAtOnce() throws Exception {
    start(OperatorHarness.emulator(), patient());
    harness.create("stuck", DeletionPolicy.Delete);
    harness.awaitPhase("stuck", Phase.Succeeded);
    harness.emulator.setClusterStatus(CLUSTER, "Stopped"); // DeleteBackup now refused
    harness.delete("stuck");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> harness.hasEvent("stuck", "DeletionRetrying"));
    assertNotNull(harness.get("stuck"), "held while DeleteBackup is refused");

    harness.mergePatch(
        "stuck",
        "{\"metadata\":{\"annotations\":{\""
            + PolarDBBackup.FORCE_DELETE_ANNOTATION
            + "\":\"true\"}}}");
    // The next deletion attempt is five minutes away: only the annotation's own event can act.
    harness.awaitGone("stuck");
    assertTrue(harness.hasEvent("stuck", "ForceDeleted"));
  }

  @Test
  void removingThePauseAnnotationResumesAtOnce() throws Exception {
    start(OperatorHarness.emulator(), patient());
    PolarDBBackup held =
        new PolarDBBackup(
            OperatorHarness.NAMESPACE,
            "held",
            new PolarDBBackupSpec(CLUSTER, OperatorHarness.REGION));
    held.getMetadata().setAnnotations(Map.of(PolarDBBackup.PAUSED_ANNOTATION, "true"));
    client.resource(held).create();
    harness.awaitThat(
        "held",
        b -> b.getStatus() != null && b.getStatus().condition(Reasons.PAUSED).isPresent(),
        Duration.ofSeconds(10));
    assertEquals(0, harness.emulator.ledger().callsByAction().getOrDefault("CreateBackup", 0L));
    assertTrue(harness.hasEvent("held", Reasons.PAUSED));

    harness.mergePatch(
        "held",
        "{\"metadata\":{\"annotations\":{\"" + PolarDBBackup.PAUSED_ANNOTATION + "\":null}}}");
    // A paused object is not looked at again on a timer: only the annotation's event resumes it.
    PolarDBBackup done = harness.awaitPhase("held", Phase.Succeeded);
    assertTrue(done.getStatus().condition(Reasons.PAUSED).isEmpty());
  }

  @Test
  void aFailedBackupSetThatPolarDbWillNotDeleteIsReleasedWithAWarning() throws Exception {
    start(OperatorHarness.emulator(), patient());
    harness.emulator.failBackups(CLUSTER, "disk full");
    harness.create("broken", DeletionPolicy.Delete);
    harness.awaitPhase("broken", Phase.Failed);

    harness.delete("broken");
    harness.awaitGone("broken");

    assertTrue(harness.hasEvent("broken", Reasons.DELETE_REFUSED));
    assertFalse(harness.hasEvent("broken", "DeletionTimedOut"));
    assertNotNull(harness.emulator.ledger().backups().get(0));
    assertEquals(1, live(harness.emulator.ledger()), "the docs let PolarDB keep a Failed set");
  }

  @Test
  void consoleBackupsNextToOursAreNeverClaimedNorDeleted() throws Exception {
    // Job ids differ from backup ids, so every set is matched by start time, and PolarDB lists a
    // new job late. A DBA takes manual backups by hand before ours and while ours run.
    ShiftableClock clock = new ShiftableClock();
    harness =
        onClock(
                clock,
                OperatorHarness.emulator()
                    .quota(20)
                    .backupDuration(Duration.ofSeconds(10))
                    // Shorter than pollMax (300 ms here): a job not listed for longer is taken
                    // as ended.
                    .taskListingLag(Duration.ofMillis(200)),
                OperatorHarness.fastSettings())
            .start();
    List<String> foreign = new java.util.ArrayList<>();
    foreign.add(harness.emulator.createConsoleBackup(CLUSTER));
    clock.jump(Duration.ofSeconds(5));
    List<String> names = List.of("ours-0", "ours-1");
    for (String name : names) {
      harness.create(name, DeletionPolicy.Delete);
    }
    for (String name : names) {
      harness.awaitJobSeen(name, Duration.ofMillis(200));
    }
    // Three seconds into ours (they take ten), the DBA clicks "backup".
    clock.jump(Duration.ofSeconds(3));
    foreign.add(harness.emulator.createConsoleBackup(CLUSTER));
    clock.jump(Duration.ofSeconds(10));
    for (String name : names) {
      harness.awaitPhase(name, Phase.Succeeded);
    }
    // Long after, with nobody else's backup near it.
    clock.jump(Duration.ofMinutes(10));
    harness.create("alone", DeletionPolicy.Delete);
    // The cluster's usual duration is known now (ten seconds): alone's first look is planned for
    // its end, so only its job id is there to wait for.
    harness.awaitThat(
        "alone",
        b -> b.getStatus() != null && b.getStatus().getBackupJobId() != null,
        Duration.ofSeconds(10));
    clock.jump(Duration.ofSeconds(10));
    harness.awaitPhase("alone", Phase.Succeeded);

    Ledger ledger = harness.emulator.ledger();
    for (String name : List.of("ours-0", "ours-1", "alone")) {
      PolarDBBackup b = harness.get(name);
      List<BackupRecord> made = OperatorHarness.madeWithTokensOf(ledger, b.getMetadata().getUid());
      assertEquals(1, made.size(), name + " made one backup");
      assertEquals(
          made.get(0).backupId(), b.getStatus().getBackupId(), name + " names its own backup");
    }
    for (String name : names) {
      assertTrue(
          harness.get(name).getStatus().condition(Reasons.UNCERTAIN_MATCH).isPresent(),
          name
              + ": the DBA's backup 3 s later could have been its own, and it says so: "
              + harness.get(name).getStatus().getConditions()
              + " ledger "
              + ledger.backups());
    }
    assertTrue(harness.get("alone").getStatus().condition(Reasons.UNCERTAIN_MATCH).isEmpty());

    String aloneId = harness.get("alone").getStatus().getBackupId();
    for (String name : List.of("ours-0", "ours-1", "alone")) {
      harness.delete(name);
      harness.awaitGone(name);
    }
    for (BackupRecord b : harness.emulator.ledger().backups()) {
      if (foreign.contains(b.backupId())) {
        assertFalse(b.deleted(), "the DBA's backup " + b.backupId() + " was left alone");
      } else if (b.backupId().equals(aloneId)) {
        assertTrue(b.deleted(), "a backup matched without doubt is deleted by its policy");
      } else {
        assertFalse(b.deleted(), "a backup matched in doubt is never deleted");
      }
    }
    for (String name : names) {
      assertTrue(harness.hasEvent(name, Reasons.BACKUP_LEFT_UNDELETED));
    }
  }

  @Test
  void aBackupSetLeftInAnUndocumentedStatusFailsInsteadOfBeingPolledForEver() throws Exception {
    // fastSettings: backupNotFoundTimeout 5 s after the job was seen ended.
    start(OperatorHarness.emulator(), OperatorHarness.fastSettings());
    harness.emulator.endBackupsAs(CLUSTER, "Expired");
    harness.create("odd");

    PolarDBBackup failed = harness.awaitReason("odd", Reasons.BACKUP_STATUS_UNKNOWN);
    assertEquals(Phase.Failed, failed.getStatus().getPhase());
    assertTrue(failed.getStatus().getMessage().contains("'Expired'"));
    assertTrue(harness.hasEvent("odd", Reasons.BACKUP_STATUS_UNKNOWN));
  }
}
