package dev.polardbbackup.schedule;

import static dev.polardbbackup.backup.OperatorHarness.CLUSTER;
import static dev.polardbbackup.backup.OperatorHarness.NAMESPACE;
import static dev.polardbbackup.backup.OperatorHarness.REGION;
import static dev.polardbbackup.schedule.ScheduleSpecs.withCatchUpPolicy;
import static dev.polardbbackup.schedule.ScheduleSpecs.withConcurrencyPolicy;
import static dev.polardbbackup.schedule.ScheduleSpecs.withRetention;
import static dev.polardbbackup.schedule.ScheduleSpecs.withRunImmediately;
import static dev.polardbbackup.schedule.ScheduleSpecs.withStartingDeadlineSeconds;
import static dev.polardbbackup.schedule.ScheduleSpecs.withTimeZone;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.backup.MockKubernetes;
import dev.polardbbackup.backup.OperatorHarness;
import dev.polardbbackup.emulator.BackupRecord;
import dev.polardbbackup.emulator.PolarDbEmulator;
import dev.polardbbackup.model.BackupTemplate;
import dev.polardbbackup.model.CatchUpPolicy;
import dev.polardbbackup.model.ConcurrencyPolicy;
import dev.polardbbackup.model.DeletionPolicy;
import dev.polardbbackup.model.LastBackup;
import dev.polardbbackup.model.Phase;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupSchedule;
import dev.polardbbackup.model.PolarDBBackupScheduleSpec;
import dev.polardbbackup.model.PolarDBBackupScheduleStatus;
import dev.polardbbackup.model.Reasons;
import dev.polardbbackup.model.Retention;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Schedules against the mock API server and the emulator. Ticks come from moving the schedules'
 * clock ({@link OperatorHarness#scheduleClock}, starting at 2030-01-01T01:30Z); backups themselves
 * run in real time in the emulator. A check that something did not happen first waits for a pass of
 * the schedule that began after the test acted ({@link #awaitFreshPass}).
 */
class ScheduleTest {
  private static final String HOURLY = "0 * * * *";
  private static final String PAUSE =
      "{\"metadata\":{\"annotations\":{\"" + PolarDBBackup.PAUSED_ANNOTATION + "\":\"true\"}}}";
  private static final String RESUME =
      "{\"metadata\":{\"annotations\":{\"" + PolarDBBackup.PAUSED_ANNOTATION + "\":null}}}";

  /** Another controller's finalizer: a backup holding it stays in deletion until released. */
  private static final String HOLD = "example.com/hold";

  private static final String NAME = "nightly";
  private static final String API_PATH =
      "/apis/"
          + HasMetadata.getApiVersion(PolarDBBackupSchedule.class)
          + "/namespaces/"
          + NAMESPACE;
  private static final String STATUS_PATH =
      API_PATH + "/" + HasMetadata.getPlural(PolarDBBackupSchedule.class) + "/" + NAME + "/status";

  @RegisterExtension final MockKubernetes kubernetes = new MockKubernetes(() -> this.harness);
  private final KubernetesClient client = kubernetes.client;
  private final KubernetesMockServer server = kubernetes.server;
  private OperatorHarness harness;

  private OperatorHarness start() throws IOException {
    return start(OperatorHarness.emulator());
  }

  private OperatorHarness start(PolarDbEmulator.Builder emulator) throws IOException {
    harness =
        new OperatorHarness(client, emulator.build(), OperatorHarness.fastSettings())
            .withSchedules()
            .start();
    return harness;
  }

  private static PolarDBBackupScheduleSpec hourly(DeletionPolicy policy) {
    return PolarDBBackupScheduleSpec.of(HOURLY, new BackupTemplate(CLUSTER, REGION, policy));
  }

  private static PolarDBBackupScheduleSpec hourly() {
    return hourly(DeletionPolicy.Retain);
  }

  /** Creates the schedule and waits until the operator has seen it (its ticks count from then). */
  private PolarDBBackupSchedule create(PolarDBBackupScheduleSpec spec) {
    harness.createSchedule(NAME, spec);
    return awaitStatus(s -> s.getObservedSchedule() != null);
  }

  private PolarDBBackupSchedule awaitStatus(Predicate<PolarDBBackupScheduleStatus> condition) {
    return harness.awaitSchedule(NAME, s -> s.getStatus() != null && condition.test(s.getStatus()));
  }

  /** Waits for a pass of the schedule that began after this call (and so after the last change). */
  private void awaitFreshPass() {
    harness.awaitFreshPass(PolarDBBackupSchedule.class, NAME);
  }

  private void clockAt(String iso) {
    harness.scheduleClock.set(Instant.parse(iso));
  }

  private static String child(String tick) {
    return NAME + "-" + tick;
  }

  private List<String> awaitChildren(List<String> names) {
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> harness.childNames(NAME).equals(names));
    return harness.childNames(NAME);
  }

  /** Moves the clock to just after a tick and waits for that tick's backup to succeed. */
  private PolarDBBackup tickAndSucceed(String iso, String tick) {
    clockAt(iso);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> harness.childNames(NAME).contains(child(tick)));
    return harness.awaitPhase(child(tick), Phase.Succeeded);
  }

  private void hold(String backup) {
    harness
        .client
        .resources(PolarDBBackup.class)
        .inNamespace(NAMESPACE)
        .withName(backup)
        .edit(
            b -> {
              b.getMetadata().getFinalizers().add(HOLD);
              return b;
            });
  }

  private void release(String backup) {
    harness
        .client
        .resources(PolarDBBackup.class)
        .inNamespace(NAMESPACE)
        .withName(backup)
        .edit(
            b -> {
              b.getMetadata().getFinalizers().remove(HOLD);
              return b;
            });
  }

  private static LastBackup lastSuccess(PolarDBBackup backup) {
    return new LastBackup(
        backup.getMetadata().getName(),
        backup.getStatus().getBackupId(),
        backup.getStatus().getCompletionTime());
  }

  private static Optional<Condition> condition(PolarDBBackupScheduleStatus status, String type) {
    return status.condition(type);
  }

  private static boolean stalled(PolarDBBackupScheduleStatus status, String reason) {
    return condition(status, PolarDBBackupScheduleStatus.STALLED)
        .filter(c -> "True".equals(c.getStatus()) && reason.equals(c.getReason()))
        .isPresent();
  }

  private BackupRecord cloudBackupOf(PolarDBBackup backup) {
    String id = backup.getStatus().getBackupId();
    return harness.emulator.ledger().backupsOf(CLUSTER).stream()
        .filter(r -> r.backupId().equals(id))
        .findFirst()
        .orElseThrow();
  }

  /** From now on an admission policy refuses every new PolarDBBackup (403). */
  private void refuseBackupCreation() {
    server
        .expect()
        .post()
        .withPath(API_PATH + "/" + HasMetadata.getPlural(PolarDBBackup.class))
        .andReturn(
            403,
            new StatusBuilder()
                .withStatus("Failure")
                .withReason("Forbidden")
                .withCode(403)
                .withMessage("denied by policy")
                .build())
        .always();
  }

  /** From now on the API server refuses every status write of the schedule with 409 Conflict. */
  private void loseEveryStatusWrite() throws InterruptedException {
    while (server.takeRequest(1, TimeUnit.MILLISECONDS) != null) {
      // forget the requests so far: awaitStatusWriteAttempt looks for a refused one
    }
    server
        .expect()
        .put()
        .withPath(STATUS_PATH)
        .andReturn(
            409,
            new StatusBuilder()
                .withStatus("Failure")
                .withReason("Conflict")
                .withCode(409)
                .withMessage("the object has been modified")
                .build())
        .always();
  }

  /** Waits until the operator has tried to write the schedule's status (and been refused). */
  private void awaitStatusWriteAttempt() {
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> {
              RecordedRequest r;
              while ((r = server.takeRequest(10, TimeUnit.MILLISECONDS)) != null) {
                if ("PUT".equals(r.getMethod()) && STATUS_PATH.equals(r.getPath())) {
                  return true;
                }
              }
              return false;
            });
  }

  // ---------------------------------------------------------------- ticks

  @Test
  void eachTickCreatesOneOwnedBackupNamedAfterTheTick() throws IOException {
    start();
    var schedule = new PolarDBBackupSchedule(NAMESPACE, NAME, hourly());
    schedule
        .getMetadata()
        .setLabels(Map.of("team", "payments", "app.kubernetes.io/instance", "backups-app"));
    schedule
        .getMetadata()
        .setAnnotations(
            Map.of(
                "argocd.argoproj.io/tracking-id",
                "backups-app:polardbbackup.dev/PolarDBBackupSchedule:team-a/nightly"));
    client.resource(schedule).create();
    var seen = awaitStatus(s -> "2030-01-01T02:00:00Z".equals(s.getNextScheduleTime()));
    assertEquals(List.of(), harness.childNames(NAME));
    assertEquals(
        "True", condition(seen.getStatus(), PolarDBBackupScheduleStatus.READY).get().getStatus());

    PolarDBBackup first = tickAndSucceed("2030-01-01T02:00:05Z", "203001010200");

    var owner = first.getMetadata().getOwnerReferences().get(0);
    assertEquals("PolarDBBackupSchedule", owner.getKind());
    assertEquals(seen.getMetadata().getUid(), owner.getUid());
    assertTrue(owner.getController());
    var labels = first.getMetadata().getLabels();
    assertEquals("payments", labels.get("team"));
    assertEquals(NAME, labels.get(PolarDBBackupScheduleReconciler.SCHEDULE_LABEL));
    assertEquals("polardb-backup-operator", labels.get("app.kubernetes.io/managed-by"));
    assertFalse(labels.containsKey("app.kubernetes.io/instance"), "Argo CD's tracking label");
    assertEquals(
        Map.of(ScheduleChildren.SCHEDULED_AT_ANNOTATION, "2030-01-01T02:00:00Z"),
        first.getMetadata().getAnnotations());
    assertEquals(hourly().template().toBackupSpec(), first.getSpec());

    var status =
        awaitStatus(
                s ->
                    s.getLastSuccessfulBackup() != null
                        && "2030-01-01T03:00:00Z".equals(s.getNextScheduleTime()))
            .getStatus();
    assertEquals(child("203001010200"), status.getLastSuccessfulBackup().name());
    assertEquals(first.getStatus().getBackupId(), status.getLastSuccessfulBackup().backupId());
    assertEquals("2030-01-01T02:00:00Z", status.getLastScheduleTime());
    assertEquals(1, status.getCreated());
    assertEquals(1, status.getSucceeded());
    assertTrue(harness.hasEvent(NAME, Reasons.BACKUP_CREATED));

    tickAndSucceed("2030-01-01T03:00:05Z", "203001010300");
    assertEquals(List.of(child("203001010200"), child("203001010300")), harness.childNames(NAME));
    assertEquals(2, harness.emulator.ledger().backupsOf(CLUSTER).size());
  }

  @Test
  void runImmediatelyMakesTheFirstBackupOnCreation() throws IOException {
    start();
    harness.createSchedule(NAME, withRunImmediately(hourly(), true));
    harness.awaitPhase(child("203001010130"), Phase.Succeeded);
    tickAndSucceed("2030-01-01T02:00:05Z", "203001010200");
    assertEquals(
        2, awaitStatus(s -> Integer.valueOf(2).equals(s.getCreated())).getStatus().getCreated());
  }

  @Test
  void runImmediatelyMakesOneBackupWhenTheStatusWriteThatRecordsItIsLost()
      throws IOException, InterruptedException {
    start();
    loseEveryStatusWrite();
    harness.createSchedule(NAME, withRunImmediately(hourly(), true));
    awaitStatusWriteAttempt();
    // The operator dies with nothing recorded and comes back minutes later.
    harness.stopOperator();
    server.clearExpectations();
    clockAt("2030-01-01T01:35:00Z");
    harness.start();

    var status =
        awaitStatus(
                s ->
                    Integer.valueOf(1).equals(s.getCreated())
                        && s.getPendingTickTime() == null
                        && "2030-01-01T02:00:00Z".equals(s.getNextScheduleTime()))
            .getStatus();
    List<String> children = harness.childNames(NAME);
    assertEquals(1, children.size(), () -> "one immediate backup, not " + children);
    harness.awaitPhase(children.get(0), Phase.Succeeded);
    assertEquals(
        ChildCreation.childName(NAME, Instant.parse(status.getLastScheduleTime())),
        children.get(0));
    assertEquals(1, harness.emulator.ledger().backupsOf(CLUSTER).size());
  }

  @Test
  void runImmediatelyFindsItsBackupAfterARestartThatLostTheRecordOfIt()
      throws IOException, InterruptedException {
    start();
    // An admission policy refuses backups at first: the immediate tick waits, recorded.
    refuseBackupCreation();
    harness.createSchedule(NAME, withRunImmediately(hourly(), true));
    awaitStatus(s -> stalled(s, Reasons.CREATE_FAILED));
    harness.stopOperator();
    // Now the backup is made, but the status write that records it is lost.
    server.clearExpectations();
    loseEveryStatusWrite();
    harness.start();
    await().atMost(Duration.ofSeconds(20)).until(() -> harness.childNames(NAME).size() == 1);
    harness.stopOperator();
    server.clearExpectations();
    clockAt("2030-01-01T01:35:00Z");
    harness.start();

    awaitStatus(
        s ->
            Integer.valueOf(1).equals(s.getCreated())
                && s.getPendingTickTime() == null
                && condition(s, PolarDBBackupScheduleStatus.STALLED).isEmpty());
    harness.awaitPhase(child("203001010130"), Phase.Succeeded);
    assertEquals(List.of(child("203001010130")), harness.childNames(NAME));
    assertEquals(1, harness.emulator.ledger().backupsOf(CLUSTER).size());
  }

  @Test
  void aTimeZoneMovesTheTicks() throws IOException {
    start();
    harness.createSchedule(
        NAME,
        withTimeZone(
            PolarDBBackupScheduleSpec.of("0 2 * * *", new BackupTemplate(CLUSTER, REGION, null)),
            "Asia/Shanghai"));
    // 02:00 in Shanghai is 18:00 UTC.
    awaitStatus(s -> "2030-01-01T18:00:00Z".equals(s.getNextScheduleTime()));
    tickAndSucceed("2030-01-01T18:00:05Z", "203001011800");
  }

  // ---------------------------------------------------------------- downtime

  @Test
  void downtimeWithCatchUpLatestRunsOnceForTheMostRecentMissedTick() throws IOException {
    start();
    create(withCatchUpPolicy(hourly(), CatchUpPolicy.Latest));
    harness.stopOperator();
    clockAt("2030-01-01T05:10:00Z"); // 02:00, 03:00, 04:00 and 05:00 pass while down
    harness.start();

    harness.awaitPhase(child("203001010500"), Phase.Succeeded);
    var status =
        awaitStatus(s -> "2030-01-01T06:00:00Z".equals(s.getNextScheduleTime())).getStatus();
    assertEquals(List.of(child("203001010500")), harness.childNames(NAME), "one, not a burst");
    assertEquals(3, status.getMissedTicks());
    assertEquals("2030-01-01T05:00:00Z", status.getLastScheduleTime());
    assertEquals(1, harness.emulator.ledger().backupsOf(CLUSTER).size());
  }

  @Test
  void downtimeWithCatchUpNoneSkipsTheMissedTicks() throws IOException {
    start();
    create(withCatchUpPolicy(hourly(), CatchUpPolicy.None));
    harness.stopOperator();
    clockAt("2030-01-01T05:10:00Z");
    harness.start();

    var status =
        awaitStatus(
                s ->
                    "2030-01-01T05:00:00Z".equals(s.getLastTickTime())
                        && "2030-01-01T06:00:00Z".equals(s.getNextScheduleTime()))
            .getStatus();
    assertEquals(4, status.getMissedTicks());
    assertEquals(List.of(), harness.childNames(NAME));
    assertTrue(harness.hasEvent(NAME, Reasons.TICK_SKIPPED));

    tickAndSucceed("2030-01-01T06:00:05Z", "203001010600");
  }

  @Test
  void startingDeadlineSkipsATickThatIsTooLate() throws IOException {
    start();
    create(withStartingDeadlineSeconds(hourly(), 600L));
    harness.stopOperator();
    clockAt("2030-01-01T05:20:00Z"); // the 05:00 tick is 20 minutes late: beyond 600 s
    harness.start();

    var status = awaitStatus(s -> Integer.valueOf(4).equals(s.getMissedTicks())).getStatus();
    assertNull(status.getPendingTickTime());
    assertEquals(List.of(), harness.childNames(NAME));

    tickAndSucceed("2030-01-01T06:00:05Z", "203001010600"); // on time: within the deadline
  }

  // ---------------------------------------------------------------- concurrency

  @Test
  void forbidLetsATickWaitForTheRunningBackupAndThenRunsIt() throws IOException {
    start();
    create(hourly());
    harness.emulator.setBackupDuration(Duration.ofSeconds(4));
    clockAt("2030-01-01T02:00:05Z");
    harness.awaitPhase(child("203001010200"), Phase.Running);
    harness.emulator.setBackupDuration(Duration.ofMillis(600));

    clockAt("2030-01-01T03:00:05Z");
    awaitStatus(s -> "2030-01-01T03:00:00Z".equals(s.getPendingTickTime()));
    assertEquals(List.of(child("203001010200")), harness.childNames(NAME));
    assertTrue(harness.hasEvent(NAME, Reasons.TICK_DEFERRED));

    // The running one ends; the waiting tick runs then, under its own name.
    harness.awaitPhase(child("203001010300"), Phase.Succeeded);
    assertEquals(Phase.Succeeded, harness.get(child("203001010200")).getStatus().getPhase());
    assertNull(awaitStatus(s -> s.getPendingTickTime() == null).getStatus().getPendingTickTime());
  }

  @Test
  void allowStartsTheNextBackupWhileOneRuns() throws IOException {
    start();
    create(withConcurrencyPolicy(hourly(), ConcurrencyPolicy.Allow));
    harness.emulator.setBackupDuration(Duration.ofSeconds(6));
    clockAt("2030-01-01T02:00:05Z");
    harness.awaitPhase(child("203001010200"), Phase.Running);

    clockAt("2030-01-01T03:00:05Z");
    awaitChildren(List.of(child("203001010200"), child("203001010300")));
    assertFalse(harness.get(child("203001010200")).getStatus().isTerminal());
  }

  @Test
  void aTickHeldBackByARunningBackupIsSkippedOnceItsStartingDeadlinePasses() throws IOException {
    start();
    create(withStartingDeadlineSeconds(hourly(), 600L));
    harness.emulator.setBackupDuration(Duration.ofSeconds(8));
    clockAt("2030-01-01T02:00:05Z");
    harness.awaitPhase(child("203001010200"), Phase.Running);
    harness.emulator.setBackupDuration(Duration.ofMillis(600));

    clockAt("2030-01-01T03:00:05Z");
    awaitStatus(s -> "2030-01-01T03:00:00Z".equals(s.getPendingTickTime()));
    clockAt("2030-01-01T03:10:01Z"); // 600 s after the tick, and 02:00's backup still runs
    var skipped =
        awaitStatus(
                s ->
                    s.getPendingTickTime() == null && Integer.valueOf(1).equals(s.getMissedTicks()))
            .getStatus();
    assertFalse(
        harness.get(child("203001010200")).getStatus().isTerminal(),
        "skipped at its deadline, not when the running backup ended");
    assertEquals("2030-01-01T03:00:00Z", skipped.getLastTickTime());
    assertTrue(harness.hasEvent(NAME, Reasons.TICK_SKIPPED));

    // The running backup ends: a deferred tick would start in the pass that sees it end.
    harness.awaitPhase(child("203001010200"), Phase.Succeeded);
    var after =
        awaitStatus(s -> Integer.valueOf(1).equals(s.getSucceeded()) && s.getActive() == null)
            .getStatus();
    assertEquals(List.of(child("203001010200")), harness.childNames(NAME));
    assertEquals(1, after.getMissedTicks());
    assertEquals(1, after.getCreated());
  }

  // ---------------------------------------------------------------- suspend, pause, edits

  @Test
  void suspendedTicksAreSkippedAndResumingDoesNotCatchThemUp() throws IOException {
    start();
    create(hourly());
    harness.mergePatchSchedule(NAME, "{\"spec\":{\"suspend\":true}}");
    awaitStatus(
        s ->
            s.getNextScheduleTime() == null
                && condition(s, PolarDBBackupScheduleStatus.READY)
                    .filter(c -> Reasons.SUSPENDED.equals(c.getReason()))
                    .isPresent());

    clockAt("2030-01-01T02:00:05Z");
    awaitStatus(s -> Integer.valueOf(1).equals(s.getMissedTicks()));
    assertEquals(List.of(), harness.childNames(NAME));

    harness.mergePatchSchedule(NAME, "{\"spec\":{\"suspend\":false}}");
    awaitStatus(s -> "2030-01-01T03:00:00Z".equals(s.getNextScheduleTime()));
    assertEquals(List.of(), harness.childNames(NAME), "the suspended tick is not caught up");

    tickAndSucceed("2030-01-01T03:00:05Z", "203001010300");
  }

  @Test
  void thePauseAnnotationHoldsTicksUntilRemoved() throws IOException {
    start();
    create(hourly());
    harness.mergePatchSchedule(NAME, PAUSE);
    await().atMost(Duration.ofSeconds(20)).until(() -> harness.hasEvent(NAME, Reasons.PAUSED));

    clockAt("2030-01-01T02:00:05Z");
    awaitFreshPass(); // it saw the tick's time, paused
    assertEquals(List.of(), harness.childNames(NAME));
    assertTrue(condition(harness.schedule(NAME).getStatus(), Reasons.PAUSED).isPresent());

    harness.mergePatchSchedule(NAME, RESUME);
    harness.awaitPhase(child("203001010200"), Phase.Succeeded);
    assertTrue(awaitStatus(s -> condition(s, Reasons.PAUSED).isEmpty()) != null);
  }

  @Test
  void aPausedScheduleDeletesNothingEvenBeyondItsRetention() throws IOException {
    start();
    create(withRetention(hourly(), new Retention(3, 1, null, null)));
    tickAndSucceed("2030-01-01T02:00:05Z", "203001010200");
    tickAndSucceed("2030-01-01T03:00:05Z", "203001010300");
    tickAndSucceed("2030-01-01T04:00:05Z", "203001010400");
    awaitStatus(s -> Integer.valueOf(3).equals(s.getSucceeded()));

    // One edit: every pass that sees the pause also sees keepLast 1.
    harness.mergePatchSchedule(
        NAME,
        "{\"metadata\":{\"annotations\":{\""
            + PolarDBBackup.PAUSED_ANNOTATION
            + "\":\"true\"}},\"spec\":{\"retention\":{\"keepLast\":1}}}");
    await().atMost(Duration.ofSeconds(20)).until(() -> harness.hasEvent(NAME, Reasons.PAUSED));
    awaitFreshPass();
    assertTrue(
        harness.children(NAME).stream()
            .noneMatch(b -> b.getMetadata().getDeletionTimestamp() != null),
        () -> "deleted while paused: " + harness.childNames(NAME));
    assertEquals(3, harness.childNames(NAME).size());
    assertNull(harness.schedule(NAME).getStatus().getDeleted());

    harness.mergePatchSchedule(NAME, RESUME);
    awaitChildren(List.of(child("203001010400")));
    awaitStatus(s -> Integer.valueOf(2).equals(s.getDeleted()));
  }

  @Test
  void thePauseAnnotationActsAtOnceNotAtTheNextTimedLook() throws IOException {
    // A look every 10 minutes at most (10 s while paused): only the annotation's own event can
    // act within the 5 s the test gives it.
    harness =
        new OperatorHarness(
                client, OperatorHarness.emulator().build(), OperatorHarness.fastSettings())
            .withSchedules()
            .withScheduleSettings(
                new ScheduleSettings(
                    Duration.ofMinutes(10),
                    Duration.ofMinutes(1),
                    Duration.ofSeconds(3),
                    Duration.ofMillis(200)))
            .start();
    create(hourly());

    harness.mergePatchSchedule(NAME, PAUSE);
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> condition(harness.schedule(NAME).getStatus(), Reasons.PAUSED).isPresent());

    clockAt("2030-01-01T02:00:05Z");
    harness.mergePatchSchedule(NAME, RESUME);
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> harness.childNames(NAME).contains(child("203001010200")));
    awaitStatus(s -> condition(s, Reasons.PAUSED).isEmpty());
  }

  @Test
  void aNewCronTakesEffectFromTheNextTickWithoutCatchingUp() throws IOException {
    start();
    create(hourly());
    tickAndSucceed("2030-01-01T02:00:05Z", "203001010200");
    clockAt("2030-01-01T02:10:00Z");

    // 02:05 of the new cron is already past: it is not a missed tick.
    harness.mergePatchSchedule(NAME, "{\"spec\":{\"schedule\":\"5 * * * *\"}}");
    awaitStatus(s -> "2030-01-01T03:05:00Z".equals(s.getNextScheduleTime()));
    assertTrue(harness.hasEvent(NAME, Reasons.SCHEDULE_CHANGED));
    assertEquals(List.of(child("203001010200")), harness.childNames(NAME));

    tickAndSucceed("2030-01-01T03:05:05Z", "203001010305");
  }

  @Test
  void anInvalidScheduleIsReportedAndCanBeFixed() throws IOException {
    start();
    harness.createSchedule(
        NAME,
        PolarDBBackupScheduleSpec.of("0 25 * * *", new BackupTemplate(CLUSTER, REGION, null)));
    var status =
        awaitStatus(
                s ->
                    condition(s, PolarDBBackupScheduleStatus.READY)
                        .filter(c -> "False".equals(c.getStatus()))
                        .isPresent())
            .getStatus();
    Condition ready = condition(status, PolarDBBackupScheduleStatus.READY).get();
    assertEquals(Reasons.INVALID_SCHEDULE, ready.getReason());
    assertTrue(ready.getMessage().contains("not valid cron"), ready.getMessage());
    assertNull(status.getNextScheduleTime());
    assertTrue(harness.hasEvent(NAME, Reasons.INVALID_SCHEDULE));

    harness.mergePatchSchedule(NAME, "{\"spec\":{\"schedule\":\"0 * * * *\"}}");
    awaitStatus(s -> "2030-01-01T02:00:00Z".equals(s.getNextScheduleTime()));
  }

  @Test
  void aScheduleWithoutATemplateIsReportedNotCrashedOn() throws IOException {
    start();
    // The API server's schema refuses this; the mock does not, like a server without the CRD.
    harness.createSchedule(
        NAME,
        new PolarDBBackupScheduleSpec(HOURLY, null, null, null, null, null, null, null, null));
    var status =
        awaitStatus(
                s ->
                    condition(s, PolarDBBackupScheduleStatus.READY)
                        .filter(c -> Reasons.INVALID_SCHEDULE.equals(c.getReason()))
                        .isPresent())
            .getStatus();
    assertEquals(
        "spec.template is required",
        condition(status, PolarDBBackupScheduleStatus.READY).get().getMessage());
    assertTrue(harness.hasEvent(NAME, Reasons.INVALID_SCHEDULE));
  }

  // ---------------------------------------------------------------- status

  @Test
  void aPassWithAStaleViewNeverWritesOverNewerStatus() throws IOException {
    harness =
        new OperatorHarness(
                client, OperatorHarness.emulator().build(), OperatorHarness.fastSettings())
            .withSchedules()
            .withEventsWrittenInline()
            .start();
    create(hourly());
    // Events are written inline and answered 3 s late: the 02:00 pass sits between creating its
    // backup and writing status, with the schedule as it read it.
    server
        .expect()
        .post()
        .delay(3, TimeUnit.SECONDS)
        .withPath("/api/v1/namespaces/" + NAMESPACE + "/events")
        .andReply(201, RecordedRequest::getUtf8Body)
        .always();
    clockAt("2030-01-01T02:00:05Z");
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> harness.childNames(NAME).contains(child("203001010200")));

    // Meanwhile another replica (a new leader) records counts this pass cannot know.
    PolarDBBackupSchedule read = harness.schedule(NAME);
    assertNull(read.getStatus().getLastScheduleTime(), "the pass has not written yet");
    var newer = read.getStatus().copy();
    newer.setMissedTicks(3);
    newer.setDeleted(2);
    read.setStatus(newer);
    client.resource(read).updateStatus();

    // The pass's write is refused (409); the retry reads the newer status and adds to it.
    var status =
        awaitStatus(s -> "2030-01-01T02:00:00Z".equals(s.getLastScheduleTime())).getStatus();
    assertEquals(3, status.getMissedTicks(), "counts never go back");
    assertEquals(2, status.getDeleted(), "counts never go back");
    assertEquals(1, status.getCreated());
    assertEquals(List.of(child("203001010200")), harness.childNames(NAME));
  }

  @Test
  void theLastSuccessfulBackupNeverMovesBackToAnOlderTickThatFinishedLater() throws IOException {
    start();
    create(withConcurrencyPolicy(hourly(), ConcurrencyPolicy.Allow));
    harness.emulator.setBackupDuration(Duration.ofSeconds(6));
    clockAt("2030-01-01T02:00:05Z");
    harness.awaitPhase(child("203001010200"), Phase.Running);
    harness.emulator.setBackupDuration(Duration.ofMillis(600));
    PolarDBBackup newer = tickAndSucceed("2030-01-01T03:00:05Z", "203001010300");
    awaitStatus(
        s ->
            s.getLastSuccessfulBackup() != null
                && child("203001010300").equals(s.getLastSuccessfulBackup().name()));

    PolarDBBackup older = harness.awaitPhase(child("203001010200"), Phase.Succeeded);
    assertTrue(
        Instant.parse(older.getStatus().getCompletionTime())
            .isAfter(Instant.parse(newer.getStatus().getCompletionTime())),
        "the older tick's backup finished last");
    var status = awaitStatus(s -> Integer.valueOf(2).equals(s.getSucceeded())).getStatus();
    assertEquals(lastSuccess(newer), status.getLastSuccessfulBackup());

    // The newer one is deleted by hand; the one left finished later, but holds older data.
    harness.delete(child("203001010300"));
    harness.awaitGone(child("203001010300"));
    var left = awaitStatus(s -> Integer.valueOf(1).equals(s.getSucceeded())).getStatus();
    assertEquals(lastSuccess(newer), left.getLastSuccessfulBackup(), "never back to an older tick");
  }

  @Test
  void theLastSuccessfulBackupStaysWhenItsBackupIsDeletedByHand() throws IOException {
    start();
    create(hourly());
    tickAndSucceed("2030-01-01T02:00:05Z", "203001010200");
    PolarDBBackup newest = tickAndSucceed("2030-01-01T03:00:05Z", "203001010300");
    awaitStatus(
        s ->
            Integer.valueOf(2).equals(s.getSucceeded())
                && child("203001010300").equals(s.getLastSuccessfulBackup().name()));

    harness.delete(child("203001010300"));
    harness.awaitGone(child("203001010300"));
    var status = awaitStatus(s -> Integer.valueOf(1).equals(s.getSucceeded())).getStatus();
    assertEquals(
        lastSuccess(newest),
        status.getLastSuccessfulBackup(),
        "never back to the older backup that is left");
  }

  @Test
  void aBackupKubernetesRefusesStallsTheScheduleAndItsTickRunsOnceAllowed() throws IOException {
    start();
    create(hourly());
    refuseBackupCreation();
    clockAt("2030-01-01T02:00:05Z");

    var status = awaitStatus(s -> stalled(s, Reasons.CREATE_FAILED)).getStatus();
    String message = condition(status, PolarDBBackupScheduleStatus.STALLED).get().getMessage();
    assertTrue(message.contains(child("203001010200")) && message.contains("403"), message);
    assertEquals("2030-01-01T02:00:00Z", status.getPendingTickTime(), "the tick stays due");
    assertTrue(harness.hasEvent(NAME, Reasons.CREATE_FAILED));
    assertEquals(List.of(), harness.childNames(NAME));

    server.clearExpectations();
    harness.awaitPhase(child("203001010200"), Phase.Succeeded);
    var after =
        awaitStatus(
                s ->
                    Integer.valueOf(1).equals(s.getCreated())
                        && condition(s, PolarDBBackupScheduleStatus.STALLED).isEmpty())
            .getStatus();
    assertNull(after.getPendingTickTime());
    assertEquals(0, Optional.ofNullable(after.getMissedTicks()).orElse(0));
  }

  // ---------------------------------------------------------------- names after a restart

  @Test
  void aBackupCreatedBeforeARestartIsFoundNotMadeTwice() throws IOException {
    start();
    var schedule = create(hourly());
    harness.stopOperator();
    // The operator created the tick's backup, then died before it recorded the tick.
    var made =
        new PolarDBBackup(NAMESPACE, child("203001010200"), hourly().template().toBackupSpec());
    made.getMetadata().setLabels(Map.of(PolarDBBackupScheduleReconciler.SCHEDULE_LABEL, NAME));
    made.getMetadata()
        .setAnnotations(Map.of(ScheduleChildren.SCHEDULED_AT_ANNOTATION, "2030-01-01T02:00:00Z"));
    made.getMetadata()
        .setOwnerReferences(
            List.of(
                new OwnerReferenceBuilder()
                    .withApiVersion(schedule.getApiVersion())
                    .withKind(schedule.getKind())
                    .withName(NAME)
                    .withUid(schedule.getMetadata().getUid())
                    .withController(true)
                    .build()));
    client.resource(made).create();
    clockAt("2030-01-01T02:00:05Z");
    harness.start();

    var status =
        awaitStatus(s -> "2030-01-01T02:00:00Z".equals(s.getLastScheduleTime())).getStatus();
    assertEquals(1, status.getCreated());
    harness.awaitPhase(child("203001010200"), Phase.Succeeded);
    assertEquals(List.of(child("203001010200")), harness.childNames(NAME));
    assertEquals(1, harness.emulator.ledger().backupsOf(CLUSTER).size());
  }

  @Test
  void aNameTakenBySomeoneElseIsLeftAloneAndTheTickSkipped() throws IOException {
    start();
    create(hourly());
    harness.create(child("203001010200")); // a hand-made backup that happens to have the name
    clockAt("2030-01-01T02:00:05Z");

    var status = awaitStatus(s -> stalled(s, Reasons.NAME_CONFLICT)).getStatus();
    assertEquals(1, status.getMissedTicks());
    PolarDBBackup theirs = harness.get(child("203001010200"));
    assertTrue(
        theirs.getMetadata().getOwnerReferences() == null
            || theirs.getMetadata().getOwnerReferences().isEmpty());
    assertTrue(harness.hasEvent(NAME, Reasons.NAME_CONFLICT));

    tickAndSucceed("2030-01-01T03:00:05Z", "203001010300");
    awaitStatus(s -> condition(s, PolarDBBackupScheduleStatus.STALLED).isEmpty());
  }

  // ---------------------------------------------------------------- retention

  @Test
  void retentionDeletesTheOldestBeyondKeepLastWithTheirCloudBackups() throws IOException {
    start();
    create(withRetention(hourly(DeletionPolicy.Delete), new Retention(2, 0, null, null)));
    PolarDBBackup oldest = tickAndSucceed("2030-01-01T02:00:05Z", "203001010200");
    tickAndSucceed("2030-01-01T03:00:05Z", "203001010300");
    tickAndSucceed("2030-01-01T04:00:05Z", "203001010400");

    awaitChildren(List.of(child("203001010300"), child("203001010400")));
    await().atMost(Duration.ofSeconds(20)).until(() -> cloudBackupOf(oldest).deleted());
    var status = awaitStatus(s -> Integer.valueOf(1).equals(s.getDeleted())).getStatus();
    assertEquals(child("203001010400"), status.getLastSuccessfulBackup().name());
    assertTrue(harness.hasEvent(NAME, Reasons.RETENTION_DELETED));
  }

  @Test
  void loweringKeepLastAppliesAtOnceAndCountsEachDeletionOnce() throws IOException {
    start();
    create(withRetention(hourly(), new Retention(3, 1, null, null)));
    tickAndSucceed("2030-01-01T02:00:05Z", "203001010200");
    tickAndSucceed("2030-01-01T03:00:05Z", "203001010300");
    tickAndSucceed("2030-01-01T04:00:05Z", "203001010400");
    awaitStatus(s -> Integer.valueOf(3).equals(s.getSucceeded()));
    // Another controller's finalizer keeps the two oldest a while in deletion.
    hold(child("203001010200"));
    hold(child("203001010300"));

    harness.mergePatchSchedule(NAME, "{\"spec\":{\"retention\":{\"keepLast\":1}}}");
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                harness.children(NAME).stream()
                        .filter(b -> b.getMetadata().getDeletionTimestamp() != null)
                        .count()
                    == 2);
    awaitStatus(s -> s.getDeleted() != null && s.getDeleted() >= 2);
    awaitFreshPass(); // it saw both still being deleted: neither deleted nor counted again
    assertEquals(2, harness.schedule(NAME).getStatus().getDeleted());
    assertEquals(1, harness.schedule(NAME).getStatus().getSucceeded());

    release(child("203001010200"));
    release(child("203001010300"));
    awaitChildren(List.of(child("203001010400")));
    awaitFreshPass();
    assertEquals(2, harness.schedule(NAME).getStatus().getDeleted());
  }

  @Test
  void failedBackupsStallTheScheduleAndOnlyKeepFailedOfThemStay() throws IOException {
    start();
    create(withRetention(hourly(), new Retention(3, 1, null, null)));
    harness.emulator.failBackups(CLUSTER, "disk full");
    clockAt("2030-01-01T02:00:05Z");
    harness.awaitPhase(child("203001010200"), Phase.Failed);
    var stalledStatus = awaitStatus(s -> stalled(s, Reasons.LAST_BACKUP_FAILED)).getStatus();
    assertTrue(
        condition(stalledStatus, PolarDBBackupScheduleStatus.STALLED)
            .get()
            .getMessage()
            .contains(child("203001010200")));

    clockAt("2030-01-01T03:00:05Z");
    harness.awaitPhase(child("203001010300"), Phase.Failed);
    awaitChildren(List.of(child("203001010300"))); // keepFailed=1

    harness.emulator.succeedBackups(CLUSTER);
    tickAndSucceed("2030-01-01T04:00:05Z", "203001010400");
    awaitStatus(s -> condition(s, PolarDBBackupScheduleStatus.STALLED).isEmpty());
  }

  @Test
  void maxAgeDeletesOldBackupsButNeverTheNewestSuccessfulOne() throws IOException {
    start();
    create(withRetention(hourly(), new Retention(10, 1, "90m", null)));
    tickAndSucceed("2030-01-01T02:00:05Z", "203001010200");
    tickAndSucceed("2030-01-01T03:00:05Z", "203001010300");
    clockAt("2030-01-01T03:40:00Z"); // 02:00 is now 100 minutes old
    awaitChildren(List.of(child("203001010300")));

    harness.emulator.failBackups(CLUSTER, "disk full"); // ticks fail from here on
    clockAt("2030-01-01T04:00:05Z");
    harness.awaitPhase(child("203001010400"), Phase.Failed);
    clockAt("2030-01-01T05:00:05Z"); // 03:00 is now two hours old
    // Written at the end of the 05:00 pass, after its retention step.
    var status =
        awaitStatus(s -> "2030-01-01T05:00:00Z".equals(s.getLastScheduleTime())).getStatus();
    PolarDBBackup kept = harness.get(child("203001010300"));
    assertTrue(
        kept != null && kept.getMetadata().getDeletionTimestamp() == null,
        "the only good backup is kept however old");
    assertEquals(1, status.getDeleted());
  }

  // ---------------------------------------------------------------- quota

  @Test
  void quotaRotationFreesASlotBeforeTheTickThatWouldExceedIt() throws IOException {
    start();
    create(withRetention(hourly(DeletionPolicy.Delete), new Retention(3, 1, null, true)));
    PolarDBBackup oldest = tickAndSucceed("2030-01-01T02:00:05Z", "203001010200");
    tickAndSucceed("2030-01-01T03:00:05Z", "203001010300");
    tickAndSucceed("2030-01-01T04:00:05Z", "203001010400");

    PolarDBBackup fourth = tickAndSucceed("2030-01-01T05:00:05Z", "203001010500");

    assertTrue(harness.hasEvent(NAME, Reasons.ROTATED_FOR_QUOTA));
    assertTrue(cloudBackupOf(oldest).deleted());
    assertNull(fourth.getStatus().getQuotaWaits(), "the slot was free before it asked");
    awaitChildren(List.of(child("203001010300"), child("203001010400"), child("203001010500")));
  }

  @Test
  void aTickWaitsAtMostTheRotationWaitForTheRotatedBackupToBeGone() throws IOException {
    start();
    create(withRetention(hourly(DeletionPolicy.Delete), new Retention(3, 1, null, true)));
    tickAndSucceed("2030-01-01T02:00:05Z", "203001010200");
    tickAndSucceed("2030-01-01T03:00:05Z", "203001010300");
    tickAndSucceed("2030-01-01T04:00:05Z", "203001010400");
    awaitStatus(s -> Integer.valueOf(3).equals(s.getSucceeded()));
    hold(child("203001010200")); // the backup rotation deletes: it never goes away

    clockAt("2030-01-01T05:00:01Z");
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                harness.hasEvent(NAME, Reasons.ROTATED_FOR_QUOTA)
                    && harness.get(child("203001010200")).getMetadata().getDeletionTimestamp()
                        != null);
    awaitFreshPass(); // it saw the rotated backup still there, within the wait
    assertFalse(harness.childNames(NAME).contains(child("203001010500")), "the tick waits");
    assertEquals("2030-01-01T05:00:00Z", harness.schedule(NAME).getStatus().getPendingTickTime());

    clockAt("2030-01-01T05:00:04Z"); // the fast settings' 3 s rotation wait is over
    harness.awaitPhase(child("203001010500"), Phase.Succeeded);
    var status = awaitStatus(s -> Integer.valueOf(4).equals(s.getCreated())).getStatus();
    assertNull(status.getPendingTickTime());
    assertEquals(1, status.getDeleted());
  }

  @Test
  void withoutRotationAFullQuotaStallsTheScheduleAndDeletesNothing() throws IOException {
    start();
    create(withRetention(hourly(DeletionPolicy.Delete), new Retention(3, 1, null, false)));
    tickAndSucceed("2030-01-01T02:00:05Z", "203001010200");
    tickAndSucceed("2030-01-01T03:00:05Z", "203001010300");
    tickAndSucceed("2030-01-01T04:00:05Z", "203001010400");

    clockAt("2030-01-01T05:00:05Z");
    harness.awaitPhase(child("203001010500"), Phase.WaitingForQuota);
    var status = awaitStatus(s -> stalled(s, Reasons.QUOTA_FULL)).getStatus();
    assertTrue(
        condition(status, PolarDBBackupScheduleStatus.STALLED)
            .get()
            .getMessage()
            .contains("rotateWhenQuotaFull"));
    assertEquals(4, harness.childNames(NAME).size());
    assertTrue(
        harness.emulator.ledger().backupsOf(CLUSTER).stream().noneMatch(BackupRecord::deleted));
  }

  @Test
  void rotationFreesASlotForABackupWaitingBecauseOthersHoldTheQuota() throws IOException {
    // Job ids equal backup ids here: a hand-made backup of the same second is then no puzzle.
    start(OperatorHarness.emulator().jobIdEqualsBackupId(true));
    // Someone made a manual backup by hand: it holds one of the three slots.
    String theirs = harness.polarDb().createBackup(CLUSTER, "by-hand").value();
    create(withRetention(hourly(DeletionPolicy.Delete), new Retention(2, 1, null, true)));
    PolarDBBackup oldest = tickAndSucceed("2030-01-01T02:00:05Z", "203001010200");
    tickAndSucceed("2030-01-01T03:00:05Z", "203001010300");

    tickAndSucceed("2030-01-01T04:00:05Z", "203001010400");

    assertTrue(harness.hasEvent(NAME, Reasons.ROTATED_FOR_QUOTA));
    assertFalse(harness.hasEvent(NAME, Reasons.QUOTA_FULL), "freed, so never stalled");
    assertTrue(cloudBackupOf(oldest).deleted());
    assertTrue(
        harness.emulator.ledger().backupsOf(CLUSTER).stream()
            .anyMatch(r -> r.backupJobId().equals(theirs) && !r.deleted()),
        () ->
            "the hand-made backup "
                + theirs
                + " is not the schedule's to delete: "
                + harness.emulator.ledger().backupsOf(CLUSTER));
  }

  @Test
  void quotaRotationDeletesFailedBackupsFirstAndNeverTheLastSuccessfulOne() throws IOException {
    // Rotating a failed backup frees a slot only where PolarDB deletes Failed sets (the docs say
    // DeleteBackup needs Success; this is the other reading).
    start(OperatorHarness.emulator().deleteFailedBackups(true));
    create(withRetention(hourly(DeletionPolicy.Delete), new Retention(1, 2, null, true)));
    PolarDBBackup lastSuccess = tickAndSucceed("2030-01-01T02:00:05Z", "203001010200");
    harness.emulator.failBackups(CLUSTER, "disk full");
    clockAt("2030-01-01T03:00:05Z");
    PolarDBBackup firstFailure = harness.awaitPhase(child("203001010300"), Phase.Failed);
    clockAt("2030-01-01T04:00:05Z");
    PolarDBBackup secondFailure = harness.awaitPhase(child("203001010400"), Phase.Failed);

    // One success and two failures hold the three slots; keepLast is 1 and backups still fail.
    clockAt("2030-01-01T05:00:05Z");
    harness.awaitPhase(child("203001010500"), Phase.Failed);
    awaitChildren(List.of(child("203001010200"), child("203001010400"), child("203001010500")));
    assertTrue(cloudBackupOf(firstFailure).deleted());
    assertTrue(harness.hasEvent(NAME, Reasons.ROTATED_FOR_QUOTA));

    clockAt("2030-01-01T06:00:05Z");
    harness.awaitPhase(child("203001010600"), Phase.Failed);
    awaitChildren(List.of(child("203001010200"), child("203001010500"), child("203001010600")));
    assertTrue(cloudBackupOf(secondFailure).deleted());
    assertFalse(cloudBackupOf(lastSuccess).deleted(), "the only good backup is never rotated");
  }

  /**
   * PolarDB's quota counts backups made per day; the day does not end during the test. Failed sets
   * can be deleted, so that only the daily reading makes a deletion free nothing.
   */
  private void startWithDailyQuota() throws IOException {
    ZoneOffset midday = ZoneOffset.ofHours(12 - LocalTime.now(ZoneOffset.UTC).getHour());
    start(
        OperatorHarness.emulator()
            .quotaMode(PolarDbEmulator.QuotaMode.DAILY)
            .dailyQuotaZone(midday)
            .deleteFailedBackups(true));
  }

  private static boolean stalledForTheDailyQuota(PolarDBBackupScheduleStatus s) {
    return stalled(s, Reasons.QUOTA_FULL)
        && condition(s, PolarDBBackupScheduleStatus.STALLED).get().getMessage().contains("per day");
  }

  @Test
  void underTheDailyQuotaReadingRotationDeletesAtMostOneBackupAndSaysWhy() throws IOException {
    startWithDailyQuota();
    create(
        withRetention(
            withConcurrencyPolicy(hourly(DeletionPolicy.Delete), ConcurrencyPolicy.Allow),
            new Retention(2, 2, null, true)));
    tickAndSucceed("2030-01-01T02:00:05Z", "203001010200");
    harness.emulator.failBackups(CLUSTER, "disk full");
    clockAt("2030-01-01T03:00:05Z");
    PolarDBBackup oldestFailure = harness.awaitPhase(child("203001010300"), Phase.Failed);
    clockAt("2030-01-01T04:00:05Z");
    harness.awaitPhase(child("203001010400"), Phase.Failed);
    harness.emulator.succeedBackups(CLUSTER);

    // Three backups were made today, so the fourth is refused whatever is deleted.
    clockAt("2030-01-01T05:00:05Z");
    harness.awaitPhase(child("203001010500"), Phase.WaitingForQuota);
    var status = awaitStatus(ScheduleTest::stalledForTheDailyQuota).getStatus();
    String message = condition(status, PolarDBBackupScheduleStatus.STALLED).get().getMessage();
    assertTrue(message.contains("deleting backup " + child("203001010300")), message);
    assertTrue(message.contains("Rotation is off"), message);
    assertTrue(cloudBackupOf(oldestFailure).deleted());
    assertEquals(1, status.getDeleted());
    assertTrue(harness.hasEvent(NAME, Reasons.QUOTA_FULL));

    // The next ticks of the day delete nothing more.
    for (String tick : List.of("0600", "0700")) {
      clockAt("2030-01-01T" + tick.substring(0, 2) + ":00:05Z");
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> harness.childNames(NAME).contains(child("20300101" + tick)));
    }
    assertEquals(1, harness.schedule(NAME).getStatus().getDeleted());
    assertEquals(
        1,
        harness.emulator.ledger().backupsOf(CLUSTER).stream()
            .filter(BackupRecord::deleted)
            .count());
    assertTrue(harness.childNames(NAME).contains(child("203001010200")));
    assertTrue(harness.childNames(NAME).contains(child("203001010400")));
  }

  @Test
  void aRotationWhoseStatusWriteIsLostDeletesNoSecondBackup()
      throws IOException, InterruptedException {
    startWithDailyQuota();
    create(withRetention(hourly(DeletionPolicy.Delete), new Retention(2, 2, null, true)));
    tickAndSucceed("2030-01-01T02:00:05Z", "203001010200");
    harness.emulator.failBackups(CLUSTER, "disk full");
    clockAt("2030-01-01T03:00:05Z");
    harness.awaitPhase(child("203001010300"), Phase.Failed);
    clockAt("2030-01-01T04:00:05Z");
    harness.awaitPhase(child("203001010400"), Phase.Failed);
    harness.emulator.succeedBackups(CLUSTER);
    awaitStatus(
        s ->
            Integer.valueOf(2).equals(s.getFailed())
                && "2030-01-01T05:00:00Z".equals(s.getNextScheduleTime()));

    // The pass that rotates for the 05:00 tick cannot write status, and the operator dies.
    loseEveryStatusWrite();
    clockAt("2030-01-01T05:00:05Z");
    awaitStatusWriteAttempt();
    harness.stopOperator();
    server.clearExpectations();
    harness.start();

    awaitStatus(ScheduleTest::stalledForTheDailyQuota);
    assertEquals(
        1,
        harness.emulator.ledger().backupsOf(CLUSTER).stream().filter(BackupRecord::deleted).count(),
        () -> "deleted in vain: " + harness.emulator.ledger().backupsOf(CLUSTER));
  }
}
