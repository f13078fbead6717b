package dev.polardbbackup.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.polardbbackup.model.Phase;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupStatus;
import dev.polardbbackup.model.Reasons;
import dev.polardbbackup.polardb.CallListener;
import dev.polardbbackup.polardb.Credentials;
import dev.polardbbackup.polardb.CredentialsProvider;
import dev.polardbbackup.polardb.PolarDbClient;
import dev.polardbbackup.polardb.PolarDbClientFactory;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Faults everywhere at once, with the quota binding. Per cluster three manual slots and six
 * resources: one Retain that stays, five Delete that the test deletes (one at once, the others when
 * they finish; the last comes late) so that waiters get slots; a DBA who takes a manual backup by
 * hand on every cluster in the same minutes. PolarDB checks the quota before the ClientToken and
 * forgets tokens after 8 s; about 20% of calls are throttled, fail with 5xx or lose their reply,
 * and CreateBackup takes 1.2 s. Two replicas with leader election: the leader is SIGKILLed while
 * CreateBackup calls are in flight, the API server is restarted, and once both replicas are down
 * for longer than the token memory. Then the ledger is reconciled with what the resources said.
 */
class ChaosIT {
  private static final int CLUSTERS = 4;
  private static final int PER_CLUSTER = 6;
  private static final int N = CLUSTERS * PER_CLUSTER;
  private static final Duration TOKEN_TTL = Duration.ofSeconds(8);
  private static final long SEED = Long.getLong("chaos.seed", 20261201L);
  private static final String KEY_ID = "LTAI5tEmulatorDemoKey";
  private static final String KEY_SECRET = "emulator-demo-secret";

  private final ObjectMapper json = new ObjectMapper();

  /** Every status ever observed, per resource name. */
  private final Map<String, List<PolarDBBackupStatus>> seen = new ConcurrentHashMap<>();

  private final Map<String, String> uids = new ConcurrentHashMap<>();

  /**
   * Resources that reported an UncertainMatch, an UncertainOutcome or a BackupNotFound (a set that
   * could not be told from another): their backup may be left to the user.
   */
  private final Set<String> uncertain = ConcurrentHashMap.newKeySet();

