package dev.polardbbackup.schedule;

import static dev.polardbbackup.backup.OperatorHarness.CLUSTER;
import static dev.polardbbackup.backup.OperatorHarness.REGION;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.backup.MockKubernetes;
import dev.polardbbackup.backup.OperatorHarness;
import dev.polardbbackup.model.BackupTemplate;
import dev.polardbbackup.model.DeletionPolicy;
import dev.polardbbackup.model.Phase;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupSchedule;
import dev.polardbbackup.model.PolarDBBackupScheduleSpec;
import dev.polardbbackup.model.Reasons;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The "back up now" annotation on a schedule: one extra backup per new value, at once, named after
 * the value; never twice for the same value, also after retention or a person deleted it; the cron
 * cursor untouched.
 */
class BackupNowTest {
  private static final String NAME = "nightly";

  @RegisterExtension final MockKubernetes kubernetes = new MockKubernetes(() -> this.harness);
  private final KubernetesClient client = kubernetes.client;
  private OperatorHarness harness;

  private void trigger(String value) {
    harness.mergePatchSchedule(
        NAME,
        "{\"metadata\":{\"annotations\":{\""
            + PolarDBBackupSchedule.BACKUP_NOW_ANNOTATION
            + "\":"
            + (value == null ? "null" : "\"" + value + "\"")
            + "}}}");
  }

  @Test
  void eachNewValueMakesOneBackupAtOnceAndARepeatedValueNone() throws Exception {
    harness =
        new OperatorHarness(
                client, OperatorHarness.emulator().build(), OperatorHarness.fastSettings())
            .withSchedules()
            .start();
    // Suspended and ticking once a year: only the annotation can make a backup here.
    PolarDBBackupScheduleSpec spec =
        PolarDBBackupScheduleSpec.of(
            "0 0 1 1 *", new BackupTemplate(CLUSTER, REGION, DeletionPolicy.Delete));
    spec =
        new PolarDBBackupScheduleSpec(
            spec.schedule(), null, spec.template(), true, null, null, null, false, null, null);
    harness.createSchedule(NAME, spec);
    PolarDBBackupSchedule seen =
        harness.awaitSchedule(
            NAME, s -> s.getStatus() != null && s.getStatus().getObservedSchedule() != null);
    String cursor = seen.getStatus().getLastTickTime();

    trigger("pre-migration-42");
    PolarDBBackup made = harness.awaitPhase(NAME + "-now-pre-migration-42", Phase.Succeeded);
    assertEquals(
        seen.getMetadata().getUid(), made.getMetadata().getOwnerReferences().get(0).getUid());
    PolarDBBackupSchedule after =
        harness.awaitSchedule(NAME, s -> s.getStatus().getLastBackupNow() != null);
    assertEquals("pre-migration-42", after.getStatus().getLastBackupNow().trigger());
    assertEquals(NAME + "-now-pre-migration-42", after.getStatus().getLastBackupNow().backupName());
    assertEquals(cursor, after.getStatus().getLastTickTime(), "the cron cursor did not move");
    assertEquals(1, after.getStatus().getCreated());
    assertTrue(harness.hasEvent(NAME, Reasons.BACKUP_TRIGGERED));

    // The same value, still in place after the backup is deleted (as GitOps keeps it): nothing.
    client.resource(made).delete();
    await().atMost(Duration.ofSeconds(20)).until(() -> harness.childNames(NAME).isEmpty());
    harness.mergePatchSchedule(NAME, "{\"metadata\":{\"labels\":{\"touched\":\"yes\"}}}");
    trigger(null);
    trigger("pre-migration-42");
    harness.awaitFreshPass(PolarDBBackupSchedule.class, NAME);
    assertEquals(List.of(), harness.childNames(NAME), "a value acted on makes nothing again");

    // Any other value: a name part that is not a valid name is hashed.
    trigger("Release 2026.12 / step 3");
    await().atMost(Duration.ofSeconds(20)).until(() -> harness.childNames(NAME).size() == 1);
    String hashed = harness.childNames(NAME).get(0);
    assertTrue(hashed.matches(NAME + "-now-h[0-9a-f]{12}"), hashed);
    assertEquals(
        ChildCreation.onDemandName(NAME, "Release 2026.12 / step 3"), hashed, "deterministic");
  }
}
