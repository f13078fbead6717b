package dev.polardbbackup.backup;

import static dev.polardbbackup.backup.OperatorHarness.CLUSTER;
import static dev.polardbbackup.backup.OperatorHarness.NAMESPACE;
import static dev.polardbbackup.backup.OperatorHarness.REGION;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.emulator.Ledger;
import dev.polardbbackup.model.DeletionPolicy;
import dev.polardbbackup.model.Phase;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupSpec;
import dev.polardbbackup.model.Reasons;
import dev.polardbbackup.model.SecretReference;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A namespace deleted with its Delete-policy backups and their Secret: Kubernetes deletes them all
 * at once, and the backups must still delete their cloud backups. The Secret is kept by a finalizer
 * while a backup may need it; if it is gone anyway, a terminating namespace releases the backups at
 * once with a record of what was left.
 */
class NamespaceTeardownTest {
  private static final String SECRET = "team-creds";

  @RegisterExtension final MockKubernetes kubernetes = new MockKubernetes(() -> this.harness);
  private final KubernetesClient client = kubernetes.client;
  private OperatorHarness harness;

  /** An hour's deletion timeout: a backup released within seconds was not released by it. */
  private OperatorHarness start() throws Exception {
    harness =
        new OperatorHarness(
                client,
                OperatorHarness.emulator().quota(10).build(),
                OperatorHarness.fastSettings().toBuilder()
                    .deletionTimeout(Duration.ofHours(1))
                    .build())
            .start();
    client
        .resource(
            new NamespaceBuilder()
                .withNewMetadata()
                .withName(NAMESPACE)
                // Held by a finalizer of its own, as the namespace controller holds a real one.
                .withFinalizers("test/hold")
                .endMetadata()
                .build())
        .create();
    client
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(SECRET)
                .withNamespace(NAMESPACE)
                .withFinalizers("other.example/keep")
                .endMetadata()
                .withStringData(
                    Map.of(
                        "accessKeyId",
                        OperatorHarness.KEY_ID,
                        "accessKeySecret",
                        OperatorHarness.KEY_SECRET))
                .build())
        .create();
    return harness;
  }

  private PolarDBBackup createWithSecret(String name, DeletionPolicy policy) {
    return harness.create(
        name, new PolarDBBackupSpec(CLUSTER, REGION, policy, new SecretReference(SECRET)));
  }

  private Secret secret() {
    return client.secrets().inNamespace(NAMESPACE).withName(SECRET).get();
  }

  private List<String> finalizersOfSecret() {
    Secret s = secret();
    return s == null || s.getMetadata().getFinalizers() == null
        ? List.of()
        : s.getMetadata().getFinalizers();
  }

  private static long live(Ledger ledger) {
    return ledger.backups().stream().filter(b -> !b.deleted()).count();
  }

  private void deleteNamespaceAndSecret() {
    client.namespaces().withName(NAMESPACE).delete();
    client.secrets().inNamespace(NAMESPACE).withName(SECRET).delete();
    assertNotNull(
        client.namespaces().withName(NAMESPACE).get().getMetadata().getDeletionTimestamp());
  }

  @Test
  void aDeletePolicyBackupKeepsItsSecretFromBeforeItsFirstCloudCallAndARetainOneDoesNot()
      throws Exception {
    start();
    // The first two patches of the Secret are refused: until one works, nothing may be called.
    kubernetes
        .server
        .expect()
        .patch()
        .withPath("/api/v1/namespaces/" + NAMESPACE + "/secrets/" + SECRET)
        .andReturn(403, "{\"kind\":\"Status\",\"code\":403,\"reason\":\"Forbidden\"}")
        .times(2);
    createWithSecret("kept", DeletionPolicy.Delete);
    // Two passes end on the refused patch (JOSDK retries them 2 s apart), before any write.
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> harness.passesOf("kept") >= 2);
    assertEquals(null, harness.get("kept").getStatus(), "nothing written while the patch fails");
    assertEquals(
        0,
        harness.emulator.ledger().callsByAction().getOrDefault("CreateBackup", 0L),
        "no cloud call before the Secret is kept");

    harness.awaitPhase("kept", Phase.Succeeded);
    assertEquals(
        List.of("other.example/keep", CredentialsInUse.FINALIZER),
        finalizersOfSecret(),
        "the finalizer is added next to the others");
    assertEquals(
        OperatorHarness.KEY_SECRET,
        secret().getStringData().get("accessKeySecret"),
        "the data is left as it was");

    // A Retain backup of another Secret: that one gets no finalizer.
    client
        .resource(
            new SecretBuilder(secret())
                .withMetadata(
                    new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
                        .withName("retain-creds")
                        .withNamespace(NAMESPACE)
                        .build())
                .build())
        .create();
    harness.create(
        "retained",
        new PolarDBBackupSpec(
            CLUSTER, REGION, DeletionPolicy.Retain, new SecretReference("retain-creds")));
    harness.awaitPhase("retained", Phase.Succeeded);
    var retained =
        client.secrets().inNamespace(NAMESPACE).withName("retain-creds").get().getMetadata();
    assertTrue(
        retained.getFinalizers() == null || retained.getFinalizers().isEmpty(),
        "a Retain backup deletes no cloud backup and keeps no Secret: " + retained.getFinalizers());
  }

  @Test
  void theSecretIsKeptWhileAnotherBackupNeedsItAndReleasedByTheLast() throws Exception {
    start();
    createWithSecret("first", DeletionPolicy.Delete);
    createWithSecret("second", DeletionPolicy.Delete);
    harness.awaitPhase("first", Phase.Succeeded);
    harness.awaitPhase("second", Phase.Succeeded);
    assertTrue(finalizersOfSecret().contains(CredentialsInUse.FINALIZER));

    harness.delete("first");
    harness.awaitGone("first");
    assertTrue(
        finalizersOfSecret().contains(CredentialsInUse.FINALIZER),
        "second may still need the Secret to delete its cloud backup");

    harness.delete("second");
    harness.awaitGone("second");
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> !finalizersOfSecret().contains(CredentialsInUse.FINALIZER));
    assertEquals(List.of("other.example/keep"), finalizersOfSecret(), "other finalizers stay");
    assertEquals(0, live(harness.emulator.ledger()));
  }

  @Test
  void deletingTheNamespaceDeletesEveryCloudBackupAndThenLetsTheSecretGo() throws Exception {
    start();
    createWithSecret("a", DeletionPolicy.Delete);
    createWithSecret("b", DeletionPolicy.Delete);
    createWithSecret("c", DeletionPolicy.Retain);
    for (String name : List.of("a", "b", "c")) {
      harness.awaitPhase(name, Phase.Succeeded);
    }
    assertEquals(3, live(harness.emulator.ledger()));

    // What the namespace controller does: everything in it is deleted at once, the Secret first.
    deleteNamespaceAndSecret();
    assertNotNull(secret(), "the Secret stays while backups need it");
    for (String name : List.of("a", "b", "c")) {
      harness.delete(name);
    }
    for (String name : List.of("a", "b", "c")) {
      harness.awaitGone(name);
    }

    assertEquals(
        1, live(harness.emulator.ledger()), "only the Retain backup's cloud backup is left");
    assertTrue(harness.hasEvent("a", "BackupDeleted"));
    assertTrue(harness.hasEvent("b", "BackupDeleted"));
    assertFalse(harness.hasEvent("a", Reasons.BACKUP_LEFT_UNDELETED));
    // Our finalizer is gone: the Secret waits only for the other one.
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> finalizersOfSecret().equals(List.of("other.example/keep")));
  }

  @Test
  void aSecretGoneAnywayHoldsTheDeletionUnlessTheNamespaceIsBeingDeletedThenSaysWhatWasLeft()
      throws Exception {
    start();
    createWithSecret("orphaned", DeletionPolicy.Delete);
    String backupId = harness.awaitPhase("orphaned", Phase.Succeeded).getStatus().getBackupId();
    // Someone removes every finalizer by hand and deletes the Secret.
    client
        .secrets()
        .inNamespace(NAMESPACE)
        .withName(SECRET)
        .edit(s -> new SecretBuilder(s).editMetadata().withFinalizers().endMetadata().build());
    client.secrets().inNamespace(NAMESPACE).withName(SECRET).delete();
    await().atMost(Duration.ofSeconds(5)).until(() -> secret() == null);

    // Outside a namespace deletion, a missing Secret holds the deletion as before.
    harness.delete("orphaned");
    harness.awaitFreshPass(PolarDBBackup.class, "orphaned");
    harness.awaitFreshPass(PolarDBBackup.class, "orphaned");
    assertNotNull(harness.get("orphaned"), "waits for its Secret to come back");

    client.namespaces().withName(NAMESPACE).delete();
    harness.awaitGone("orphaned");

    assertEquals(1, live(harness.emulator.ledger()), "nothing could delete it");
    List<Event> onBackup =
        harness.events("orphaned").stream()
            .filter(e -> Reasons.BACKUP_LEFT_UNDELETED.equals(e.getReason()))
            .toList();
    assertEquals(1, onBackup.size());
    assertTrue(onBackup.get(0).getMessage().contains(backupId), onBackup.get(0).getMessage());
    List<Event> onNamespace =
        client.v1().events().inNamespace("default").list().getItems().stream()
            .filter(e -> "Namespace".equals(e.getInvolvedObject().getKind()))
            .filter(e -> NAMESPACE.equals(e.getInvolvedObject().getName()))
            .toList();
    assertEquals(1, onNamespace.size(), "one Warning on the Namespace, in namespace default");
    assertEquals("Warning", onNamespace.get(0).getType());
    assertEquals(Reasons.BACKUP_LEFT_UNDELETED, onNamespace.get(0).getReason());
    assertTrue(
        onNamespace.get(0).getMessage().contains(backupId)
            && onNamespace.get(0).getMessage().contains("orphaned"),
        onNamespace.get(0).getMessage());
  }
}
