package dev.polardbbackup.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.polardbbackup.model.Phase;
import dev.polardbbackup.model.PolarDBBackup;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Faults everywhere at once, at a CI-sized N: about 20% of PolarDB calls throttled, failed with 5xx
 * or with their reply lost; two operator replicas with leader election; the leader SIGKILLed at
 * random moments and restarted, several times; the API server restarted once. Then the invariants:
 * every backup succeeds, exactly one cloud backup per resource, no status ever moves backwards, and
 * deletion leaves no finalizer behind.
 */
class ChaosIT {
  private static final int N = 24;
  private static final int CLUSTERS = 4;
  private static final long SEED = Long.getLong("chaos.seed", 20261129L);

  @Test
  void everyInvariantHoldsUnderFaultsKillsAndAnApiServerRestart() throws Exception {
    List<String> emulatorArgs =
        new ArrayList<>(
            List.of(
                "--backup-duration",
                "6s",
                "--quota",
                "1000",
                "--seed",
                Long.toString(SEED),
                "--fault",
                "*:latencyMs=40,throttleRate=0.07,serverErrorRate=0.07,lostResponseRate=0.06"));
    for (int c = 1; c <= CLUSTERS; c++) {
      emulatorArgs.addAll(List.of("--cluster", "pc-chaos" + c));
    }
    try (LocalStack stack =
            new LocalStack(
                emulatorArgs,
                List.of(
                    "--poll-min",
                    "1s",
                    "--poll-max",
                    "3s",
                    "--error-backoff-initial",
                    "300ms",
                    "--error-backoff-max",
                    "2s",
                    "--lease-duration",
                    "5s",
                    "--renew-deadline",
                    "3s",
                    "--retry-period",
                    "1s"));
        KubernetesClient client =
            new KubernetesClientBuilder()
                .withConfig(
                    Config.fromKubeconfig(Files.readString(stack.dir.resolve("kubeconfig"))))
                .build()) {
      Random random = new Random(SEED);
      System.out.println("chaos: seed " + SEED + " (rerun with -Dchaos.seed=" + SEED + ")");
      Map<String, List<Phase>> seen = new ConcurrentHashMap<>();
      SharedIndexInformer<PolarDBBackup> watch =
          client
              .resources(PolarDBBackup.class)
              .inNamespace("default")
              .inform(
                  new ResourceEventHandler<>() {
                    @Override
                    public void onAdd(PolarDBBackup b) {
                      record(b);
                    }

                    @Override
                    public void onUpdate(PolarDBBackup old, PolarDBBackup b) {
                      record(b);
                    }

                    @Override
                    public void onDelete(PolarDBBackup b, boolean unknownFinalState) {}

                    private void record(PolarDBBackup b) {
                      if (b.getStatus() != null && b.getStatus().getPhase() != null) {
                        seen.computeIfAbsent(
                                b.getMetadata().getName(), k -> new CopyOnWriteArrayList<>())
                            .add(b.getStatus().getPhase());
                      }
                    }
                  });
      stack.startOperator("op-a");
      stack.startOperator("op-b");

      for (int i = 0; i < N; i++) {
        String policy = i % 2 == 0 ? "Delete" : "Retain";
        stack
            .admin
            .apply(LocalStack.backup("chaos-" + i, "pc-chaos" + (i % CLUSTERS + 1), policy))
            .orFail("apply chaos-" + i);
      }

      // Kill the leader three times at random moments, restarting it each time; restart the API
      // server once in between.
      for (int round = 0; round < 3; round++) {
        Thread.sleep(1500 + random.nextInt(3000));
        String leader = stack.leader();
        if (!leader.isEmpty()) {
          System.out.println("chaos: SIGKILL " + leader);
          stack.operators.get(leader).kill();
          stack.startOperator(leader);
        }
        if (round == 1) {
          System.out.println("chaos: restarting the API server");
          stack.restartApiServer();
        }
      }

      stack.awaitTrue(
          "all backups Succeeded",
          Duration.ofMinutes(4),
          () ->
              stack
                      .admin
                      .run(
                          "get",
                          "pdbb",
                          "-n",
                          "default",
                          "-o",
                          "jsonpath={range .items[*]}{.status.phase}{\"\\n\"}{end}")
                      .out()
                      .lines()
                      .filter("Succeeded"::equals)
                      .count()
                  == N);
      stack.recordRss();

      JsonNode ledger = stack.ledger();
      assertEquals(
          N, ledger.path("backups").size(), "one cloud backup per resource, none lost, none extra");
      for (int i = 0; i < N; i++) {
        String uid = stack.admin.field("pdbb", "chaos-" + i, "default", ".metadata.uid");
        assertEquals(1, stack.backupsFor(uid), "chaos-" + i + " got exactly one backup");
      }
      seen.forEach(
          (name, phases) -> {
            for (int k = 1; k < phases.size(); k++) {
              assertTrue(
                  phases.get(k - 1).canMoveTo(phases.get(k)), name + " moved backwards: " + phases);
            }
          });
      assertEquals(N, seen.size(), "every resource was observed");

      stack.admin.ok("delete", "pdbb", "--all", "-n", "default", "--wait=false");
      stack.awaitTrue(
          "every resource deleted (no finalizer stuck)",
          Duration.ofMinutes(3),
          () -> stack.admin.run("get", "pdbb", "-n", "default", "-o", "name").out().isBlank());
      long live = 0;
      for (JsonNode b : stack.ledger().path("backups")) {
        live += b.path("deleted").asBoolean() ? 0 : 1;
      }
      assertEquals(N / 2, live, "Delete removed its cloud backups, Retain kept its own");
      watch.close();
      System.out.printf(
          "chaos: done; operator peak RSS %d MiB, PolarDB calls %s%n",
          stack.peakRssKiB() / 1024, stack.ledger().path("callsByAction"));
    }
  }
}
