package dev.polardbbackup.e2e;

import static dev.polardbbackup.schedule.PolarDBBackupScheduleReconciler.SCHEDULE_LABEL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.polardbbackup.model.DrillInProgress;
import dev.polardbbackup.model.DrillOutcome;
import dev.polardbbackup.model.NewCluster;
import dev.polardbbackup.model.Phase;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupSchedule;
import dev.polardbbackup.model.PolarDBBackupScheduleStatus;
import dev.polardbbackup.model.PolarDBBackupStatus;
import dev.polardbbackup.model.PolarDBRestore;
import dev.polardbbackup.model.PolarDBRestoreStatus;
import dev.polardbbackup.model.Reasons;
import dev.polardbbackup.model.RestorePhase;
import dev.polardbbackup.model.VerifiedRestore;
import dev.polardbbackup.polardb.CallListener;
import dev.polardbbackup.polardb.Credentials;
import dev.polardbbackup.polardb.CredentialsProvider;
import dev.polardbbackup.polardb.PolarDbClient;
import dev.polardbbackup.polardb.PolarDbClientFactory;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Faults everywhere at once, with the quota binding. Per cluster three manual slots and six
 * resources: one Retain that stays, five Delete that the test deletes (one at once, the others when
 * they finish; the last two come late) so that waiters get slots; a DBA who takes a manual backup
 * by hand on every cluster in the same minutes. PolarDB checks the quota before the ClientToken and
 * forgets tokens after 8 s; about 20% of calls are throttled, fail with 5xx or lose their reply,
 * and CreateBackup takes 1.2 s. Two replicas with leader election: the leader is SIGKILLed while
 * CreateBackup calls are in flight, the API server is restarted, and once both replicas are down
 * for longer than the token memory. Meanwhile PolarDBRestores clone the Retain backups as soon as
 * they have Succeeded (CreateDBCluster loses its reply more often than the rest); one clone has a
 * ttl of a minute. Two schedules on clusters of their own run a restore drill of their first backup
 * in the same chaos. Then the ledger is reconciled with what the resources said: backups and
 * clones, the drills' clones too, each deleted once its schedule recorded the drill.
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
   * could not be told from another), or whose deletion left a backup it could not tell apart (a
   * BackupLeftUndeleted Warning): their backup may be left to the user.
   */
  private final Set<String> uncertain = ConcurrentHashMap.newKeySet();

  /**
   * The restores, each from a Retain backup (those stay until the end), made once it has Succeeded.
   * Two clone the same backup: each must still get a cluster of its own.
   */
  private static final List<RestorePlan> RESTORES =
      List.of(
          new RestorePlan("chaos-r1", 1, "Delete", null),
          new RestorePlan("chaos-r2", 2, "Retain", null),
          new RestorePlan("chaos-r3", 3, "Delete", null),
          new RestorePlan("chaos-r4", 4, "Retain", "1m"),
          new RestorePlan("chaos-r5", 1, "Delete", null),
          new RestorePlan("chaos-r6", 3, "Retain", null));

  /** A PolarDBRestore the run makes, of the Retain backup of cluster {@code c}; no ttl if null. */
  private record RestorePlan(String name, int c, String policy, String ttl) {
    String backup() {
      return ChaosIT.name(c, 0);
    }

    boolean deletes() {
      return "Delete".equals(policy);
    }
  }

  /** Every restore status ever observed, per restore name. */
  private final Map<String, List<PolarDBRestoreStatus>> restoreSeen = new ConcurrentHashMap<>();

  private final Map<String, String> restoreUids = new ConcurrentHashMap<>();

  /**
   * Schedules with a restore drill ({@code spec.verify}), one per cluster of their own: a single
   * runImmediately backup (Retain) and, once it has Succeeded, one drill restore that clones it.
   * They are applied at different moments, so that the drills meet different kills: the backup
   * takes about 10 s, the clone 3 s.
   */
  private static final List<DrillPlan> DRILLS =
      List.of(
          new DrillPlan("chaos-s1", "pc-chaosd1", Applied.BEFORE_FIRST_KILL),
          new DrillPlan("chaos-s2", "pc-chaosd2", Applied.BEFORE_BOTH_DOWN),
          // Made once the replicas are back: the drill runs as the leader is killed again and the
          // API server restarts.
          new DrillPlan("chaos-s3", "pc-chaosd3", Applied.WHILE_BOTH_DOWN));

  private enum Applied {
    BEFORE_FIRST_KILL,
    BEFORE_BOTH_DOWN,
    WHILE_BOTH_DOWN
  }

  /** A drill schedule on {@code cluster}, applied at the moment {@code applied}. */
  private record DrillPlan(String schedule, String cluster, Applied applied) {}

  /** A kill or restart, from its start to the moment it was over (for the drills' summary). */
  private record Disruption(String what, Instant from, Instant to) {}

  private final List<Disruption> disruptions = new CopyOnWriteArrayList<>();

  private final List<CompletableFuture<Void>> drillApplies = new ArrayList<>();

  /** When each drill schedule's drill began, as its status.drill says. */
  private final Map<String, Instant> drillStarted = new ConcurrentHashMap<>();

  private static final String DRILL_LABEL = PolarDBBackup.GROUP + "/drill";

  /** The drill schedules' backups (Retain), per name: the schedule that made them. */
  private final Map<String, String> scheduleChildren = new ConcurrentHashMap<>();

  /**
   * Every drill restore seen, by name: its UID (its CreateDBCluster ClientToken), from the restore
   * informer, else from the schedule's {@code status.drill} (a restore made and deleted while the
   * API server was down is seen only there).
   */
  private final Map<String, String> drillUids = new ConcurrentHashMap<>();

  /** The schedule of each drill restore, by restore name. */
  private final Map<String, String> drillSchedules = new ConcurrentHashMap<>();

  /** The last status seen of each drill schedule. */
  private final Map<String, PolarDBBackupScheduleStatus> scheduleStatus = new ConcurrentHashMap<>();

  /** Drill restores still there once every drill schedule had recorded its drill. */
  private final List<String> drillRestoresLeft = new ArrayList<>();

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
                "CreateBackup:latencyMs=1200,throttleRate=0.05,serverErrorRate=0.05,lostResponseRate=0.1",
                // Clones take 3 s; a lost CreateDBCluster reply is the restore's worst case (a
                // second billed cluster), so it comes more often than the other faults.
                "--cluster-creation-duration",
                "3s",
                "--fault",
                "CreateDBCluster:latencyMs=300,throttleRate=0.05,serverErrorRate=0.05,lostResponseRate=0.25"));
    for (int c = 1; c <= CLUSTERS; c++) {
      emulatorArgs.addAll(List.of("--cluster", cluster(c)));
    }
    for (DrillPlan drill : DRILLS) {
      emulatorArgs.addAll(List.of("--cluster", drill.cluster()));
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
      SharedIndexInformer<PolarDBBackup> watch =
          watch(client, PolarDBBackup.class, this::recordBackup);
      SharedIndexInformer<PolarDBRestore> restoreWatch =
          watch(client, PolarDBRestore.class, this::recordRestore);
      SharedIndexInformer<PolarDBBackupSchedule> scheduleWatch =
          watch(client, PolarDBBackupSchedule.class, this::recordSchedule);
      SharedIndexInformer<Event> eventWatch = watch(client, Event.class, this::recordEvent);
      PolarDbClient polarDb = polarDb(stack);
      stack.grantDefaultNamespace(
          "chaos-clusters", List.of("Backup", "Adopt", "Delete", "Restore"), "pc-chaos*");
      stack.startOperator("op-a");
      stack.startOperator("op-b");

      // The last two resources of each cluster come late, one before each of the last two kills,
      // so that those kills still find a CreateBackup to interrupt: by then the first wave may
      // all have finished.
      apply(client, 0, PER_CLUSTER - 2);

      Driver driver = new Driver(stack, polarDb, random);
      int kills = 0;
      // Round 0: the leader. Round 1: both replicas, for longer than PolarDB remembers a token.
      // Round 2: the leader again, then the API server.
      for (int round = 0; round < 3; round++) {
        if (round < 2) {
          applyDrills(stack, round == 0 ? Applied.BEFORE_FIRST_KILL : Applied.BEFORE_BOTH_DOWN);
        }
        driver.runUntil(Instant.now().plusMillis(round == 2 ? 300 : 1000 + random.nextInt(2000)));
        if (round > 0) {
          apply(client, PER_CLUSTER - 3 + round, PER_CLUSTER - 2 + round);
        }
        driver.awaitCreateInFlight();
        if (round != 1) {
          String leader = stack.awaitLeader(Duration.ofSeconds(60));
          System.out.println("chaos: SIGKILL " + leader + " with CreateBackup in flight");
          Instant killed = Instant.now();
          stack.operators.get(leader).kill();
          disruptions.add(new Disruption("SIGKILL leader", killed, Instant.now()));
          kills++;
          stack.startOperator(leader);
        } else {
          System.out.println("chaos: SIGKILL both replicas for " + TOKEN_TTL.plusSeconds(4));
          Instant killed = Instant.now();
          for (String name : List.of("op-a", "op-b")) {
            stack.operators.get(name).kill();
            kills++;
          }
          applyDrills(stack, Applied.WHILE_BOTH_DOWN);
          Thread.sleep(TOKEN_TTL.plusSeconds(4).toMillis());
          stack.startOperator("op-a");
          stack.startOperator("op-b");
          disruptions.add(new Disruption("both replicas down", killed, Instant.now()));
        }
        if (round == 2) {
          System.out.println("chaos: restarting the API server");
          Instant restarted = Instant.now();
          stack.restartApiServer();
          disruptions.add(new Disruption("API server restart", restarted, Instant.now()));
          driver.restarts += stack.restartExited();
        }
      }
      assertEquals(4, kills, "every planned kill hit a replica that held the lease or was down");
      drillApplies.forEach(CompletableFuture::join);

      stack.awaitTrue(
          "every Delete resource deleted and every Retain resource finished",
          Duration.ofMinutes(6),
          driver::stepUntilDone);
      stack.recordRss();

      // The ttl clone expires about a minute after it is Running: a long enough run for that.
      stack.awaitTrue(
          "every restore made and finished, and the ttl clone deleted",
          Duration.ofMinutes(5),
          driver::restoresDone);
      for (RestorePlan plan : RESTORES) {
        if (plan.deletes() && restoreUids.containsKey(plan.name())) {
          stack.admin.ok("delete", "pdbr", plan.name(), "-n", "default", "--wait=false");
        }
      }
      stack.awaitTrue(
          "every Delete restore deleted, its cluster with it",
          Duration.ofMinutes(4),
          () ->
              driver.stepped()
                  && RESTORES.stream()
                      .filter(RestorePlan::deletes)
                      .noneMatch(p -> driver.exists("pdbr", p.name())));

      // Each drill has been recorded (its restore, and with it its clone, gone) before its
      // schedule goes.
      stack.awaitTrue(
          "every drill schedule's lastVerifiedRestore (or its backup failed)",
          Duration.ofMinutes(4),
          driver::drillsDone);
      String left =
          stack
              .admin
              .run("get", "pdbr", "-n", "default", "-l", DRILL_LABEL + "=true", "-o", "name")
              .out()
              .trim();
      if (!left.isEmpty()) {
        drillRestoresLeft.addAll(List.of(left.split("\\s+")));
      }
      stack.admin.ok("delete", "pdbbs", "--all", "-n", "default", "--wait=false");

      // The Retain resources go last; their backups and clusters must stay.
      stack.admin.ok("delete", "pdbb", "--all", "-n", "default", "--wait=false");
      stack.admin.ok("delete", "pdbr", "--all", "-n", "default", "--wait=false");
      stack.awaitTrue(
          "every resource deleted (no finalizer stuck)",
          Duration.ofMinutes(3),
          () ->
              stack
                  .admin
                  .run("get", "pdbb,pdbr,pdbbs", "-n", "default", "-o", "name")
                  .out()
                  .isBlank());
      watch.close();
      restoreWatch.close();
      scheduleWatch.close();
      eventWatch.close();

      reconcile(stack.ledger(), driver);
      JsonNode ledger = stack.ledger();
      long clones = 0;
      long clonesDeleted = 0;
      long drillClones = 0;
      long drillClonesDeleted = 0;
      for (JsonNode c : ledger.path("clusters")) {
        boolean deleted = c.path("deleted").asBoolean();
        if (madeBy(c, drillUids).isEmpty()) {
          clones++;
          clonesDeleted += deleted ? 1 : 0;
        } else {
          drillClones++;
          drillClonesDeleted += deleted ? 1 : 0;
        }
      }
      Map<String, String> outcomes = new java.util.TreeMap<>();
      for (DrillPlan drill : DRILLS) {
        VerifiedRestore last = lastVerifiedRestore(drill);
        outcomes.put(
            drill.schedule(),
            last == null
                ? driver.drillsSkipped.contains(drill.schedule()) ? "skipped" : "none"
                : last.outcome() + " (" + last.reason() + ", during " + overlapped(drill) + ")");
      }
      System.out.printf(
          "chaos: restores %d (succeeded %d, failed %d, skipped %d), clones made %d, clones"
              + " deleted %d (by ttl %d); drills %d (%s), drill restores %d, drill clones made %d,"
              + " drill clones deleted %d%n",
          restoreUids.size(),
          RESTORES.stream().filter(p -> restoreReached(p.name(), RestorePhase.Succeeded)).count(),
          RESTORES.stream().filter(p -> restoreReached(p.name(), RestorePhase.Failed)).count(),
          driver.restoresSkipped.size(),
          clones,
          clonesDeleted,
          RESTORES.stream().filter(p -> p.ttl() != null && ttlExpired(p.name())).count(),
          DRILLS.stream().filter(d -> lastVerifiedRestore(d) != null).count(),
          outcomes,
          drillUids.size(),
          drillClones,
          drillClonesDeleted);
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
      // Last, so that a failed run still prints both summaries above.
      reconcileRestores(ledger, driver);
    }
  }

  /**
   * Every cluster in the ledger was made with the ClientToken of exactly one restore, planned or a
   * drill's (its UID, or {@code <uid>-<n>} after a definite refusal) and carries that UID's tag;
   * each restore made at most one, a Succeeded one exactly the one its status names, cloned from
   * its backup's cluster. Delete restores took theirs with them, the ttl clone is gone, the other
   * Retain clusters stay. No restore's phase ever moved backwards. Every drill schedule whose
   * backup succeeded recorded its drill, no drill restore is left, and no drill left its clone
   * behind (but for the one cluster of an UncertainOutcome, reported as the user's).
   */
  private void reconcileRestores(JsonNode ledger, Driver driver) {
    // Every broken promise is listed, not only the first: a failed run says all it saw.
    List<String> problems = new ArrayList<>();
    Map<String, String> everyRestore = new HashMap<>(restoreUids);
    everyRestore.putAll(drillUids);
    Map<String, List<JsonNode>> byRestore = new HashMap<>();
    for (JsonNode c : ledger.path("clusters")) {
      String id = c.path("dbClusterId").asText();
      List<String> owners = madeBy(c, everyRestore);
      if (owners.size() != 1) {
        problems.add(
            "cluster "
                + id
                + " (token "
                + c.path("clientToken").asText()
                + ") has restores "
                + owners);
        continue;
      }
      if (!everyRestore
          .get(owners.get(0))
          .equals(c.path("tags").path(NewCluster.TAG_UID).asText())) {
        problems.add("cluster " + id + " is not tagged with the UID of " + owners.get(0));
      }
      byRestore.computeIfAbsent(owners.get(0), k -> new ArrayList<>()).add(c);
    }
    for (RestorePlan plan : RESTORES) {
      String name = plan.name();
      if (!restoreUids.containsKey(name)) {
        continue;
      }
      List<JsonNode> made = byRestore.getOrDefault(name, List.of());
      boolean succeeded = restoreReached(name, RestorePhase.Succeeded);
      checkClones(name, cluster(plan.c()), made, problems);
      for (JsonNode c : made) {
        String id = c.path("dbClusterId").asText();
        boolean deleted = c.path("deleted").asBoolean();
        if (leftToTheUser(name, made) && !deleted) {
          System.out.println("chaos: " + name + " left " + id + " to the user (UncertainOutcome)");
        } else if (plan.deletes()) {
          if (!deleted) {
            problems.add(name + " (Delete) left its cluster " + id + " behind");
          }
        } else if (plan.ttl() != null && succeeded) {
          if (!deleted) {
            problems.add(name + " (ttl " + plan.ttl() + ") left its cluster " + id + " behind");
          }
        } else if (deleted) {
          problems.add(name + " (Retain) lost its cluster " + id);
        }
      }
    }
    // A drill restore is Delete: its clone goes with it, whatever the drill's verdict.
    for (String name : new java.util.TreeSet<>(drillUids.keySet())) {
      List<JsonNode> made = byRestore.getOrDefault(name, List.of());
      DrillPlan drill = drillOf(name);
      if (drill == null) {
        problems.add("drill restore " + name + " belongs to no drill schedule of this run");
        continue;
      }
      checkClones(name, drill.cluster(), made, problems);
      for (JsonNode c : made) {
        String id = c.path("dbClusterId").asText();
        if (c.path("deleted").asBoolean()) {
          continue;
        }
        if (leftToTheUser(name, made)) {
          System.out.println(
              "chaos: drill " + name + " left " + id + " to the user (UncertainOutcome)");
        } else {
          problems.add("drill " + name + " left its clone " + id + " behind");
        }
      }
    }
    for (DrillPlan drill : DRILLS) {
      String schedule = drill.schedule();
      VerifiedRestore last = lastVerifiedRestore(drill);
      List<String> restores =
          drillSchedules.entrySet().stream()
              .filter(e -> schedule.equals(e.getValue()))
              .map(Map.Entry::getKey)
              .sorted()
              .toList();
      System.out.println(
          "chaos: drill schedule "
              + schedule
              + " (applied "
              + drill.applied()
              + ", drill during "
              + overlapped(drill)
              + ") restores "
              + restores
              + ", lastVerifiedRestore "
              + (last == null
                  ? null
                  : last.outcome()
                      + " ("
                      + last.reason()
                      + ") of "
                      + last.backupId()
                      + ", clone "
                      + last.cloneDbClusterId()
                      + " in "
                      + last.cloneSeconds()
                      + " s: "
                      + last.message()));
      if (last == null) {
        if (!driver.drillsSkipped.contains(schedule)) {
          problems.add(schedule + " recorded no drill (no lastVerifiedRestore)");
        }
        continue;
      }
      if (last.outcome() == null || last.reason() == null || last.message() == null) {
        problems.add(schedule + " recorded a drill without outcome, reason or message: " + last);
      }
      Set<String> clones = new HashSet<>();
      restores.forEach(
          r ->
              byRestore
                  .getOrDefault(r, List.of())
                  .forEach(c -> clones.add(c.path("dbClusterId").asText())));
      if (last.cloneDbClusterId() != null && !clones.contains(last.cloneDbClusterId())) {
        problems.add(
            schedule + " names clone " + last.cloneDbClusterId() + ", not one its drills made");
      }
      if (last.outcome() == DrillOutcome.Succeeded
          && (last.cloneDbClusterId() == null
              || restores.stream().noneMatch(r -> restoreReached(r, RestorePhase.Succeeded)))) {
        problems.add(schedule + " recorded a Succeeded drill without a Succeeded restore");
      }
    }
    if (!drillRestoresLeft.isEmpty()) {
      problems.add("drill restores left once every drill was recorded: " + drillRestoresLeft);
    }
    assertTrue(problems.isEmpty(), "the clones reconcile:\n" + String.join("\n", problems));
  }

  /**
   * What every restore promises of the clusters it made: at most one, exactly the one its status
   * names if it Succeeded, cloned from {@code source}; its phase never moved backwards.
   */
  private void checkClones(String name, String source, List<JsonNode> made, List<String> problems) {
    List<PolarDBRestoreStatus> statuses = restoreSeen.getOrDefault(name, List.of());
    System.out.println(
        "chaos: "
            + name
            + " phases "
            + statuses.stream().map(PolarDBRestoreStatus::getPhase).distinct().toList()
            + ", last reason "
            + (statuses.isEmpty() ? null : statuses.get(statuses.size() - 1).getReason())
            + ", clusters "
            + made);
    if (made.size() > 1) {
      problems.add(name + " made " + made.size() + " clusters: " + made);
    }
    for (int i = 1; i < statuses.size(); i++) {
      if (!statuses.get(i - 1).getPhase().canMoveTo(statuses.get(i).getPhase())) {
        problems.add(
            name
                + " moved backwards: "
                + statuses.get(i - 1).getPhase()
                + " to "
                + statuses.get(i).getPhase());
      }
    }
    if (restoreReached(name, RestorePhase.Succeeded)) {
      if (made.size() != 1) {
        problems.add(name + " succeeded with " + made.size() + " clusters, not exactly one");
      }
      Set<String> ids = new HashSet<>();
      made.forEach(c -> ids.add(c.path("dbClusterId").asText()));
      statuses.stream()
          .filter(s -> s.getPhase() == RestorePhase.Succeeded)
          .map(PolarDBRestoreStatus::getDbClusterId)
          .filter(id -> !ids.contains(id))
          .distinct()
          .forEach(id -> problems.add(name + " names cluster " + id + ", not one it made"));
    }
    for (JsonNode c : made) {
      if (!source.equals(c.path("source").asText())) {
        problems.add(
            name
                + ": cluster "
                + c.path("dbClusterId").asText()
                + " is not a clone of its backup's cluster "
                + source);
      }
    }
  }

  /**
   * A create whose outcome stayed unknown past the token window is never sent again: the restore
   * fails with UncertainOutcome and names the uid tag, and its one cluster, if the lost call made
   * one, is the user's to delete (as uncertain backups are).
   */
  private boolean leftToTheUser(String name, List<JsonNode> made) {
    return made.size() == 1
        && restoreSeen.getOrDefault(name, List.of()).stream()
            .anyMatch(s -> Reasons.UNCERTAIN_OUTCOME.equals(s.getReason()));
  }

  /** The restores (of {@code uids}, name to UID) whose ClientToken made this cluster. */
  private static List<String> madeBy(JsonNode cluster, Map<String, String> uids) {
    String token = cluster.path("clientToken").asText();
    return uids.entrySet().stream()
        .filter(e -> token.equals(e.getValue()) || token.startsWith(e.getValue() + "-"))
        .map(Map.Entry::getKey)
        .toList();
  }

  private DrillPlan drillOf(String restoreName) {
    String schedule = drillSchedules.get(restoreName);
    return DRILLS.stream().filter(d -> d.schedule().equals(schedule)).findFirst().orElse(null);
  }

  /** The kills and restarts that happened while the drill ran (start to lastVerifiedRestore). */
  private List<String> overlapped(DrillPlan drill) {
    Instant from = drillStarted.get(drill.schedule());
    VerifiedRestore last = lastVerifiedRestore(drill);
    if (from == null || last == null) {
      return List.of();
    }
    Instant to = Instant.parse(last.time());
    return disruptions.stream()
        .filter(d -> !d.to().isBefore(from) && !d.from().isAfter(to))
        .map(Disruption::what)
        .toList();
  }

  private VerifiedRestore lastVerifiedRestore(DrillPlan drill) {
    PolarDBBackupScheduleStatus status = scheduleStatus.get(drill.schedule());
    return status == null ? null : status.getLastVerifiedRestore();
  }

  private boolean restoreReached(String name, RestorePhase phase) {
    return restoreSeen.getOrDefault(name, List.of()).stream().anyMatch(s -> s.getPhase() == phase);
  }

  /** The restore's clone was deleted for its ttl (the status says so). */
  private boolean ttlExpired(String name) {
    return restoreSeen.getOrDefault(name, List.of()).stream()
        .anyMatch(
            s ->
                s.getDeletion() != null
                    && s.getDeletion().deletedTime() != null
                    && Reasons.TTL_EXPIRED.equals(s.getDeletion().reason()));
  }

  private RestorePhase lastRestorePhase(String name) {
    List<PolarDBRestoreStatus> statuses = restoreSeen.get(name);
    return statuses == null || statuses.isEmpty()
        ? null
        : statuses.get(statuses.size() - 1).getPhase();
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
      boolean retain = retains(name);
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
    // Restores whose source backup finished without succeeding: never made.
    final Set<String> restoresSkipped = new HashSet<>();
    // Drill schedules whose one backup finished without succeeding: no drill to run.
    final Set<String> drillsSkipped = new HashSet<>();
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

    /**
     * Until the emulator holds a CreateBackup call (its 1.2 s latency) not yet answered. Callers
     * apply a fresh resource per cluster before, so one is bound to come once a quota slot frees.
     */
    void awaitCreateInFlight() throws Exception {
      Instant end = Instant.now().plusSeconds(60);
      while (Instant.now().isBefore(end)) {
        // A step runs kubectl, which takes long on a loaded machine; the emulator is asked often
        // first and between steps, so that a 1.2 s CreateBackup is not missed in a gap.
        Instant burst = Instant.now().plusSeconds(2);
        while (Instant.now().isBefore(burst)) {
          if (stack.ledger().path("inFlight").path("CreateBackup").asInt() > 0) {
            return;
          }
          Thread.sleep(20);
        }
        step();
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
      return uncertain.stream().filter(n -> !retains(n)).allMatch(settledByHand::contains);
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
        if (!retains(name) && deleted.contains(name) && !exists(name) && deleteByHand(name)) {
          settledByHand.add(name);
        }
      }
      makeRestores();
    }

    /** One restore per step, of a backup that has Succeeded: they spread over the chaos. */
    private void makeRestores() {
      for (RestorePlan plan : RESTORES) {
        if (restoreUids.containsKey(plan.name()) || restoresSkipped.contains(plan.name())) {
          continue;
        }
        Phase source = lastPhase(plan.backup());
        if (source == Phase.Succeeded) {
          stack.admin.apply(restore(plan)).orFail(plan.name());
          restoreUids.put(
              plan.name(), stack.admin.field("pdbr", plan.name(), "default", ".metadata.uid"));
          System.out.println(
              "chaos: restore "
                  + plan.name()
                  + " of "
                  + plan.backup()
                  + " ("
                  + plan.policy()
                  + ")");
          return;
        }
        if (source != null && source.isTerminal()) {
          System.out.println("chaos: no restore " + plan.name() + ": " + plan.backup() + " failed");
          restoresSkipped.add(plan.name());
        }
      }
    }

    /** Steps; true, so that it can lead a condition. */
    boolean stepped() {
      try {
        step();
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      return true;
    }

    /** Every planned restore made (or skipped) and finished; a Succeeded ttl clone deleted. */
    boolean restoresDone() {
      stepped();
      for (RestorePlan plan : RESTORES) {
        if (restoresSkipped.contains(plan.name())) {
          continue;
        }
        RestorePhase phase = lastRestorePhase(plan.name());
        if (!restoreUids.containsKey(plan.name()) || phase == null || !phase.isTerminal()) {
          return false;
        }
        if (plan.ttl() != null && phase == RestorePhase.Succeeded && !ttlExpired(plan.name())) {
          return false;
        }
      }
      return true;
    }

    /**
     * Every drill schedule has recorded its drill (its restore gone), or its backup finished
     * without succeeding so that it has nothing to drill.
     */
    boolean drillsDone() {
      stepped();
      boolean done = true;
      for (DrillPlan drill : DRILLS) {
        PolarDBBackupScheduleStatus status = scheduleStatus.get(drill.schedule());
        if (status != null && status.getLastVerifiedRestore() != null) {
          continue;
        }
        List<String> backups =
            scheduleChildren.entrySet().stream()
                .filter(e -> drill.schedule().equals(e.getValue()))
                .map(Map.Entry::getKey)
                .toList();
        boolean nothingToDrill =
            status != null
                && status.getDrill() == null
                && !backups.isEmpty()
                && backups.stream()
                    .map(ChaosIT.this::lastPhase)
                    .allMatch(p -> p != null && p.isTerminal() && p != Phase.Succeeded);
        if (nothingToDrill) {
          if (drillsSkipped.add(drill.schedule())) {
            System.out.println(
                "chaos: no drill for " + drill.schedule() + ": its backups " + backups + " failed");
          }
          continue;
        }
        done = false;
      }
      return done;
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
      return exists("pdbb", name);
    }

    boolean exists(String type, String name) {
      return !stack.admin.run("get", type, name, "-n", "default", "-o", "name").out().isBlank();
    }
  }

  /**
   * Creates resources {@code from} to {@code to} (exclusive) of every cluster; k = 0 is Retain. By
   * the API, not kubectl: the last one's CreateBackup (1.2 s) must still be in flight when the
   * caller starts looking for one.
   */
  private void apply(KubernetesClient client, int from, int to) {
    for (int k = from; k < to; k++) {
      for (int c = 1; c <= CLUSTERS; c++) {
        String policy = k == 0 ? "Retain" : "Delete";
        String manifest = LocalStack.backup(name(c, k), cluster(c), policy);
        PolarDBBackup created =
            client
                .resources(PolarDBBackup.class)
                .inNamespace("default")
                .load(new ByteArrayInputStream(manifest.getBytes(StandardCharsets.UTF_8)))
                .create();
        uids.put(name(c, k), created.getMetadata().getUid());
      }
    }
  }

  /** A Retain resource, whose backup stays: the first of each cluster, or a drill schedule's. */
  private boolean retains(String name) {
    return name.endsWith("-0") || scheduleChildren.containsKey(name);
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

  private void recordBackup(PolarDBBackup b) {
    String schedule = labels(b.getMetadata()).get(SCHEDULE_LABEL);
    if (schedule != null) {
      scheduleChildren.put(b.getMetadata().getName(), schedule);
      uids.putIfAbsent(b.getMetadata().getName(), b.getMetadata().getUid());
    }
    PolarDBBackupStatus s = b.getStatus();
    if (s != null && s.getPhase() != null) {
      if (s.condition(Reasons.UNCERTAIN_MATCH).isPresent()
          || Reasons.UNCERTAIN_OUTCOME.equals(s.getReason())
          || Reasons.BACKUP_NOT_FOUND.equals(s.getReason())) {
        uncertain.add(b.getMetadata().getName());
      }
      seen.computeIfAbsent(b.getMetadata().getName(), k -> new CopyOnWriteArrayList<>()).add(s);
    }
  }

  /**
   * A deletion that could not tell its own backup from others left them all, saying so only in a
   * Warning (its object is gone next): the user reads it and deals with them by hand.
   */
  private void recordEvent(Event e) {
    if (Reasons.BACKUP_LEFT_UNDELETED.equals(e.getReason())
        && "PolarDBBackup".equals(e.getInvolvedObject().getKind())) {
      uncertain.add(e.getInvolvedObject().getName());
    }
  }

  private void recordRestore(PolarDBRestore r) {
    Map<String, String> labels = labels(r.getMetadata());
    if ("true".equals(labels.get(DRILL_LABEL))) {
      drillUids.put(r.getMetadata().getName(), r.getMetadata().getUid());
      drillSchedules.put(r.getMetadata().getName(), labels.get(SCHEDULE_LABEL));
    }
    PolarDBRestoreStatus s = r.getStatus();
    if (s != null && s.getPhase() != null) {
      restoreSeen
          .computeIfAbsent(r.getMetadata().getName(), k -> new CopyOnWriteArrayList<>())
          .add(s);
    }
  }

  private void recordSchedule(PolarDBBackupSchedule schedule) {
    PolarDBBackupScheduleStatus s = schedule.getStatus();
    if (s == null) {
      return;
    }
    String name = schedule.getMetadata().getName();
    scheduleStatus.put(name, s);
    DrillInProgress drill = s.getDrill();
    if (drill != null && drill.startedAt() != null) {
      drillStarted.putIfAbsent(name, Instant.parse(drill.startedAt()));
    }
    if (drill != null && drill.restoreName() != null && drill.clientToken() != null) {
      drillUids.putIfAbsent(drill.restoreName(), drill.clientToken());
      drillSchedules.putIfAbsent(drill.restoreName(), name);
    }
  }

  /** Every version of every object of {@code type} in namespace default, as it is seen. */
  private static <T extends HasMetadata> SharedIndexInformer<T> watch(
      KubernetesClient client, Class<T> type, Consumer<T> record) {
    return client
        .resources(type)
        .inNamespace("default")
        .inform(
            new ResourceEventHandler<>() {
              @Override
              public void onAdd(T object) {
                record.accept(object);
              }

              @Override
              public void onUpdate(T old, T object) {
                record.accept(object);
              }

              @Override
              public void onDelete(T object, boolean unknownFinalState) {}
            });
  }

  private static Map<String, String> labels(ObjectMeta meta) {
    return meta.getLabels() == null ? Map.of() : meta.getLabels();
  }

  /**
   * Applies the drill schedules due {@code now} in the background: the kills' timing (a
   * CreateBackup in flight, the time both replicas are down) stays as it was without drills.
   */
  private void applyDrills(LocalStack stack, Applied now) {
    for (DrillPlan drill : DRILLS) {
      if (drill.applied() == now) {
        drillApplies.add(
            CompletableFuture.runAsync(
                () ->
                    stack
                        .admin
                        .apply(LocalStack.drillSchedule(drill.schedule(), drill.cluster()))
                        .orFail(drill.schedule())));
      }
    }
  }

  /** A clone of the plan's backup into a small new cluster in cn-hangzhou-h. */
  private static String restore(RestorePlan plan) {
    return """
        apiVersion: polardbbackup.dev/v1alpha1
        kind: PolarDBRestore
        metadata: {name: %s, namespace: default}
        spec:
          regionId: cn-hangzhou
          source: {backupRef: {name: %s}}
          target:
            newCluster:
              dbNodeClass: polar.mysql.x4.medium
              zoneId: cn-hangzhou-h
              vpcId: vpc-1
              vSwitchId: vsw-1
          deletionPolicy: %s
        %s"""
        .formatted(
            plan.name(),
            plan.backup(),
            plan.policy(),
            plan.ttl() == null ? "" : "  ttl: " + plan.ttl() + "\n");
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
