package dev.polardbbackup.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.emulator.BackupRecord;
import dev.polardbbackup.model.DeletionPolicy;
import dev.polardbbackup.model.Phase;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.Reasons;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class QuotaQueueTest {
  @RegisterExtension final MockKubernetes kubernetes = new MockKubernetes(() -> this.harness);
  private final KubernetesClient client = kubernetes.client;

  private OperatorHarness harness;

  @Test
  void waitersOnOneClusterGetFreedSlotsInCreationOrder() throws Exception {
    harness =
        new OperatorHarness(
                client, OperatorHarness.emulator().quota(3).build(), OperatorHarness.fastSettings())
            .start();
    for (String holder : List.of("h1", "h2", "h3")) {
      harness.create(holder, DeletionPolicy.Delete);
    }
    for (String holder : List.of("h1", "h2", "h3")) {
      harness.awaitPhase(holder, Phase.Succeeded);
    }
    for (String waiter : List.of("w1", "w2", "w3")) {
      harness.create(waiter);
    }
    PolarDBBackup first = harness.awaitReason("w1", Reasons.WAITING_FOR_QUOTA);
    String h1Backup = harness.get("h1").getStatus().getBackupId();
    assertTrue(
        first.getStatus().getMessage().contains(h1Backup),
        "the message names the backups holding the slots: " + first.getStatus().getMessage());
    assertTrue(harness.hasEvent("w1", Reasons.WAITING_FOR_QUOTA));
    harness.awaitThat(
        "w3",
        b -> b.getStatus() != null && Reasons.QUEUED.equals(b.getStatus().getReason()),
        Duration.ofSeconds(10));

    List<String> order = List.of("w1", "w2", "w3");
    List<String> holders = List.of("h1", "h2", "h3");
    for (int i = 0; i < 3; i++) {
      harness.delete(holders.get(i));
      harness.awaitGone(holders.get(i));
      harness.awaitPhase(order.get(i), Phase.Succeeded);
      for (String later : order.subList(i + 1, 3)) {
        PolarDBBackup waiting = harness.get(later);
        assertNull(waiting.getStatus().getBackupJobId(), later + " must not jump the queue");
      }
    }

    Map<String, BackupRecord> byToken =
        harness.emulator.ledger().backups().stream()
            .collect(Collectors.toMap(BackupRecord::clientToken, Function.identity()));
    List<String> tokens =
        order.stream().map(n -> harness.get(n).getStatus().getClientToken()).toList();
    for (int i = 1; i < tokens.size(); i++) {
      assertTrue(
          byToken
              .get(tokens.get(i - 1))
              .createdAt()
              .isBefore(byToken.get(tokens.get(i)).createdAt()));
    }
    for (String waiter : order) {
      PolarDBBackup done = harness.get(waiter);
      assertTrue(
          done.getStatus().getAttempt() > 1, "a quota refusal moves to a new attempt and token");
      assertTrue(done.getStatus().getClientToken().startsWith(done.getMetadata().getUid() + "-"));
      assertEquals(
          1,
          harness.emulator.ledger().backups().stream()
              .filter(b -> b.clientToken().startsWith(done.getMetadata().getUid()))
              .count());
    }
  }

  @Test
  void deletingABackupWakesTheOldestWaiterAtOnceNotAtItsNextBackoff() throws Exception {
    // A quota backoff of a minute: only the wake-up can start w1 within seconds.
    ControllerSettings fast = OperatorHarness.fastSettings();
    ControllerSettings patientForQuota =
        fast.toBuilder()
            .quotaBackoff(new Backoff(Duration.ofSeconds(60), Duration.ofSeconds(60), 0))
            .build();
    harness =
        new OperatorHarness(client, OperatorHarness.emulator().quota(3).build(), patientForQuota)
            .start();
    for (String holder : List.of("h1", "h2", "h3")) {
      harness.create(holder, DeletionPolicy.Delete);
    }
    for (String holder : List.of("h1", "h2", "h3")) {
      harness.awaitPhase(holder, Phase.Succeeded);
    }
    harness.create("w1");
    harness.awaitReason("w1", Reasons.WAITING_FOR_QUOTA);

    harness.delete("h1");
    harness.awaitThat(
        "w1",
        b -> b.getStatus() != null && b.getStatus().getPhase() == Phase.Succeeded,
        Duration.ofSeconds(15));
  }

  @Test
  void aPausedOlderWaiterDoesNotKeepAYoungerBackupFromAFreedSlot() throws Exception {
    harness =
        new OperatorHarness(
                client, OperatorHarness.emulator().quota(1).build(), OperatorHarness.fastSettings())
            .start();
    harness.create("h1", DeletionPolicy.Delete);
    harness.awaitPhase("h1", Phase.Succeeded);
    harness.create("w1");
    harness.awaitReason("w1", Reasons.WAITING_FOR_QUOTA);
    harness.mergePatch(
        "w1",
        "{\"metadata\":{\"annotations\":{\"" + PolarDBBackup.PAUSED_ANNOTATION + "\":\"true\"}}}");
    harness.awaitThat(
        "w1", b -> b.getStatus().condition(Reasons.PAUSED).isPresent(), Duration.ofSeconds(10));

    harness.create("w2");
    // Not queued behind the paused w1: it asks PolarDB itself.
    harness.awaitReason("w2", Reasons.WAITING_FOR_QUOTA);
    harness.delete("h1");
    harness.awaitPhase("w2", Phase.Succeeded);

    PolarDBBackup paused = harness.get("w1");
    assertEquals(Phase.WaitingForQuota, paused.getStatus().getPhase());
    assertNull(paused.getStatus().getBackupJobId(), "a paused backup starts nothing");
  }

  @Test
  void anOlderWaiterWhoseSecretIsGoneDoesNotKeepAYoungerBackupFromAFreedSlot() throws Exception {
    // A quota backoff of a minute: only the wake-up, which must pass over the broken w1, can start
    // w2 within seconds.
    ControllerSettings fast = OperatorHarness.fastSettings();
    // Secrets are read at every use (no cache), so w1 sees its Secret gone at its next pass.
    ControllerSettings patientForQuota =
        fast.toBuilder()
            .quotaBackoff(new Backoff(Duration.ofSeconds(60), Duration.ofSeconds(60), 0))
            .secretCacheTtl(Duration.ZERO)
            .build();
    harness =
        new OperatorHarness(client, OperatorHarness.emulator().quota(1).build(), patientForQuota)
            .start();
    harness.create("h1", DeletionPolicy.Delete);
    harness.awaitPhase("h1", Phase.Succeeded);
    client
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("team-b-creds")
                .withNamespace(OperatorHarness.NAMESPACE)
                .endMetadata()
                .withStringData(
                    Map.of(
                        "accessKeyId",
                        OperatorHarness.KEY_ID,
                        "accessKeySecret",
                        OperatorHarness.KEY_SECRET))
                .build())
        .create();
    harness.createWithSecret("w1", "team-b-creds");
    harness.awaitReason("w1", Reasons.WAITING_FOR_QUOTA);
    client.secrets().inNamespace(OperatorHarness.NAMESPACE).withName("team-b-creds").delete();

    harness.create("w2");
    // Nothing watches Secrets: w1 does not know yet that it cannot call PolarDB any more (its next
    // attempt is a minute away), so w2 queues behind it.
    harness.awaitReason("w2", Reasons.QUEUED);
    harness.delete("h1");
    // The freed slot wakes w1, which finds its Secret gone and stops holding the line.
    harness.awaitThat(
        "w2",
        b -> b.getStatus() != null && b.getStatus().getPhase() == Phase.Succeeded,
        Duration.ofSeconds(15));

    PolarDBBackup broken = harness.get("w1");
    assertEquals(Phase.WaitingForQuota, broken.getStatus().getPhase());
    assertEquals(Reasons.SECRET_NOT_FOUND, broken.getStatus().getReason());
    assertNull(broken.getStatus().getBackupJobId());
  }
}
