package dev.polardbbackup.schedule;

import static dev.polardbbackup.backup.OperatorHarness.CLUSTER;
import static dev.polardbbackup.backup.OperatorHarness.NAMESPACE;
import static dev.polardbbackup.backup.OperatorHarness.REGION;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.backup.MockKubernetes;
import dev.polardbbackup.backup.OperatorHarness;
import dev.polardbbackup.emulator.ClusterRecord;
import dev.polardbbackup.emulator.PolarDbEmulator;
import dev.polardbbackup.model.BackupTemplate;
import dev.polardbbackup.model.DeletionPolicy;
import dev.polardbbackup.model.DrillInProgress;
import dev.polardbbackup.model.DrillOutcome;
import dev.polardbbackup.model.GrantedAction;
import dev.polardbbackup.model.NewCluster;
import dev.polardbbackup.model.Phase;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupSchedule;
import dev.polardbbackup.model.PolarDBBackupScheduleSpec;
import dev.polardbbackup.model.PolarDBBackupScheduleStatus;
import dev.polardbbackup.model.PolarDBRestore;
import dev.polardbbackup.model.PolarDBRestoreSpec;
import dev.polardbbackup.model.Reasons;
import dev.polardbbackup.model.RestoreDrill;
import dev.polardbbackup.model.RestoreSource;
import dev.polardbbackup.model.RestoreTarget;
import dev.polardbbackup.model.Retention;
import dev.polardbbackup.model.VerifiedRestore;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Restore drills (spec.verify) against the mock API server and the emulator, with the restore
 * controller running: a drill restores the newest successful backup into one clone, reads its
 * verdict, deletes it, and records the result; at most one clone per schedule, also through a
 * restart, and its backup is kept until it is over. The schedules' clock starts at
 * 2030-01-01T01:30Z and moves when a test says; backups and clones run in real time.
 */
class RestoreDrillTest {
  private static final String NAME = "nightly";
  private static final NewCluster CLONE =
      NewCluster.of("polar.mysql.x4.medium", "cn-hangzhou-h", "vpc-1", "vsw-1");

  @RegisterExtension final MockKubernetes kubernetes = new MockKubernetes(() -> this.harness);
  private final KubernetesClient client = kubernetes.client;
  private OperatorHarness harness;

  private void start(PolarDbEmulator.Builder emulator, boolean restores) throws Exception {
    harness =
        new OperatorHarness(client, emulator.build(), OperatorHarness.fastSettings())
            .withSchedules();
    if (restores) {
      harness.withRestores(OperatorHarness.fastRestoreSettings());
    }
    harness.start();
  }

  private static PolarDBBackupScheduleSpec drilled(String every, Retention retention) {
    PolarDBBackupScheduleSpec spec =
        PolarDBBackupScheduleSpec.of(
            "0 * * * *", new BackupTemplate(CLUSTER, REGION, DeletionPolicy.Delete));
    if (retention != null) {
      spec = ScheduleSpecs.withRetention(spec, retention);
    }
    return ScheduleSpecs.withVerify(spec, new RestoreDrill(every, CLONE));
  }

  private PolarDBBackupSchedule create(PolarDBBackupScheduleSpec spec) {
    harness.createSchedule(NAME, spec);
    return awaitStatus(s -> s.getObservedSchedule() != null);
  }

  private PolarDBBackupSchedule awaitStatus(Predicate<PolarDBBackupScheduleStatus> condition) {
    return harness.awaitSchedule(NAME, s -> s.getStatus() != null && condition.test(s.getStatus()));
  }

  /** Moves the schedules' clock just past the tick and waits for that tick's backup. */
  private PolarDBBackup tick(String minute) {
    String iso =
        minute.substring(0, 4)
            + "-"
            + minute.substring(4, 6)
            + "-"
            + minute.substring(6, 8)
            + "T"
            + minute.substring(8, 10)
            + ":"
            + minute.substring(10, 12)
            + ":00.100Z";
    harness.scheduleClock.set(Instant.parse(iso));
    String child = NAME + "-" + minute;
    await().atMost(Duration.ofSeconds(20)).until(() -> harness.childNames(NAME).contains(child));
    return harness.awaitPhase(child, Phase.Succeeded);
  }

