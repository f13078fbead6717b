package dev.polardbbackup.backup;

import static dev.polardbbackup.backup.OperatorHarness.CLUSTER;
import static dev.polardbbackup.backup.OperatorHarness.NAMESPACE;
import static dev.polardbbackup.backup.OperatorHarness.OPERATOR_NAMESPACE;
import static dev.polardbbackup.backup.OperatorHarness.REGION;
import static dev.polardbbackup.backup.OperatorHarness.grant;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.access.AccessGrants;
import dev.polardbbackup.emulator.Ledger;
import dev.polardbbackup.model.DeletionPolicy;
import dev.polardbbackup.model.GrantCredentials;
import dev.polardbbackup.model.GrantedAction;
import dev.polardbbackup.model.Phase;
import dev.polardbbackup.model.PolarDBAccessGrant;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupSpec;
import dev.polardbbackup.model.Reasons;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * PolarDBAccessGrants: an object without its own credentials acts only where a grant lets its
 * namespace take the actions it needs on its cluster. A refusal calls nothing, says what is
 * missing, retries nothing on a timer, and a change of a grant or of the namespace wakes it.
 */
class AccessGrantTest {
  private static final String TEAM_KEY_ID = "LTAI5tTeamKey";
  private static final String TEAM_KEY_SECRET = "team-secret-value";
  private static final String TEAM_B = "team-b";

  @RegisterExtension final MockKubernetes kubernetes = new MockKubernetes(() -> this.harness);
  private final KubernetesClient client = kubernetes.client;
  private OperatorHarness harness;

  private OperatorHarness withoutGrants() throws Exception {
    harness =
        new OperatorHarness(
                client,
                OperatorHarness.emulator().accessKey(TEAM_KEY_ID, TEAM_KEY_SECRET).build(),
                OperatorHarness.fastSettings())
            .withoutAllowAllGrant();
    return harness;
  }

  private static LabelSelector namespaceNamed(String namespace) {
    return new LabelSelectorBuilder()
        .withMatchLabels(Map.of(AccessGrants.NAME_LABEL, namespace))
        .build();
  }

  private void apply(PolarDBAccessGrant grant) {
    client.resource(grant).createOr(existing -> existing.update());
  }

  private List<Event> eventsWithReason(String name, String reason) {
    return harness.events(name).stream().filter(e -> reason.equals(e.getReason())).toList();
  }

  @Test
  void withoutAGrantNothingIsCalledNothingIsRetriedAndAGrantLetsItRunAtOnce() throws Exception {
    withoutGrants().start();
    harness.create("ungranted");

    PolarDBBackup refused = harness.awaitReason("ungranted", Reasons.NOT_PERMITTED);
    assertEquals(Phase.Pending, refused.getStatus().getPhase());
    assertEquals(
        "False", refused.getStatus().condition("Ready").orElseThrow().getStatus(), "Ready=False");
    String message = refused.getStatus().getMessage();
    assertTrue(
        message.contains("namespace " + NAMESPACE)
            && message.contains(CLUSTER)
            && message.contains("grants Backup")
            && message.contains("No grant selects this namespace"),
        "the refusal names the missing rule: " + message);
    assertEquals(1, eventsWithReason("ungranted", Reasons.NOT_PERMITTED).size());
    assertEquals("Warning", eventsWithReason("ungranted", Reasons.NOT_PERMITTED).get(0).getType());

    // authRetry is 500 ms and the error backoff shorter: three seconds of silence mean no timer.
    int passes = harness.passesOf("ungranted");
    Thread.sleep(3000);
    assertEquals(passes, harness.passesOf("ungranted"), "a refused object is not retried");
    assertEquals(List.of(), harness.emulator.ledger().calls(), "no cloud call was made");

    apply(
        grant("team-a", namespaceNamed(NAMESPACE), REGION, "pc-test*", null, GrantedAction.Backup));
    harness.awaitPhase("ungranted", Phase.Succeeded);
    assertEquals(1, harness.emulator.ledger().backups().size());
    assertEquals(1, eventsWithReason("ungranted", Reasons.NOT_PERMITTED).size());
  }

  @Test
  void labellingTheNamespaceLetsAWaitingBackupRun() throws Exception {
    withoutGrants().start();
    client
        .resource(
            new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build())
        .create();
    apply(
        grant(
            "labelled-teams",
            new LabelSelectorBuilder()
                .addNewMatchExpression()
                .withKey("polardbbackup.dev/team")
                .withOperator("In")
                .withValues("a", "c")
                .endMatchExpression()
                .build(),
            "*",
            "*",
            null,
            GrantedAction.Backup));
    harness.create("waits-for-label");
    harness.awaitReason("waits-for-label", Reasons.NOT_PERMITTED);

    client
        .namespaces()
        .withName(NAMESPACE)
        .edit(
            ns ->
                new NamespaceBuilder(ns)
                    .editMetadata()
                    .addToLabels("polardbbackup.dev/team", "a")
                    .endMetadata()
                    .build());
    harness.awaitPhase("waits-for-label", Phase.Succeeded);
  }

