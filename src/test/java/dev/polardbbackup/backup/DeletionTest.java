package dev.polardbbackup.backup;

import static dev.polardbbackup.backup.OperatorHarness.CLUSTER;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.emulator.ApiCall;
import dev.polardbbackup.emulator.Ledger;
import dev.polardbbackup.emulator.ShiftableClock;
import dev.polardbbackup.model.DeletionPolicy;
import dev.polardbbackup.model.Phase;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupSpec;
import dev.polardbbackup.model.Reasons;
import dev.polardbbackup.model.SecretReference;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Deletion under deletionPolicy Delete when the object cannot be worked on as usual: paused, or its
 * credentials revoked. The README promises that a paused object's deletion still runs its policy,
 * and that every deletion ends, at the latest after the deletion timeout with a Warning.
 */
class DeletionTest {
  private static final String TEAM_KEY_ID = "LTAI5tTeamKey";
  private static final String TEAM_KEY_SECRET = "team-secret-value";

  @RegisterExtension final MockKubernetes kubernetes = new MockKubernetes(() -> this.harness);
  private final KubernetesClient client = kubernetes.client;
  private OperatorHarness harness;

  /**
   * Emulator and operator share a clock the test moves. The mock API server dates deletions by the
   * real clock, so the deletion timeout is an hour: a jump shorter than that does not reach it.
   */
  private OperatorHarness onClock(ShiftableClock clock, Duration backupDuration) throws Exception {
    harness =
        new OperatorHarness(
                client,
                OperatorHarness.emulator()
                    .accessKey(TEAM_KEY_ID, TEAM_KEY_SECRET)
                    .backupDuration(backupDuration)
                    .clock(clock)
                    .build(),
                OperatorHarness.fastSettings().toBuilder()
                    .deletionTimeout(Duration.ofHours(1))
                    .build())
            .withClock(clock);
    return harness;
  }

  private static long live(Ledger ledger) {
    return ledger.backups().stream().filter(b -> !b.deleted()).count();
  }

  @Test
  void deletingAPausedBackupStillAppliesItsDeletionPolicy() throws Exception {
    // Paused while its backup runs (ten minutes on the shared clock), then deleted: the deletion
    // waits for the backup to end and deletes it, as for an object that is not paused.
    ShiftableClock clock = new ShiftableClock();
    onClock(clock, Duration.ofMinutes(10)).start();
    harness.create("held", DeletionPolicy.Delete);
    harness.awaitPhase("held", Phase.Running);
    harness.mergePatch(
        "held",
        "{\"metadata\":{\"annotations\":{\"" + PolarDBBackup.PAUSED_ANNOTATION + "\":\"true\"}}}");
    harness.awaitThat(
        "held", b -> b.getStatus().condition(Reasons.PAUSED).isPresent(), Duration.ofSeconds(10));

    harness.delete("held");
    clock.jump(Duration.ofMinutes(11));
    harness.awaitGone("held");

    Ledger ledger = harness.emulator.ledger();
    assertEquals(1, ledger.backups().size());
    assertEquals(0, live(ledger), "a paused object's deletion still runs its deletionPolicy");
    assertTrue(harness.hasEvent("held", "BackupDeleted"));
  }

  @Test
  void aKeyRevokedDuringDeletionHoldsTheObjectWithWarningsUntilTheDeletionTimeout()
      throws Exception {
    ShiftableClock clock = new ShiftableClock();
    onClock(clock, Duration.ofMillis(600)).start();
    client.resource(teamSecret(TEAM_KEY_ID, TEAM_KEY_SECRET)).create();
    harness.create(
        "revoked",
        new PolarDBBackupSpec(
            CLUSTER,
            OperatorHarness.REGION,
            DeletionPolicy.Delete,
            new SecretReference("team-creds")));
    String backupId = harness.awaitPhase("revoked", Phase.Succeeded).getStatus().getBackupId();

    harness.emulator.deactivateAccessKey(TEAM_KEY_ID);
    harness.delete("revoked");
    // Two refused attempts (authRetry is 500 ms): the deletion neither gave up nor went ahead.
    await().atMost(Duration.ofSeconds(10)).until(() -> refusedAttempts("revoked").size() >= 2);
    assertNotNull(harness.get("revoked"), "the finalizer holds the object");
    assertEquals(1, live(harness.emulator.ledger()));
    assertTrue(
        refusedAttempts("revoked").get(0).getMessage().contains("force-delete"),
        "the Warning says how to give up by hand");

    clock.jump(Duration.ofMinutes(61));
    harness.awaitGone("revoked");

    List<Event> timedOut =
        harness.events("revoked").stream()
            .filter(e -> "DeletionTimedOut".equals(e.getReason()))
            .toList();
    assertEquals(1, timedOut.size());
    assertEquals("Warning", timedOut.get(0).getType());
    assertTrue(
        timedOut.get(0).getMessage().contains(backupId),
        "the Warning names the backup to delete by hand: " + timedOut.get(0).getMessage());
    assertEquals(1, live(harness.emulator.ledger()), "nothing was deleted with a revoked key");
  }