  private List<PolarDBRestore> restores() {
    return client.resources(PolarDBRestore.class).inNamespace(NAMESPACE).list().getItems();
  }

  /** The drill's clone, once its restore names it (it is then Creating or later). */
  private String awaitCloneBeingMade() {
    return await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                restores().stream()
                    .map(PolarDBRestore::getStatus)
                    .filter(status -> status != null && status.getDbClusterId() != null)
                    .map(status -> status.getDbClusterId())
                    .findFirst(),
            java.util.Optional::isPresent)
        .orElseThrow();
  }

  private List<ClusterRecord> clones() {
    return harness.emulator.ledger().clusters();
  }

  private VerifiedRestore awaitDrill(int number) {
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> harness.emulator.ledger().clusters().size() >= number);
    return awaitStatus(
            s ->
                s.getDrill() == null
                    && s.getLastVerifiedRestore() != null
                    && clones().size() == number
                    && clones()
                        .get(number - 1)
                        .dbClusterId()
                        .equals(s.getLastVerifiedRestore().cloneDbClusterId()))
        .getStatus()
        .getLastVerifiedRestore();
  }

  @Test
  void aDrillRestoresTheNewestBackupIntoOneCloneChecksItDeletesItAndRecordsIt() throws Exception {
    start(OperatorHarness.emulator().clusterCreationDuration(Duration.ofMillis(800)), true);
    create(drilled("24h", null));
    PolarDBBackup first = tick("203001010200");

    VerifiedRestore drill = awaitDrill(1);
    assertEquals(DrillOutcome.Succeeded, drill.outcome(), drill.message());
    assertEquals(Reasons.DRILL_SUCCEEDED, drill.reason());
    assertEquals(first.getStatus().getBackupId(), drill.backupId());
    assertNotNull(drill.cloneSeconds(), "how long the clone took");
    for (String db : harness.emulator.databasesOf(CLUSTER).keySet()) {
      assertTrue(drill.message().contains(db), db + " checked: " + drill.message());
    }
    ClusterRecord clone = clones().get(0);
    assertEquals(first.getStatus().getBackupId(), clone.cloneDataPoint());
    assertEquals(CLUSTER, clone.sourceDbClusterId());
    assertEquals(drill.cloneDbClusterId(), clone.dbClusterId());
    await().atMost(Duration.ofSeconds(20)).until(() -> restores().isEmpty());
    assertTrue(harness.emulator.ledger().liveClusters().isEmpty(), "the clone is deleted");
    PolarDBBackupScheduleStatus status = harness.schedule(NAME).getStatus();
    Instant next = Instant.parse(status.getNextVerifyTime());
    assertEquals(Instant.parse("2030-01-02T02:00:00Z"), next, "an interval after it began");
    assertTrue(status.condition(PolarDBBackupScheduleStatus.STALLED).isEmpty());
    assertTrue(harness.hasEvent(NAME, Reasons.DRILL_STARTED));
    assertTrue(harness.hasEvent(NAME, Reasons.DRILL_SUCCEEDED));

    // Not again before it is due, however many backups succeed.
    tick("203001010300");
    harness.awaitFreshPass(PolarDBBackupSchedule.class, NAME);
    assertEquals(1, clones().size(), "no drill before its interval has passed");

    // Due: the newest successful backup is restored.
    harness.scheduleClock.set(Instant.parse("2030-01-02T02:00:00.100Z"));
    VerifiedRestore second = awaitDrill(2);
    assertEquals(DrillOutcome.Succeeded, second.outcome(), second.message());
    assertFalse(second.backupId().equals(first.getStatus().getBackupId()), "the newest backup");
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> harness.emulator.ledger().liveClusters().isEmpty());
  }

  @Test
  void aCloneThatLacksADatabaseFailsTheDrillStallsTheScheduleAndIsStillDeleted() throws Exception {
    start(OperatorHarness.emulator().clusterCreationDuration(Duration.ofSeconds(3)), true);
    create(drilled("24h", null));
    tick("203001010200");
    String clone = awaitCloneBeingMade();
    String dropped = harness.emulator.databasesOf(clone).keySet().iterator().next();
    harness.emulator.console().dropDatabase(clone, dropped);

    VerifiedRestore drill = awaitDrill(1);
    assertEquals(DrillOutcome.Failed, drill.outcome(), drill.message());
    assertTrue(drill.message().contains(dropped), drill.message());
    PolarDBBackupSchedule schedule =
        awaitStatus(
            s ->
                s.condition(PolarDBBackupScheduleStatus.STALLED)
                    .filter(c -> Reasons.DRILL_FAILED.equals(c.getReason()))
                    .isPresent());
    assertTrue(
        schedule
            .getStatus()
            .condition(PolarDBBackupScheduleStatus.STALLED)
            .orElseThrow()
            .getMessage()
            .contains(dropped));
    assertTrue(harness.hasEvent(NAME, Reasons.DRILL_FAILED));
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> harness.emulator.ledger().liveClusters().isEmpty());
    assertEquals(1, clones().size());
  }

  @Test
  void aRestartMidDrillMakesNoSecondCloneAndRetentionKeepsTheDrilledBackupUntilItEnds()
      throws Exception {
    start(OperatorHarness.emulator().clusterCreationDuration(Duration.ofSeconds(8)), true);
    create(drilled("24h", new Retention(1, 1, null, null)));
    PolarDBBackup first = tick("203001010200");
    awaitCloneBeingMade();

    harness.stopOperator();
    harness.start();
    PolarDBBackup second = tick("203001010300");
    // keepLast 1 would delete the first backup now; the drill still restores it.
    harness.awaitFreshPass(PolarDBBackupSchedule.class, NAME);
    assertNotNull(harness.schedule(NAME).getStatus().getDrill(), "the drill is still running");
    assertTrue(harness.childNames(NAME).contains(first.getMetadata().getName()));

    VerifiedRestore drill = awaitDrill(1);
    assertEquals(DrillOutcome.Succeeded, drill.outcome(), drill.message());
    assertEquals(first.getStatus().getBackupId(), drill.backupId());
    assertEquals(1, clones().size(), "one clone through the restart");
    assertEquals(1L, harness.emulator.ledger().callsByAction().getOrDefault("CreateDBCluster", 0L));
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> harness.childNames(NAME).equals(List.of(second.getMetadata().getName())));
  }

  @Test
  void aDrillWithoutTheRestoreActionFailsAtOnceAndTheNextComesWithinTheHour() throws Exception {
    harness =
        new OperatorHarness(
                client,
                OperatorHarness.emulator().clusterCreationDuration(Duration.ofMillis(800)).build(),
                OperatorHarness.fastSettings())
            .withSchedules()
            .withRestores(OperatorHarness.fastRestoreSettings())
            .withoutAllowAllGrant();
    client
        .resource(
            OperatorHarness.grant(
                "backups-only",
                new LabelSelector(),
                REGION,
                CLUSTER,
                null,
                GrantedAction.Backup,
                GrantedAction.Delete))
        .create();
    harness.start();
    create(drilled("7d", null));
    tick("203001010200");

    VerifiedRestore refused =
        awaitStatus(s -> s.getLastVerifiedRestore() != null).getStatus().getLastVerifiedRestore();
    assertEquals(DrillOutcome.Failed, refused.outcome());
    assertTrue(refused.message().contains("not permitted"), refused.message());
    assertNull(refused.cloneDbClusterId());
    assertEquals(0, clones().size(), "no clone without the grant");
    PolarDBBackupSchedule stalled =
        awaitStatus(
            s ->
                s.condition(PolarDBBackupScheduleStatus.STALLED)
                    .filter(c -> Reasons.DRILL_FAILED.equals(c.getReason()))
                    .isPresent());
    assertEquals(
        Instant.parse("2030-01-01T03:00:00Z"),
        Instant.parse(stalled.getStatus().getNextVerifyTime()),
        "nothing was billed: the next drill within the hour, not in 7 days");

    client
        .resource(
            OperatorHarness.grant(
                "restores", new LabelSelector(), REGION, CLUSTER, null, GrantedAction.Restore))
        .create();
    harness.scheduleClock.set(Instant.parse("2030-01-01T03:00:00.200Z"));
    VerifiedRestore passed = awaitDrill(1);
    assertEquals(DrillOutcome.Succeeded, passed.outcome(), passed.message());
    awaitStatus(s -> s.condition(PolarDBBackupScheduleStatus.STALLED).isEmpty());
  }

  @Test
  void aDrillWhoseRestoreWasNeverMadeMakesItAndOneDeletedBySomeoneFails() throws Exception {
    // No restore controller: what is looked at is the schedule's own bookkeeping.
    start(OperatorHarness.emulator(), false);
    harness.createSchedule(
        NAME,
        ScheduleSpecs.withVerify(
            PolarDBBackupScheduleSpec.of(
                "0 0 1 1 *", new BackupTemplate(CLUSTER, REGION, DeletionPolicy.Delete)),
            new RestoreDrill("24h", CLONE)));
    PolarDBBackupSchedule seen = awaitStatus(s -> s.getObservedSchedule() != null);
    // A process stopped between writing the drill and creating its restore.
    String child = RestoreDrills.drillName(NAME, Instant.parse("2030-01-01T01:00:00Z"));
    harness.mergePatchSchedule(
        NAME, "{\"metadata\":{\"annotations\":{\"polardbbackup.dev/paused\":\"true\"}}}");
    awaitStatus(s -> s.condition(Reasons.PAUSED).isPresent());
    PolarDBBackupSchedule paused = harness.schedule(NAME);
    paused
        .getStatus()
        .drillStarted(
            DrillInProgress.start("2030-01-01T01:00:00Z", "12345", "nightly-backup", null)
                .withRestoreName(child));
    client.resource(paused).updateStatus();
    harness.mergePatchSchedule(
        NAME, "{\"metadata\":{\"annotations\":{\"polardbbackup.dev/paused\":null}}}");

    PolarDBBackupSchedule made =
        awaitStatus(s -> s.getDrill() != null && s.getDrill().clientToken() != null);
    PolarDBRestore restore =
        client.resources(PolarDBRestore.class).inNamespace(NAMESPACE).withName(child).get();
    assertEquals(restore.getMetadata().getUid(), made.getStatus().getDrill().clientToken());
    assertEquals(
        seen.getMetadata().getUid(), restore.getMetadata().getOwnerReferences().get(0).getUid());
    assertEquals(DeletionPolicy.Delete, restore.getSpec().deletionPolicy());
    assertEquals("nightly-backup", restore.getSpec().source().backupRef().name());

    client.resource(restore).delete();
    VerifiedRestore failed =
        awaitStatus(s -> s.getLastVerifiedRestore() != null).getStatus().getLastVerifiedRestore();
    assertEquals(DrillOutcome.Failed, failed.outcome());
    assertTrue(
        failed.message().contains("was deleted before the drill finished"), failed.message());
    assertTrue(restores().isEmpty(), "not made again");
  }

  @Test
  void aDrillRestoreThisScheduleDoesNotRunIsDeleted() throws Exception {
    start(OperatorHarness.emulator(), false);
    PolarDBBackupSchedule schedule =
        create(
            PolarDBBackupScheduleSpec.of(
                "0 0 1 1 *", new BackupTemplate(CLUSTER, REGION, DeletionPolicy.Delete)));
    PolarDBRestore stray =
        new PolarDBRestore(
            NAMESPACE,
            NAME + "-drill-203001010000",
            new PolarDBRestoreSpec(
                REGION,
                null,
                RestoreSource.ofBackup("whatever"),
                RestoreTarget.ofNewCluster(CLONE),
                DeletionPolicy.Delete,
                null));
    stray
        .getMetadata()
        .setLabels(
            Map.of(
                PolarDBBackupScheduleReconciler.SCHEDULE_LABEL,
                NAME,
                RestoreDrills.DRILL_LABEL,
                "true"));
    stray
        .getMetadata()
        .setOwnerReferences(
            List.of(
                new OwnerReferenceBuilder()
                    .withApiVersion(schedule.getApiVersion())
                    .withKind(schedule.getKind())
                    .withName(NAME)
                    .withUid(schedule.getMetadata().getUid())
                    .withController(true)
                    .build()));
    client.resource(stray).create();

    await().atMost(Duration.ofSeconds(20)).until(() -> restores().isEmpty());
    assertTrue(harness.hasEvent(NAME, Reasons.DRILL_CLONE_DELETED));
    assertNull(harness.schedule(NAME).getStatus().getDrill());
  }
}
