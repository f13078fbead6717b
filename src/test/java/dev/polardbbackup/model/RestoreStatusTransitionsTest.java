package dev.polardbbackup.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** A restore's status moves only forwards, fences its ClientToken, and writes idempotently. */
class RestoreStatusTransitionsTest {
  private static final Instant T0 = Instant.parse("2026-12-02T03:00:00Z");
  private static final ClusterEndpoint ENDPOINT = new ClusterEndpoint("pc-new.example", 3306);

  private static PolarDBRestoreStatus accepted() {
    return PolarDBRestoreStatus.accept("uid-1", RestoreJsonTest.cloneSpec(), 1, T0);
  }

  private static PolarDBRestoreStatus creating() {
    var status = accepted();
    status.sending(T0);
    status.created("pc-new", "order-1", "req-1", T0);
    return status;
  }

  @Test
  void aNewRestoreIsPendingWithTheUidAsClientToken() {
    var status = accepted();
    assertEquals(RestorePhase.Pending, status.getPhase());
    assertEquals("uid-1", status.getClientToken());
    assertEquals(Reasons.PENDING, status.getReason());
    assertEquals("pc-demo1 backup 123456", status.getSource());
    assertEquals("False", status.condition("Ready").orElseThrow().getStatus());
  }

  @Test
  void theIntentIsWrittenBeforeTheCallAndALostReplyLeavesItsTrace() {
    var status = accepted();
    assertFalse(status.sending(T0));
    assertEquals("2026-12-02T03:00:00Z", status.getCreateFirstSent());
    assertTrue(status.mayHaveUnseenCluster());
    // The process died before the reply was written: the next send knows.
    assertTrue(status.sending(T0.plusSeconds(30)));
    assertEquals("2026-12-02T03:00:00Z", status.getCreateFirstSent());
    assertEquals("2026-12-02T03:00:30Z", status.getCreateLastSent());
  }

  @Test
  void capacityWaitsKeepATokenThatMayHaveMadeAClusterAndRenewOneThatMadeNothing() {
    var status = accepted();
    boolean earlier = status.sending(T0);
    status.createRefused(earlier);
    status.waitForCapacity("uid-1", "no stock", T0.plusSeconds(60), "req-1", T0);
    assertEquals("uid-1-2", status.getClientToken());
    assertNull(status.getCreateFirstSent());
    assertEquals(Reasons.WAITING_FOR_CAPACITY, status.getReason());

    status.sending(T0.plusSeconds(60)); // its reply was lost
    assertTrue(status.sending(T0.plusSeconds(120)));
    status.createRefused(true);
    status.waitForCapacity("uid-1", "no stock", T0.plusSeconds(180), "req-2", T0);
    assertEquals("uid-1-2", status.getClientToken());
    assertEquals(RestorePhase.Pending, status.getPhase());
  }

  @Test
  void aCloneBecomesSucceededWhenRunningAndExpiresTtlAfterThat() {
    var status = creating();
    status.progressed("Creating", "40%", "req-2", T0.plusSeconds(60));
    assertEquals(RestorePhase.Creating, status.getPhase());
    assertEquals("PolarDB is creating cluster pc-new (Creating, 40%).", status.getMessage());

    status.running(ENDPOINT, Optional.of(Duration.ofHours(4)), "req-3", T0.plusSeconds(600));

    assertEquals(RestorePhase.Succeeded, status.getPhase());
    assertEquals("2026-12-02T03:10:00Z", status.getRunningTime());
    assertEquals(Instant.parse("2026-12-02T07:10:00Z"), status.expiry().orElseThrow());
    assertEquals("True", status.condition("Ready").orElseThrow().getStatus());
    assertNull(status.getProgress());
  }

  @Test
  void phasesNeverMoveBackwardsAndFinalPhasesAreFinal() {
    var status = creating();
    assertThrows(
        IllegalStateException.class, () -> status.waitForCapacity("uid-1", "x", T0, null, T0));
    status.running(ENDPOINT, Optional.empty(), null, T0);
    assertThrows(IllegalStateException.class, () -> status.failed("X", "y", null, T0));
    assertThrows(IllegalStateException.class, () -> status.created("pc-2", null, null, T0));
    var failed = accepted();
    failed.failed(Reasons.INVALID_REQUEST, "InvalidDBNodeClass", "req", T0);
    assertThrows(IllegalStateException.class, () -> failed.tablesRestored(null, T0));
    assertTrue(failed.isTerminal());
  }

  @Test
  void phaseOrder() {
    assertTrue(RestorePhase.Pending.canMoveTo(RestorePhase.Creating));
    assertTrue(RestorePhase.Pending.canMoveTo(RestorePhase.Failed));
    assertTrue(RestorePhase.Creating.canMoveTo(RestorePhase.Succeeded));
    assertFalse(RestorePhase.Creating.canMoveTo(RestorePhase.Pending));
    assertFalse(RestorePhase.Succeeded.canMoveTo(RestorePhase.Failed));
    assertFalse(RestorePhase.Failed.canMoveTo(RestorePhase.Succeeded));
    assertTrue(RestorePhase.Succeeded.canMoveTo(RestorePhase.Succeeded));
  }

