package dev.polardbbackup.backup;

import static dev.polardbbackup.backup.OperatorHarness.CLUSTER;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.emulator.BackupRecord;
import dev.polardbbackup.emulator.Ledger;
import dev.polardbbackup.emulator.PolarDbEmulator;
import dev.polardbbackup.model.DeletionPolicy;
import dev.polardbbackup.model.Phase;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupSpec;
import dev.polardbbackup.model.Reasons;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Adoption cannot steal: a backup set has one owner. A PolarDBBackup that names in {@code
 * spec.backupId} a set another one holds (or may have made and not identified yet) adopts nothing,
 * and so can delete nothing, until the set is free.
 */
class AdoptionClaimsTest {
  @RegisterExtension final MockKubernetes kubernetes = new MockKubernetes(() -> this.harness);
  private final KubernetesClient client = kubernetes.client;
  private OperatorHarness harness;

  private OperatorHarness start(PolarDbEmulator.Builder emulator) throws Exception {
    harness = new OperatorHarness(client, emulator.build(), OperatorHarness.fastSettings()).start();
    return harness;
  }

  private static PolarDBBackupSpec adopting(String backupId) {
    return new PolarDBBackupSpec(
        CLUSTER, OperatorHarness.REGION, DeletionPolicy.Delete, null, backupId);
  }

  private static boolean deleted(Ledger ledger, String backupId) {
    return ledger.backups().stream()
        .filter(b -> b.backupId().equals(backupId))
        .findFirst()
        .orElseThrow()
        .deleted();
  }

  @Test
  void aBackupSetThatAnotherPolarDBBackupHoldsIsNeitherAdoptedNorDeleted() throws Exception {
    start(OperatorHarness.emulator());
    harness.create("owner", DeletionPolicy.Retain);
    String id = harness.awaitPhase("owner", Phase.Succeeded).getStatus().getBackupId();

    harness.create("thief", adopting(id));
    PolarDBBackup refused = harness.awaitReason("thief", Reasons.BACKUP_ALREADY_CLAIMED);
    assertNull(refused.getStatus().getBackupId(), "nothing adopted");
    assertTrue(refused.getStatus().getMessage().contains("PolarDBBackup owner"));
    assertTrue(harness.hasEvent("thief", Reasons.BACKUP_ALREADY_CLAIMED));

    harness.delete("thief");
    harness.awaitGone("thief");
    Ledger ledger = harness.emulator.ledger();
    assertFalse(deleted(ledger, id), "the owner's backup survives the thief's Delete policy");
    assertEquals(0L, ledger.callsByAction().getOrDefault("DeleteBackup", 0L));
  }

  @Test
  void deletingTheHolderWithRetainHandsTheBackupOverToTheWaitingAdopter() throws Exception {
    start(OperatorHarness.emulator());
    harness.create("owner", DeletionPolicy.Retain);
    String id = harness.awaitPhase("owner", Phase.Succeeded).getStatus().getBackupId();
    harness.create("heir", adopting(id));
    harness.awaitReason("heir", Reasons.BACKUP_ALREADY_CLAIMED);

    harness.delete("owner");
    harness.awaitGone("owner");

    PolarDBBackup heir = harness.awaitPhase("heir", Phase.Succeeded);
    assertEquals(id, heir.getStatus().getBackupId());
    assertFalse(deleted(harness.emulator.ledger(), id));
  }

  @Test
  void ofTwoAdoptersOfOneSetOnlyTheOlderTakesIt() throws Exception {
    start(OperatorHarness.emulator());
    assertTrue(harness.polarDb().createBackup(CLUSTER, "made-elsewhere").isOk());
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> "Success".equals(harness.emulator.ledger().backups().get(0).status()));
    String id = harness.emulator.ledger().backups().get(0).backupId();

    PolarDBBackup a = harness.create("first", adopting(id));
    PolarDBBackup b = harness.create("second", adopting(id));
    // The operator's rule: creation time, then uid (both may be created in one second).
    int byTime =
        Instant.parse(a.getMetadata().getCreationTimestamp())
            .compareTo(Instant.parse(b.getMetadata().getCreationTimestamp()));
    boolean firstIsOlder =
        byTime != 0 ? byTime < 0 : a.getMetadata().getUid().compareTo(b.getMetadata().getUid()) < 0;
    String older = firstIsOlder ? "first" : "second";
    String younger = firstIsOlder ? "second" : "first";

    assertEquals(id, harness.awaitPhase(older, Phase.Succeeded).getStatus().getBackupId());
    PolarDBBackup refused = harness.awaitReason(younger, Reasons.BACKUP_ALREADY_CLAIMED);
    assertNull(refused.getStatus().getBackupId());
  }

  @Test
  void aSetThatAnotherBackupMayHaveMadeIsNotAdoptedBeforeThatOneKnowsItsOwn() throws Exception {
    // Job and set ids differ, so the owner knows its set only once its job has ended.
    start(OperatorHarness.emulator().backupDuration(Duration.ofSeconds(3)));
    harness.create("owner", DeletionPolicy.Retain);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> !harness.emulator.ledger().backups().isEmpty());
    // A tenant who guesses the id of the set being made.
    String id = harness.emulator.ledger().backups().get(0).backupId();
    harness.create("thief", adopting(id));
    PolarDBBackup waiting = harness.awaitReason("thief", Reasons.BACKUP_ALREADY_CLAIMED);
    assertNull(waiting.getStatus().getBackupId());

    PolarDBBackup owner = harness.awaitPhase("owner", Phase.Succeeded);
    assertEquals(id, owner.getStatus().getBackupId(), "the owner found its own set");
    harness.delete("thief");
    harness.awaitGone("thief");
    assertFalse(deleted(harness.emulator.ledger(), id));
    assertEquals(
        1,
        harness.emulator.ledger().backups().stream()
            .map(BackupRecord::backupId)
            .filter(id::equals)
            .count());
  }
}