  @Test
  void theLedgerReconcilesUnderQuotaFaultsKillsRestartsAndAForgottenToken() throws Exception {
    List<String> emulatorArgs =
        new ArrayList<>(
            List.of(
                "--backup-duration",
                "8s",
                "--quota",
                "3",
                "--quota-check-order",
                "quota-first",
                "--token-ttl",
                TOKEN_TTL.toSeconds() + "s",
                "--task-listing-lag",
                "1s",
                "--seed",
                Long.toString(SEED),
                "--fault",
                "*:latencyMs=40,throttleRate=0.07,serverErrorRate=0.07,lostResponseRate=0.06",
                "--fault",
                "CreateBackup:latencyMs=1200,throttleRate=0.05,serverErrorRate=0.05,lostResponseRate=0.1"));
    for (int c = 1; c <= CLUSTERS; c++) {
      emulatorArgs.addAll(List.of("--cluster", cluster(c)));
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
                    "--quota-backoff-initial",
                    "1s",
                    "--quota-backoff-max",
                    "3s",
                    "--token-reuse-window",
                    "6s",
                    "--backup-not-found-timeout",
                    "45s",
                    "--deletion-timeout",
                    "10m",
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
      SharedIndexInformer<PolarDBBackup> watch = watch(client);
      PolarDbClient polarDb = polarDb(stack);
      stack.grantDefaultNamespace("chaos-clusters", "pc-chaos*");
      stack.startOperator("op-a");
      stack.startOperator("op-b");

      // The last resource of each cluster comes late, so that the last kill still finds calls in
      // flight.
      apply(stack, 0, PER_CLUSTER - 1);

      Driver driver = new Driver(stack, polarDb, random);
      int kills = 0;
      // Round 0: the leader. Round 1: both replicas, for longer than PolarDB remembers a token.
      // Round 2: the leader again, then the API server.
      for (int round = 0; round < 3; round++) {
        if (round == 2) {
          apply(stack, PER_CLUSTER - 1, PER_CLUSTER);
        }
        driver.runUntil(Instant.now().plusMillis(round == 2 ? 300 : 1000 + random.nextInt(2000)));
        driver.awaitCreateInFlight();
        if (round != 1) {
          String leader = stack.awaitLeader(Duration.ofSeconds(60));
          System.out.println("chaos: SIGKILL " + leader + " with CreateBackup in flight");
          stack.operators.get(leader).kill();
          kills++;
          stack.startOperator(leader);
        } else {
          System.out.println("chaos: SIGKILL both replicas for " + TOKEN_TTL.plusSeconds(4));
          for (String name : List.of("op-a", "op-b")) {
            stack.operators.get(name).kill();
            kills++;
          }
          Thread.sleep(TOKEN_TTL.plusSeconds(4).toMillis());
          stack.startOperator("op-a");
          stack.startOperator("op-b");
        }
        if (round == 2) {
          System.out.println("chaos: restarting the API server");
          stack.restartApiServer();
          driver.restarts += stack.restartExited();
        }
      }
      assertEquals(4, kills, "every planned kill hit a replica that held the lease or was down");

      stack.awaitTrue(
          "every Delete resource deleted and every Retain resource finished",
          Duration.ofMinutes(6),
          driver::stepUntilDone);
      stack.recordRss();

      // The Retain resources go last; their backups must stay.
      stack.admin.ok("delete", "pdbb", "--all", "-n", "default", "--wait=false");
      stack.awaitTrue(
          "every resource deleted (no finalizer stuck)",
          Duration.ofMinutes(3),
          () -> stack.admin.run("get", "pdbb", "-n", "default", "-o", "name").out().isBlank());
      watch.close();

      reconcile(stack.ledger(), driver);
      // Kills, restarts and faults make the operators log errors of every kind: none may quote a
      // secret.
      stack.assertNoSecretLeaked();
      System.out.printf(
          "chaos: done; kills %d, replicas restarted after exiting %d, uncertain matches %d,"
              + " backups deleted by hand %d; operator peak RSS %d MiB; PolarDB calls %s%n",
          kills,
          driver.restarts,
          uncertain.size(),
          driver.deletedByHand.size(),
          stack.peakRssKiB() / 1024,
          stack.ledger().path("callsByAction"));
    }
  }

  /**
   * Every backup in the emulator is foreign (made by hand) and untouched and unclaimed, or was made
   * with the ClientToken of exactly one resource, which got exactly that one; Delete resources took
   * theirs with them (or, where the operator could not be sure it was theirs, said so and the user
   * deleted it by hand); Retain backups are still there. No status ever moved backwards.
   */
  private void reconcile(JsonNode ledger, Driver driver) {
    Set<String> claimed = new HashSet<>();
    seen.values()
        .forEach(
            statuses ->
                statuses.stream()
                    .map(PolarDBBackupStatus::getBackupId)
                    .filter(id -> id != null)
                    .forEach(claimed::add));
    Map<String, List<JsonNode>> byResource = new HashMap<>();
    int foreign = 0;
    for (JsonNode b : ledger.path("backups")) {
      String id = b.path("backupId").asText();
      if ("console".equals(b.path("origin").asText())) {
        foreign++;
        assertFalse(b.path("deleted").asBoolean(), "foreign backup " + id + " was deleted");
        assertFalse(claimed.contains(id), "foreign backup " + id + " was claimed by a resource");
        continue;
      }
      String token = b.path("clientToken").asText();
      List<String> owners =
          uids.entrySet().stream()
              .filter(e -> token.startsWith(e.getValue()))
              .map(Map.Entry::getKey)
              .toList();
      assertEquals(1, owners.size(), "backup " + id + " (token " + token + ") has one owner");
      byResource.computeIfAbsent(owners.get(0), k -> new ArrayList<>()).add(b);
    }
    assertEquals(CLUSTERS, foreign, "the DBA's backups are in the ledger");
    for (Map.Entry<String, String> resource : uids.entrySet()) {
      String name = resource.getKey();
      List<JsonNode> made = byResource.getOrDefault(name, List.of());
      assertTrue(made.size() <= 1, name + " made at most one backup: " + made);
      List<PolarDBBackupStatus> statuses = seen.getOrDefault(name, List.of());
      for (int i = 1; i < statuses.size(); i++) {
        assertTrue(
            statuses.get(i - 1).getPhase().canMoveTo(statuses.get(i).getPhase()),
            name + " moved backwards");
      }
      boolean succeeded = statuses.stream().anyMatch(s -> s.getPhase() == Phase.Succeeded);
      boolean retain = name.endsWith("-0");
      if (succeeded) {
        assertEquals(1, made.size(), name + " succeeded with exactly one backup");
        String id = made.get(0).path("backupId").asText();
        assertTrue(
            statuses.stream()
                .filter(s -> s.getPhase() == Phase.Succeeded)
                .allMatch(s -> id.equals(s.getBackupId())),
            name + " names its own backup " + id);
      }
      for (JsonNode b : made) {
        boolean deleted = b.path("deleted").asBoolean();
        if (retain) {
          assertFalse(deleted, name + " (Retain) kept its backup");
        } else {
          assertTrue(
              deleted,
              name + " (Delete) took its backup " + b.path("backupId").asText() + " with it");
          if (driver.deletedByHand.contains(b.path("backupId").asText())) {
            assertTrue(
                uncertain.contains(name),
                name + ": only a backup the operator was unsure of was left to the user");
          }
        }
      }
    }
  }

