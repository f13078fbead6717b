package dev.polardbbackup.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.model.Phase;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupSpec;
import dev.polardbbackup.model.PolarDBBackupStatus;
import dev.polardbbackup.model.Retention;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
}
