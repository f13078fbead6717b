package dev.polardbbackup.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.model.LastBackup;
import dev.polardbbackup.model.Phase;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupSpec;
import dev.polardbbackup.model.PolarDBBackupStatus;
import dev.polardbbackup.model.QuotaRotation;
import dev.polardbbackup.model.Retention;
import dev.polardbbackup.schedule.ScheduleChildren.RotationEffect;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ScheduleChildrenTest {
  private static final String UID = "schedule-uid";
  private static final Instant NOW = Instant.parse("2030-01-10T00:00:00Z");

  private static PolarDBBackup child(String tick, Phase phase) {
    var b =
        new PolarDBBackup("ns", "nightly-" + tick, new PolarDBBackupSpec("pc-a", "cn-hangzhou"));
    b.getMetadata()
        .setAnnotations(
            Map.of(ScheduleChildren.SCHEDULED_AT_ANNOTATION, "2030-01-" + tick + "T00:00:00Z"));
    b.getMetadata().setOwnerReferences(List.of(new OwnerReferenceBuilder().withUid(UID).build()));
    if (phase != null) {
      var status = new PolarDBBackupStatus();
      status.setPhase(phase);
      b.setStatus(status);
    }
    return b;
  }

  /** A child PolarDB accepted (it got a backup job), then ended in {@code phase}. */
  private static PolarDBBackup made(String tick, Phase phase) {
    var b = child(tick, phase);
    b.getStatus().setBackupJobId("job-" + tick);
    return b;
  }

  /** A child PolarDB refused {@code refusals} times for quota. */
  private static PolarDBBackup waiting(String tick, int refusals) {
    var b = child(tick, Phase.WaitingForQuota);
    b.getStatus().setQuotaWaits(refusals);
    return b;
  }

  private static String rotated(List<PolarDBBackup> all, Retention retention) {
    return new ScheduleChildren(all, UID)
        .rotationCandidate(retention)
        .map(b -> b.getMetadata().getName())
        .orElse("none");
  }

  private static final Retention KEEP_ONE = new Retention(1, 2, null, true);

  private static List<String> doomed(List<PolarDBBackup> all, Retention retention) {
    return new ScheduleChildren(all, UID)
        .beyond(retention, NOW).stream()
            .map(d -> d.backup().getMetadata().getName() + " " + d.why())
            .toList();
  }

  @Test
  void keepsTheNewestSuccessfulAndFailedOnes() {
    var all =
        List.of(
            child("01", Phase.Succeeded),
            child("02", Phase.Failed),
            child("03", Phase.Succeeded),
            child("04", Phase.Failed),
            child("05", Phase.Succeeded),
            child("06", Phase.Succeeded));
    assertEquals(
        List.of(
            "nightly-03 beyond keepLast=2",
            "nightly-01 beyond keepLast=2",
            "nightly-02 beyond keepFailed=1"),
        doomed(all, new Retention(2, 1, null, null)));
  }

  @Test
  void neverDeletesRunningOnesOrOnesOfAnotherOwner() {
    var foreign = child("01", Phase.Succeeded);
    foreign.getMetadata().setOwnerReferences(List.of());
    var all =
        List.of(
            foreign, child("02", null), child("03", Phase.Running), child("04", Phase.Succeeded));
    assertEquals(List.of(), doomed(all, new Retention(1, 0, null, null)));
    var children = new ScheduleChildren(all, UID);
    assertEquals(2, children.active().size());
    assertEquals(1, children.succeeded().size());
  }

  @Test
  void maxAgeSparesTheNewestSuccessfulBackup() {
    var all = List.of(child("01", Phase.Succeeded), child("02", Phase.Succeeded));
    // Both are older than a day: only the older one goes.
    assertEquals(
        List.of("nightly-01 older than maxAge=1d"), doomed(all, new Retention(5, 1, "1d", null)));
    assertEquals(List.of(), doomed(all, new Retention(5, 1, "30d", null)));
  }

  @Test
  void childrenBeingDeletedCountNowhereElse() {
    var deleting = child("01", Phase.Succeeded);
    deleting.getMetadata().setDeletionTimestamp("2030-01-09T00:00:00Z");
    var children =
        new ScheduleChildren(new ArrayList<>(List.of(deleting, child("02", Phase.Succeeded))), UID);
    assertEquals(1, children.terminating().size());
    assertEquals(1, children.succeeded().size());
    assertTrue(children.oldestSucceeded().orElseThrow().getMetadata().getName().endsWith("02"));
  }

  @Test
  void maxAgeReadsDaysHoursAndMinutes() {
    assertEquals(
        java.time.Duration.ofHours(36).plusMinutes(5),
        new Retention(null, null, "1d12h5m", null).maxAgeDuration().orElseThrow());
    assertTrue(new Retention(null, null, "soon", null).maxAgeDuration().isEmpty());
  }

  // ---------------------------------------------------------------- quota rotation

  @Test
  void rotationDeletesFailedBackupsFirstOldestFirst() {
    var all =
        List.of(
            made("01", Phase.Failed),
            made("02", Phase.Succeeded),
            made("03", Phase.Succeeded),
            made("04", Phase.Failed));
    assertEquals("nightly-01", rotated(all, new Retention(2, 2, null, true)));
    assertEquals(4, new ScheduleChildren(all, UID).slotsHeld());
  }

  @Test
  void rotationNeverDeletesTheLastSuccessfulBackupEvenWithKeepLastOne() {
    assertEquals(
        "nightly-02",
        rotated(List.of(made("02", Phase.Failed), made("03", Phase.Succeeded)), KEEP_ONE));
    assertEquals("none", rotated(List.of(made("03", Phase.Succeeded)), KEEP_ONE));
    // Two successful ones before retention has run: the older may go, the newer never.
    assertEquals(
        "nightly-02",
        rotated(List.of(made("02", Phase.Succeeded), made("03", Phase.Succeeded)), KEEP_ONE));
  }

  @Test
  void rotationDeletesASuccessfulBackupOnlyWhenRetentionWouldAnyway() {
    var two = List.of(made("02", Phase.Succeeded), made("03", Phase.Succeeded));
    assertEquals("nightly-02", rotated(two, new Retention(2, 1, null, true)));
    assertEquals("none", rotated(two, new Retention(3, 1, null, true)));
  }

  @Test
  void aFailedBackupPolarDbNeverMadeHoldsNoSlotAndIsNotRotated() {
    var all = List.of(child("01", Phase.Failed), made("02", Phase.Succeeded));
    assertEquals("none", rotated(all, KEEP_ONE));
    assertEquals(1, new ScheduleChildren(all, UID).slotsHeld());
  }

  private static RotationEffect effect(List<PolarDBBackup> all, QuotaRotation rotation) {
    return new ScheduleChildren(all, UID).effectOf(rotation, false);
  }

  @Test
  void aRotationIsJudgedByTheWaitingBackupOnceTheDeletedOneIsGone() {
    var rotation = QuotaRotation.deleted("nightly-01", "nightly-04");
    var deleting = made("01", Phase.Failed);
    deleting.getMetadata().setDeletionTimestamp("2030-01-09T00:00:00Z");
    // Recorded, but the pass ended before the deletion: it is still to be done.
    assertEquals(
        RotationEffect.NOT_DELETED,
        effect(List.of(made("01", Phase.Failed), waiting("04", 3)), rotation));
    // Refusals while the deleted backup still holds its slot prove nothing.
    assertEquals(RotationEffect.DELETING, effect(List.of(deleting, waiting("04", 3)), rotation));

    var gone = rotation.gone(3);
    assertEquals(RotationEffect.WATCHING, effect(List.of(waiting("04", 3)), gone));
    assertEquals(RotationEffect.FREED_NOTHING, effect(List.of(waiting("04", 4)), gone));
    assertEquals(RotationEffect.FREED_A_SLOT, effect(List.of(made("04", Phase.Running)), gone));
    assertEquals(RotationEffect.UNKNOWN, effect(List.of(child("04", Phase.Failed)), gone));
    assertEquals(RotationEffect.UNKNOWN, effect(List.of(), gone));
    // The tick's backup is about to be made: its first refusal will tell.
    assertEquals(
        RotationEffect.WATCHING, new ScheduleChildren(List.of(), UID).effectOf(gone, true));
    assertEquals(0, new ScheduleChildren(List.of(), UID).refusalsOf("nightly-04"));
  }

  @Test
  void rotationResumesOnlyWhenPolarDbAcceptsTheRefusedBackupOrALaterOne() {
    var held =
        QuotaRotation.deleted("nightly-01", "nightly-04")
            .gone(1)
            .freedNothing("2030-01-05T00:00:00Z");
    var earlier = made("03", Phase.Succeeded); // accepted before: says nothing about today
    assertFalse(new ScheduleChildren(List.of(earlier, waiting("04", 2)), UID).acceptedSince(held));
    assertFalse(
        new ScheduleChildren(List.of(earlier, waiting("04", 2), child("06", Phase.Pending)), UID)
            .acceptedSince(held));
    assertTrue(
        new ScheduleChildren(List.of(earlier, made("04", Phase.Running)), UID).acceptedSince(held));
    assertTrue(
        new ScheduleChildren(List.of(earlier, made("06", Phase.Succeeded)), UID)
            .acceptedSince(held));
  }

  /** A successful child that completed at {@code completed}. */
  private static PolarDBBackup succeeded(String tick, String completed) {
    var b = made(tick, Phase.Succeeded);
    b.getStatus().setBackupId("pb-" + tick);
    b.getStatus().setCompletionTime(completed);
    return b;
  }

  private static LastBackup recordOf(PolarDBBackup b) {
    return new LastBackup(
        b.getMetadata().getName(), b.getStatus().getBackupId(), b.getStatus().getCompletionTime());
  }

  @Test
  void theLastSuccessIsTheNewestTickAndNeverMovesBack() {
    var newer = succeeded("03", "2030-01-03T00:05:00Z");
    var sameSecond = succeeded("02", "2030-01-03T00:05:00Z");
    var finishedLater = succeeded("02", "2030-01-03T00:09:00Z");

    assertEquals(
        Optional.of(recordOf(newer)),
        new ScheduleChildren(List.of(sameSecond, newer), UID).lastSuccessAfter(null));
    assertEquals(
        Optional.of(recordOf(newer)),
        new ScheduleChildren(List.of(finishedLater, newer), UID).lastSuccessAfter(null),
        "the newest tick, not the last to finish");
    assertEquals(
        Optional.of(recordOf(newer)),
        new ScheduleChildren(List.of(sameSecond, newer), UID)
            .lastSuccessAfter(recordOf(sameSecond)),
        "a newer tick that finished in the same second replaces the record");
    // The recorded one was deleted; the one left is of an older tick.
    assertEquals(
        Optional.empty(),
        new ScheduleChildren(List.of(sameSecond), UID).lastSuccessAfter(recordOf(newer)),
        "not back to an older tick that finished in the same second");
    assertEquals(
        Optional.empty(),
        new ScheduleChildren(List.of(finishedLater), UID).lastSuccessAfter(recordOf(newer)),
        "not back to an older tick that finished later");
    assertEquals(
        Optional.empty(),
        new ScheduleChildren(List.of(child("04", Phase.Running)), UID)
            .lastSuccessAfter(recordOf(newer)));
  }
}