  /**
   * What the people around the operator do: delete Delete resources (one per cluster at once, the
   * others when they succeed), take one manual backup by hand per cluster, restart replicas that
   * exit, and delete by hand a backup the operator reported as uncertain once its resource is gone.
   */
  private final class Driver {
    final LocalStack stack;
    final PolarDbClient polarDb;
    final Random random;
    final Set<String> deleted = new HashSet<>();
    final Set<String> deletedByHand = new HashSet<>();
    // Uncertain resources whose backups the user has dealt with after the resource was gone.
    private final Set<String> settledByHand = new HashSet<>();
    final Map<Integer, Instant> dbaAt = new HashMap<>();
    final Set<Integer> dbaDone = new HashSet<>();
    int restarts;

    Driver(LocalStack stack, PolarDbClient polarDb, Random random) {
      this.stack = stack;
      this.polarDb = polarDb;
      this.random = random;
      for (int c = 1; c <= CLUSTERS; c++) {
        dbaAt.put(c, Instant.now().plusMillis(random.nextInt(15000)));
      }
    }

    void runUntil(Instant end) throws Exception {
      while (Instant.now().isBefore(end)) {
        step();
        Thread.sleep(200);
      }
    }

    /** Until the emulator holds a CreateBackup call (its 1.2 s latency) not yet answered. */
    void awaitCreateInFlight() throws Exception {
      Instant end = Instant.now().plusSeconds(60);
      while (Instant.now().isBefore(end)) {
        step();
        if (stack.ledger().path("inFlight").path("CreateBackup").asInt() > 0) {
          return;
        }
        Thread.sleep(50);
      }
      throw new AssertionError("no CreateBackup was in flight within 60 s");
    }