  @Test
  void theRunningTimeAndSoTheExpiryCountFromTheFirstLookOnly() {
    var status = creating();
    status.running(ENDPOINT, Optional.of(Duration.ofHours(1)), null, T0.plusSeconds(60));
    status.running(ENDPOINT, Optional.of(Duration.ofHours(1)), null, T0.plusSeconds(3000));
    assertEquals("2026-12-02T04:01:00Z", status.getExpiryTime());
  }

  /** Each transition, applied again later with the same values, leaves the status equal. */
  private static void assertIdempotent(
      PolarDBRestoreStatus start, Consumer<PolarDBRestoreStatus> step) {
    var once = start.copy();
    step.accept(once);
    var twice = once.copy();
    step.accept(twice);
    assertEquals(once, twice);
    assertEquals(once.hashCode(), twice.hashCode());
  }

  @Test
  void everyStatusWriteIsIdempotent() {
    Instant later = T0.plusSeconds(90);
    assertIdempotent(accepted(), s -> s.sourceResolved("pc-demo1", "123456"));
    assertIdempotent(
        accepted(), s -> s.waiting(Reasons.SOURCE_NOT_READY, "b is Running", later, later));
    assertIdempotent(creating(), s -> s.created("pc-new", "order-1", "req-1", later));
    assertIdempotent(creating(), s -> s.progressed("Creating", "40%", "req-2", later));
    assertIdempotent(
        creating(), s -> s.running(ENDPOINT, Optional.of(Duration.ofHours(4)), "req-3", later));
    assertIdempotent(accepted(), s -> s.tableRestoreStarted("req", later));
    assertIdempotent(accepted(), s -> s.tablesRestored("req", later));
    assertIdempotent(accepted(), s -> s.failed(Reasons.INVALID_REQUEST, "bad", "req", later));
    assertIdempotent(creating(), s -> s.clusterDeleted("gone", "req", later));
    assertIdempotent(creating(), s -> s.setCondition("SpecChangeIgnored", true, "x", "y", later));
    // Re-sending the same call at the same time, and deciding the same deletion, change nothing.
    var sent = accepted();
    sent.sending(T0);
    assertIdempotent(sent, s -> s.sending(T0));
    assertIdempotent(creating(), s -> s.deleting(Reasons.TTL_EXPIRED, "ttl over", T0));
  }

  @Test
  void aDeletionKeepsItsFirstReasonAndTimesAndThePhase() {
    var status = creating();
    status.running(ENDPOINT, Optional.of(Duration.ofHours(1)), null, T0);
    status.deleting(Reasons.TTL_EXPIRED, "ttl over", T0.plusSeconds(3600));
    status.deleting(Reasons.RESOURCE_DELETED, "deleted", T0.plusSeconds(3700));
    status.clusterDeleted("gone", "req", T0.plusSeconds(3800));
    status.clusterDeleted("gone", "req", T0.plusSeconds(3900));

    var deletion = status.getDeletion();
    assertEquals(Reasons.TTL_EXPIRED, deletion.reason());
    assertEquals("2026-12-02T04:00:00Z", deletion.firstSent());
    assertEquals("2026-12-02T04:01:40Z", deletion.lastSent());
    assertEquals("2026-12-02T04:03:20Z", deletion.deletedTime());
    assertEquals(RestorePhase.Succeeded, status.getPhase());
    assertEquals(Reasons.CLUSTER_DELETED, status.getReason());
    assertNull(status.getEndpoint());
  }

  @Test
  void restoreTableIsSentOnceOnly() {
    var status = accepted();
    assertTrue(status.sendingTableRestore(T0));
    assertFalse(status.sendingTableRestore(T0.plusSeconds(5)));
    assertEquals("2026-12-02T03:00:00Z", status.getTableRestoreSent());
  }

  @Test
  void aSecondDrillCannotStartWhileOneIsUnderWay() {
    var schedule = new PolarDBBackupScheduleStatus();
    var drill = DrillInProgress.start("2026-12-02T03:00:00Z", "124", "nightly-1", "tok");
    schedule.drillStarted(drill);
    assertThrows(IllegalStateException.class, () -> schedule.drillStarted(drill));
    schedule.drillProgressed(
        drill
            .withVerdict(DrillOutcome.Failed, Reasons.DRILL_FAILED, "not listed")
            .withVerdict(DrillOutcome.Succeeded, Reasons.DRILL_SUCCEEDED, "late"));
    assertEquals(DrillOutcome.Failed, schedule.getDrill().verdict());
    schedule.drillFinished(
        new VerifiedRestore("t", "124", DrillOutcome.Failed, Reasons.DRILL_FAILED, "x", null, null),
        null);
    assertNull(schedule.getDrill());
    schedule.drillStarted(drill);
  }
}