  @Test
  void deletionPolicyDeleteNeedsTheDeleteActionBeforeAnythingIsMade() throws Exception {
    withoutGrants().start();
    apply(
        grant(
            "backup-only", namespaceNamed(NAMESPACE), REGION, CLUSTER, null, GrantedAction.Backup));

    harness.create("keeps", DeletionPolicy.Retain);
    harness.create("would-delete", DeletionPolicy.Delete);

    harness.awaitPhase("keeps", Phase.Succeeded);
    PolarDBBackup refused = harness.awaitReason("would-delete", Reasons.NOT_PERMITTED);
    assertTrue(
        refused.getStatus().getMessage().contains("backup-only does not grant Delete"),
        refused.getStatus().getMessage());
    assertEquals(1, harness.emulator.ledger().backups().size(), "only the Retain one was made");
  }

  @Test
  void anotherTenantCanNeitherAdoptNorDeleteABackupOfAClusterItIsNotGranted() throws Exception {
    withoutGrants().alsoWatching(TEAM_B).start();
    apply(
        grant("team-a", namespaceNamed(NAMESPACE), REGION, CLUSTER, null, GrantedAction.values()));
    apply(
        grant("team-b", namespaceNamed(TEAM_B), REGION, "pc-teamb*", null, GrantedAction.values()));
    harness.create("ours", DeletionPolicy.Retain);
    String backupId = harness.awaitPhase("ours", Phase.Succeeded).getStatus().getBackupId();
    int callsBefore = harness.emulator.ledger().calls().size();

    // Team B names team A's cluster and backup, with deletionPolicy Delete.
    client
        .resource(
            new PolarDBBackup(
                TEAM_B,
                "theirs",
                new PolarDBBackupSpec(CLUSTER, REGION, DeletionPolicy.Delete, null, backupId)))
        .create();
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> {
              var b =
                  client
                      .resources(PolarDBBackup.class)
                      .inNamespace(TEAM_B)
                      .withName("theirs")
                      .get();
              return b.getStatus() != null
                  && Reasons.NOT_PERMITTED.equals(b.getStatus().getReason());
            });
    String message =
        client
            .resources(PolarDBBackup.class)
            .inNamespace(TEAM_B)
            .withName("theirs")
            .get()
            .getStatus()
            .getMessage();
    assertTrue(message.contains("team-b does not list this cluster"), message);
    assertFalse(message.contains("team-a"), "another team's grant is not named: " + message);

    client.resources(PolarDBBackup.class).inNamespace(TEAM_B).withName("theirs").delete();
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                client.resources(PolarDBBackup.class).inNamespace(TEAM_B).withName("theirs").get()
                    == null);

    Ledger ledger = harness.emulator.ledger();
    assertEquals(List.of(), ledger.callsTo("DeleteBackup"));
    assertEquals(callsBefore, ledger.calls().size(), "team B's object made no call at all");
    assertTrue(ledger.backups().stream().noneMatch(b -> b.deleted()), "team A's backup is there");
    assertEquals(Phase.Succeeded, harness.get("ours").getStatus().getPhase());
  }

  @Test
  void aGrantWithdrawnBeforeDeletionKeepsTheCloudBackupAndSaysWhich() throws Exception {
    withoutGrants().start();
    apply(
        grant("team-a", namespaceNamed(NAMESPACE), REGION, CLUSTER, null, GrantedAction.values()));
    harness.create("orphaned", DeletionPolicy.Delete);
    String backupId = harness.awaitPhase("orphaned", Phase.Succeeded).getStatus().getBackupId();

    client.resources(PolarDBAccessGrant.class).withName("team-a").delete();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> client.resources(PolarDBAccessGrant.class).withName("team-a").get() == null);
    harness.delete("orphaned");
    harness.awaitGone("orphaned");

    List<Event> kept = eventsWithReason("orphaned", Reasons.NOT_PERMITTED);
    assertEquals(1, kept.size());
    assertTrue(
        kept.get(0).getMessage().contains("Kept cloud backup " + backupId),
        kept.get(0).getMessage());
    assertEquals(List.of(), harness.emulator.ledger().callsTo("DeleteBackup"));
  }

  @Test
  void aGrantLendsTheAccessKeyInItsSecretInTheOperatorNamespace() throws Exception {
    withoutGrants().start();
    // The operator's own key no longer works: only the grant's can make the backup.
    harness.emulator.deactivateAccessKey(OperatorHarness.KEY_ID);
    apply(
        grant(
            "team-a-key",
            namespaceNamed(NAMESPACE),
            REGION,
            CLUSTER,
            new GrantCredentials("team-a-ram"),
            GrantedAction.Backup));
    harness.create("lent");
    PolarDBBackup waiting = harness.awaitReason("lent", Reasons.SECRET_NOT_FOUND);
    assertTrue(
        waiting.getStatus().getMessage().contains(OPERATOR_NAMESPACE + "/team-a-ram"),
        waiting.getStatus().getMessage());

    client
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("team-a-ram")
                .withNamespace(OPERATOR_NAMESPACE)
                .endMetadata()
                .withStringData(
                    Map.of("accessKeyId", TEAM_KEY_ID, "accessKeySecret", TEAM_KEY_SECRET))
                .build())
        .create();
    PolarDBBackup done = harness.awaitPhase("lent", Phase.Succeeded);
    assertNotNull(done.getStatus().getBackupId());
  }
}