    boolean stepUntilDone() {
      try {
        step();
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      for (int c = 1; c <= CLUSTERS; c++) {
        if (!dbaDone.contains(c)) {
          return false;
        }
        for (int k = 1; k < PER_CLUSTER; k++) {
          if (!deleted.contains(name(c, k)) || exists(name(c, k))) {
            return false;
          }
        }
        Phase retained = lastPhase(name(c, 0));
        if (retained == null || !retained.isTerminal()) {
          return false;
        }
      }
      return uncertainHandled();
    }

    // Not "the object is gone": the user must also have had a look after it went, or a resource
    // deleted between that look and the check would leave its backup behind (seen once in CI).
    private boolean uncertainHandled() {
      return uncertain.stream().filter(n -> !n.endsWith("-0")).allMatch(settledByHand::contains);
    }

    void step() throws Exception {
      restarts += stack.restartExited();
      for (int c = 1; c <= CLUSTERS; c++) {
        if (!dbaDone.contains(c) && Instant.now().isAfter(dbaAt.get(c))) {
          var reply =
              stack.emulatorAdmin("/_emulator/backups", "{\"dbClusterId\":\"" + cluster(c) + "\"}");
          if (reply.statusCode() == 200) {
            System.out.println("chaos: DBA made " + reply.body() + " on " + cluster(c));
            dbaDone.add(c);
          } else {
            dbaAt.put(c, Instant.now().plusMillis(500 + random.nextInt(1000)));
          }
        }
        for (int k = 1; k < PER_CLUSTER; k++) {
          String name = name(c, k);
          if (deleted.contains(name)) {
            continue;
          }
          Phase phase = lastPhase(name);
          if (k == 1 ? createWasSent(name) : phase != null && phase.isTerminal()) {
            stack.admin.ok("delete", "pdbb", name, "-n", "default", "--wait=false");
            deleted.add(name);
          }
        }
      }
      for (String name : uncertain) {
        if (!name.endsWith("-0") && deleted.contains(name) && !exists(name) && deleteByHand(name)) {
          settledByHand.add(name);
        }
      }
    }

    /**
     * As README says: check the job in the console and delete the backup if it is the resource's.
     * True once nothing is left to do: every finished backup of the resource is deleted and none is
     * still running.
     */
    private boolean deleteByHand(String name) throws Exception {
      String uid = uids.get(name);
      boolean settled = true;
      for (JsonNode b : stack.ledger().path("backups")) {
        String id = b.path("backupId").asText();
        if (!b.path("clientToken").asText().startsWith(uid) || b.path("deleted").asBoolean()) {
          continue;
        }
        String status = b.path("status").asText();
        if ("Success".equals(status) && !deletedByHand.contains(id)) {
          var result = polarDb.deleteBackup(b.path("dbClusterId").asText(), id);
          if (result.isOk()) {
            System.out.println("chaos: user deleted " + id + " of " + name + " by hand");
            deletedByHand.add(id);
          } else {
            settled = false;
          }
        } else if ("Running".equals(status)) {
          settled = false; // the user comes back once it has finished
        }
      }
      return settled;
    }

    private boolean exists(String name) {
      return !stack.admin.run("get", "pdbb", name, "-n", "default", "-o", "name").out().isBlank();
    }
  }

  /** Applies resources {@code from} to {@code to} (exclusive) of every cluster; k = 0 is Retain. */
  private void apply(LocalStack stack, int from, int to) {
    for (int k = from; k < to; k++) {
      for (int c = 1; c <= CLUSTERS; c++) {
        String policy = k == 0 ? "Retain" : "Delete";
        stack.admin.apply(LocalStack.backup(name(c, k), cluster(c), policy)).orFail(name(c, k));
        uids.put(name(c, k), stack.admin.field("pdbb", name(c, k), "default", ".metadata.uid"));
      }
    }
  }

  /** The resource has written its intent to call CreateBackup: deleting it now is mid-create. */
  private boolean createWasSent(String name) {
    List<PolarDBBackupStatus> statuses = seen.get(name);
    return statuses != null && statuses.get(statuses.size() - 1).getClientTokenFirstSent() != null;
  }

  private Phase lastPhase(String name) {
    List<PolarDBBackupStatus> statuses = seen.get(name);
    return statuses == null || statuses.isEmpty()
        ? null
        : statuses.get(statuses.size() - 1).getPhase();
  }

  private SharedIndexInformer<PolarDBBackup> watch(KubernetesClient client) {
    return client
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
                PolarDBBackupStatus s = b.getStatus();
                if (s != null && s.getPhase() != null) {
                  if (s.condition(Reasons.UNCERTAIN_MATCH).isPresent()
                      || Reasons.UNCERTAIN_OUTCOME.equals(s.getReason())
                      || Reasons.BACKUP_NOT_FOUND.equals(s.getReason())) {
                    uncertain.add(b.getMetadata().getName());
                  }
                  seen.computeIfAbsent(b.getMetadata().getName(), k -> new CopyOnWriteArrayList<>())
                      .add(s);
                }
              }
            });
  }

  private PolarDbClient polarDb(LocalStack stack) {
    return new PolarDbClient(
        stack.emulatorUrl,
        CredentialsProvider.of(Credentials.of(KEY_ID, KEY_SECRET, "chaos")),
        PolarDbClientFactory.httpClient(Duration.ofSeconds(2), Duration.ofSeconds(5)),
        Clock.systemUTC(),
        CallListener.NONE);
  }

  private static String cluster(int c) {
    return "pc-chaos" + c;
  }

  private static String name(int c, int k) {
    return "chaos-c" + c + "-" + k;
  }
}