  @Test
  void fixingTheSecretDuringARefusedDeletionDeletesTheBackupAtOnce() throws Exception {
    // authRetry and the Secret cache's time to live are ten minutes: only a retry that comes soon
    // (growing from 100 ms with the wait) and reads the Secret again because PolarDB refused its
    // key
    // can delete the backup in time. Nothing watches the Secret.
    harness =
        new OperatorHarness(
                client,
                OperatorHarness.emulator().accessKey(TEAM_KEY_ID, TEAM_KEY_SECRET).build(),
                OperatorHarness.fastSettings(Duration.ofMinutes(10)).toBuilder()
                    .secretCacheTtl(Duration.ofMinutes(10))
                    .build())
            .start();
    client.resource(teamSecret(TEAM_KEY_ID, TEAM_KEY_SECRET)).create();
    harness.create(
        "rekeyed",
        new PolarDBBackupSpec(
            CLUSTER,
            OperatorHarness.REGION,
            DeletionPolicy.Delete,
            new SecretReference("team-creds")));
    harness.awaitPhase("rekeyed", Phase.Succeeded);
    harness.emulator.deactivateAccessKey(TEAM_KEY_ID);
    harness.delete("rekeyed");
    await().atMost(Duration.ofSeconds(10)).until(() -> !refusedAttempts("rekeyed").isEmpty());

    // An edit of the data only, as kubectl apply makes it: the Secret keeps its finalizers.
    client
        .secrets()
        .inNamespace(OperatorHarness.NAMESPACE)
        .withName("team-creds")
        .edit(
            s ->
                new SecretBuilder(s)
                    .withData(null)
                    .withStringData(
                        Map.of(
                            "accessKeyId",
                            OperatorHarness.KEY_ID,
                            "accessKeySecret",
                            OperatorHarness.KEY_SECRET))
                    .build());
    harness.awaitGone("rekeyed");

    assertEquals(0, live(harness.emulator.ledger()), "the new key deleted the backup");
    assertTrue(harness.hasEvent("rekeyed", "BackupDeleted"));
  }

  private static Secret teamSecret(String id, String secret) {
    return new SecretBuilder()
        .withNewMetadata()
        .withName("team-creds")
        .withNamespace(OperatorHarness.NAMESPACE)
        .endMetadata()
        .withStringData(Map.of("accessKeyId", id, "accessKeySecret", secret))
        .build();
  }

  @Test
  void aThrottledDeletionWaitsForItsRetryAfter() throws Exception {
    // deletionRetry is 100 ms; PolarDB asks for 1.5 s.
    harness =
        new OperatorHarness(
                client, OperatorHarness.emulator().build(), OperatorHarness.fastSettings())
            .start();
    harness.create("drop", DeletionPolicy.Delete);
    harness.awaitPhase("drop", Phase.Succeeded);
    harness.emulator.throttleNext("DescribeBackups", 1, Duration.ofMillis(1500));

    harness.delete("drop");
    harness.awaitGone("drop");

    List<ApiCall> calls = harness.emulator.ledger().calls();
    int throttled =
        java.util.stream.IntStream.range(0, calls.size())
            .filter(i -> "Throttling.User".equals(calls.get(i).code()))
            .findFirst()
            .orElseThrow();
    assertTrue(throttled + 1 < calls.size(), "the deletion tried again: " + calls);
    Duration gap = Duration.between(calls.get(throttled).at(), calls.get(throttled + 1).at());
    assertTrue(
        gap.compareTo(Duration.ofMillis(1500)) >= 0,
        "the deletion tried again " + gap.toMillis() + " ms after a reply that asked for 1500 ms");
    assertEquals(0, live(harness.emulator.ledger()));
  }

  private List<Event> refusedAttempts(String name) {
    return harness.events(name).stream()
        .filter(e -> "DeletionRetrying".equals(e.getReason()))
        .filter(e -> e.getMessage().contains("InvalidAccessKeyId.Inactive"))
        .toList();
  }
}
