package dev.polardbbackup.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class StatusTransitionsTest {
  private static final Instant T0 = Instant.parse("2026-11-29T00:00:00Z");

  private static PolarDBBackupStatus accepted() {
    return PolarDBBackupStatus.accept("uid-1", new PolarDBBackupSpec("pc-1", "cn-hangzhou"), 1, T0);
  }

  @Test
  void settingAConditionToWhatItSaysLeavesTheStatusEqualSoNothingIsWritten() {
    PolarDBBackupStatus s = accepted();
    s.succeeded("b-1", Optional.empty(), Optional.empty(), Optional.empty(), "req-1", T0);
    s.available(Reasons.BACKUP_LISTED, "PolarDB lists backup set b-1.", T0);
    s.setCondition(Reasons.RETAINED_AFTER_CLUSTER_DELETION, true, Reasons.ALL_KEPT, "all", T0);
    PolarDBBackupStatus before = s.copy();

    // A later look that finds the same sets both again: no change, so no status write.
    s.available(Reasons.BACKUP_LISTED, "PolarDB lists backup set b-1.", T0.plusSeconds(600));

    assertEquals(before, s);
  }

  @Test
  void aGoneSetKeepsThePhaseAndTurnsReadyAndBackupAvailableFalse() {
    PolarDBBackupStatus s = accepted();
    s.succeeded("b-1", Optional.empty(), Optional.empty(), Optional.empty(), "req-1", T0);
    s.available(Reasons.BACKUP_LISTED, "listed", T0);
    assertFalse(s.isGone());

    s.gone("gone", "req-2", T0.plusSeconds(600));

    assertTrue(s.isGone());
    assertEquals(Phase.Succeeded, s.getPhase());
    assertEquals(Reasons.BACKUP_GONE, s.getReason());
    assertEquals("False", s.condition("Ready").orElseThrow().getStatus());
    assertEquals("False", s.condition(Reasons.BACKUP_AVAILABLE).orElseThrow().getStatus());
    assertEquals("req-2", s.getLastRequestId());
    assertTrue(s.isTerminal());
  }

  @Test
  void firstAttemptUsesTheUidAsClientToken() {
    PolarDBBackupStatus s = accepted();
    assertEquals(Phase.Pending, s.getPhase());
    assertEquals("uid-1", s.getClientToken());
    assertEquals(1, s.getAttempt());
    assertEquals("False", s.condition("Ready").orElseThrow().getStatus());
  }

  @Test
  void quotaRefusalPreparesANewTokenForTheNextAttempt() {
    PolarDBBackupStatus s = accepted();
    s.waitForQuota("uid-1", true, "full", T0.plusSeconds(60), "req-1", T0);
    assertEquals(Phase.WaitingForQuota, s.getPhase());
    assertEquals("uid-1-2", s.getClientToken());
    s.waitForQuota("uid-1", true, "full", T0.plusSeconds(120), "req-2", T0);
    assertEquals("uid-1-3", s.getClientToken());
    assertEquals(2, s.getQuotaWaits());
  }

  @Test
  void phasesNeverMoveBackwardsAndFinalPhasesAreFinal() {
    PolarDBBackupStatus s = accepted();
    s.started("job-1", "req", T0);
    assertThrows(
        IllegalStateException.class, () -> s.waitForQuota("uid-1", true, "x", T0, null, T0));
    s.succeeded("b-1", Optional.of(10L), Optional.empty(), Optional.empty(), "req", T0);
    assertThrows(IllegalStateException.class, () -> s.failed("X", "y", null, T0));
    assertThrows(IllegalStateException.class, () -> s.started("job-2", null, T0));
    assertEquals("True", s.condition("Ready").orElseThrow().getStatus());
  }

  @Test
  void progressNeverGoesDown() {
    PolarDBBackupStatus s = accepted();
    s.started("job-1", "req", T0);
    s.progressed(60, "Uploading", null, T0);
    s.progressed(40, "Uploading", null, T0);
    assertEquals(60, s.getProgress());
  }

  @Test
  void conditionTransitionTimeChangesOnlyWithItsStatus() {
    PolarDBBackupStatus s = accepted();
    String first = s.condition("Ready").orElseThrow().getLastTransitionTime();
    s.retrying("ApiThrottled", "slow down", T0.plusSeconds(5), null, T0.plusSeconds(1));
    assertEquals(first, s.condition("Ready").orElseThrow().getLastTransitionTime());
    s.started("job", null, T0.plusSeconds(2));
    s.succeeded("b", Optional.empty(), Optional.empty(), Optional.empty(), null, T0.plusSeconds(9));
    assertEquals(
        "2026-11-29T00:00:09Z", s.condition("Ready").orElseThrow().getLastTransitionTime());
  }

  @Test
  void phaseOrder() {
    assertTrue(Phase.Pending.canMoveTo(Phase.WaitingForQuota));
    assertTrue(Phase.Pending.canMoveTo(Phase.Failed));
    assertFalse(Phase.WaitingForQuota.canMoveTo(Phase.Pending));
    assertFalse(Phase.Running.canMoveTo(Phase.WaitingForQuota));
    assertFalse(Phase.Failed.canMoveTo(Phase.Succeeded));
    assertTrue(Phase.Succeeded.canMoveTo(Phase.Succeeded));
  }
}
