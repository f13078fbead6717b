package dev.polardbbackup.kube;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.model.BackupTemplate;
import dev.polardbbackup.model.DeletionPolicy;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupSchedule;
import dev.polardbbackup.model.PolarDBBackupScheduleSpec;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which metadata-only updates wake a controller at once. */
class SpecOrLifecycleChangeTest {
  private final SpecOrLifecycleChange filter = new SpecOrLifecycleChange();

  private static PolarDBBackupSchedule schedule(Map<String, String> annotations) {
    PolarDBBackupSchedule s =
        new PolarDBBackupSchedule(
            "team-a",
            "nightly",
            PolarDBBackupScheduleSpec.of(
                "0 2 * * *", new BackupTemplate("pc-1", "cn-hangzhou", DeletionPolicy.Retain)));
    s.getMetadata().setGeneration(3L);
    s.getMetadata().setAnnotations(annotations);
    return s;
  }

  @Test
  void aNewBackupNowValueOrPauseWakesTheScheduleAndOtherAnnotationsDoNot() {
    PolarDBBackupSchedule before = schedule(Map.of("note", "a"));
    assertTrue(
        filter.accept(
            schedule(Map.of("note", "a", PolarDBBackupSchedule.BACKUP_NOW_ANNOTATION, "pre-1")),
            before));
    assertTrue(
        filter.accept(
            schedule(Map.of(PolarDBBackupSchedule.BACKUP_NOW_ANNOTATION, "pre-2")),
            schedule(Map.of(PolarDBBackupSchedule.BACKUP_NOW_ANNOTATION, "pre-1"))));
    assertTrue(filter.accept(schedule(Map.of(PolarDBBackup.PAUSED_ANNOTATION, "true")), before));
    assertFalse(filter.accept(schedule(Map.of("note", "b")), before));
    assertFalse(filter.accept(schedule(Map.of("note", "a")), before), "a status write");
  }
}
