package dev.polardbbackup.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * End to end on a real kube-apiserver (RBAC on): the CRD and the deploy/ RBAC applied exactly as
 * shipped, the emulator and two operator replicas as separate processes, the operators
 * authenticated as the shipped ServiceAccount, everything driven through real kubectl.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperatorIT {
  private final Instant began = Instant.now();
  private LocalStack stack;
  private Kubectl admin;

  @BeforeAll
  void controlPlaneEmulatorAndOperator() throws Exception {
    stack =
        new LocalStack(
            List.of(
                "--backup-duration",
                "3s",
                "--quota",
                "3",
                "--cluster",
                "pc-demo1",
                "--cluster",
                "pc-demo2",
                "--cluster",
                "pc-demo3",
                "--cluster",
                "pc-e2efail",
                "--cluster",
                "pc-sched",
                "--cluster",
                "pc-gone",
                "--cluster",
                "pc-drill",
                "--cluster-creation-duration",
                "2s"),
            List.of(
                "--poll-min",
                "500ms",
                "--poll-max",
                "2s",
                "--quota-backoff-initial",
                "1s",
                "--quota-backoff-max",
                "3s",
                "--error-backoff-initial",
                "500ms",
                "--error-backoff-max",
                "2s",
                "--lease-duration",
                "6s",
                "--renew-deadline",
                "4s",
                "--retry-period",
                "1s",
                "--backup-recheck",
                "2s"));
    admin = stack.admin;
    // deploy/base grants the examples' pc-demo clusters; the tests' own clusters need their own.
    stack.grantDefaultNamespace("e2e-clusters", "pc-e2efail", "pc-sched", "pc-gone");
    stack.grantDefaultNamespace(
        "e2e-drills", List.of("Backup", "Adopt", "Delete", "Restore"), "pc-drill");
    stack.startOperator("op-a");
  }

  @AfterAll
  void stopEverything() throws Exception {
    if (stack != null) {
      System.out.printf(
          "e2e: wall time %ds, operator peak RSS %d MiB%n",
          Duration.between(began, Instant.now()).toSeconds(), stack.peakRssKiB() / 1024);
      stack.close();
    }
  }

  private String status(String name, String namespace, String field) {
    return stack.status(name, namespace, field);
  }

  // ---- tests ----

  private static final String SCHEDULE = "every-minute";

  private static final String SCHEDULE_MANIFEST =
      """
      apiVersion: polardbbackup.dev/v1alpha1
      kind: PolarDBBackupSchedule
      metadata:
        name: every-minute
        namespace: default
        labels: {team: payments, app.kubernetes.io/instance: e2e-app}
        annotations: {argocd.argoproj.io/tracking-id: "e2e-app:polardbbackup.dev/PolarDBBackupSchedule:default/every-minute"}
      spec:
        schedule: "* * * * *"
        runImmediately: true
        template: {dbClusterId: pc-sched, regionId: cn-hangzhou, deletionPolicy: Delete}
        retention: {keepLast: 2, keepFailed: 1, rotateWhenQuotaFull: true}
      """;

  private List<String> scheduleChildren() {
    String names =
        admin.ok(
            "get",
            "pdbb",
            "-n",
            "default",
            "-l",
            "polardbbackup.dev/schedule=" + SCHEDULE,
            "-o",
            "jsonpath={.items[*].metadata.name}");
    return names.isBlank() ? List.of() : List.of(names.trim().split("\\s+"));
  }

  private String scheduleField(String jsonPath) {
    return admin.field("pdbbs", SCHEDULE, "default", jsonPath);
  }

  /**
   * Starts a schedule ticking every minute; the later tests run while it ticks and {@link
   * #scheduleRanSeveralTicksAndRetentionDeletedTheOldest} checks what it did, across a failover.
   */
  @Test
  @Order(0)
  void aScheduleIsValidatedAndStartsWithABackupAtOnce() throws Exception {
    Map<String, String> bad =
        Map.of(
            "four-field cron",
                "spec: {schedule: '0 2 * *', template: {dbClusterId: pc-sched, regionId: cn-hangzhou}}",
            "missing template", "spec: {schedule: '0 2 * * *'}",
            "missing spec", "",
            "unknown concurrency policy",
                "spec: {schedule: '0 2 * * *', concurrencyPolicy: Sometimes, template: {dbClusterId: pc-sched, regionId: cn-hangzhou}}",
            "keepLast zero",
                "spec: {schedule: '0 2 * * *', retention: {keepLast: 0}, template: {dbClusterId: pc-sched, regionId: cn-hangzhou}}");
    bad.forEach(
        (what, spec) -> {
          Cmd.Result r =
              admin.applyUnvalidated(
                  "apiVersion: polardbbackup.dev/v1alpha1\nkind: PolarDBBackupSchedule\n"
                      + "metadata: {name: bad, namespace: default}\n"
                      + spec
                      + "\n");
          assertNotEquals(0, r.exit(), what + " was accepted");
          assertTrue(r.err().contains("is invalid"), what + ": " + r.err());
        });

    admin.apply(SCHEDULE_MANIFEST).orFail("apply schedule");
    stack.awaitTrue(
        "the runImmediately backup", Duration.ofSeconds(60), () -> !scheduleChildren().isEmpty());
    String first = scheduleChildren().stream().sorted().findFirst().orElseThrow();
    assertTrue(first.matches(SCHEDULE + "-\\d{12}"), first);
    String labels = admin.field("pdbb", first, "default", ".metadata.labels");
    assertTrue(labels.contains("payments") && !labels.contains("e2e-app"), labels);
    assertEquals(
        scheduleField(".metadata.uid"),
        admin.field("pdbb", first, "default", ".metadata.ownerReferences[0].uid"));
  }

  @Test
  @Order(1)
  void invalidManifestsAreRejectedByTheApiServer() {
    Map<String, String> bad =
        Map.of(
            "malformed cluster id", "spec: {dbClusterId: 'db-123', regionId: cn-hangzhou}",
            "missing cluster id", "spec: {regionId: cn-hangzhou}",
            "missing spec", "",
            "unknown deletion policy",
                "spec: {dbClusterId: pc-demo1, regionId: cn-hangzhou, deletionPolicy: Sometimes}",
            "oversized region",
                "spec: {dbClusterId: pc-demo1, regionId: " + "cn-" + "x".repeat(80) + "}");
    bad.forEach(
        (what, spec) -> {
          // --validate=false: the API server's own schema validation must refuse it, not kubectl.
          String manifest =
              "apiVersion: polardbbackup.dev/v1alpha1\nkind: PolarDBBackup\n"
                  + "metadata: {name: bad, namespace: default}\n"
                  + spec
                  + "\n";
          Cmd.Result r = admin.applyUnvalidated(manifest);
          assertNotEquals(0, r.exit(), what + " was accepted");
          assertTrue(
              r.err().contains("is invalid") && r.err().contains("spec"), what + ": " + r.err());
        });
  }

  @Test
  @Order(2)
  void shippedExamplesBecomeReady() throws Exception {
    admin.ok("apply", "-f", "deploy/examples/backup-basic.yaml");
    admin.ok("apply", "-f", "deploy/examples/backup-with-secret.yaml");

    admin.ok(
        "wait",
        "--for=condition=Ready",
        "pdbb/orders-before-migration",
        "-n",
        "default",
        "--timeout=90s");
    admin.ok(
        "wait",
        "--for=condition=Ready",
        "pdbb/billing-nightly-2026-11-29",
        "-n",
        "default",
        "--timeout=90s");

    assertEquals("Succeeded", status("orders-before-migration", "default", "phase"));
    // Events are written off the reconcile thread: one may follow its status by a moment.
    stack.awaitTrue(
        "the BackupSucceeded Event",
        Duration.ofSeconds(15),
        () -> eventReasons("orders-before-migration").contains("BackupSucceeded"));

    // The longest name an object can have (253) still gets its Events. This does not catch an
    // over-long Event name: the core/v1 Events API skips name validation for backward
    // compatibility (checked: 1.20 stores a 267-character name); only events.k8s.io/v1 checks it.
    // EventNamesTest checks the names themselves.
    String longest = "longest-" + "n".repeat(240) + "-name";
    admin.apply(LocalStack.backup(longest, "pc-demo1", "Delete")).orFail("apply " + longest);
    admin.ok("wait", "--for=condition=Ready", "pdbb/" + longest, "-n", "default", "--timeout=90s");
    stack.awaitTrue(
        "the longest name's BackupSucceeded Event",
        Duration.ofSeconds(15),
        () -> eventReasons(longest).contains("BackupSucceeded"));
    admin.ok("delete", "pdbb", longest, "-n", "default", "--timeout=60s");

    String printed = admin.ok("get", "pdbb", "-n", "default");
    assertTrue(printed.contains("Succeeded") && printed.contains("pc-demo1"), printed);
    stack.recordRss();
  }

  @Test
  @Order(3)
  void deletionFollowsThePolicy() throws Exception {
    String retained = status("orders-before-migration", "default", "backupId");
    String deleted = status("billing-nightly-2026-11-29", "default", "backupId");

    admin.ok(
        "delete",
        "pdbb",
        "orders-before-migration",
        "billing-nightly-2026-11-29",
        "-n",
        "default",
        "--timeout=60s");

    // An empty id would match nothing below and prove nothing.
    assertFalse(retained.isEmpty(), "orders-before-migration recorded its backupId");
    assertFalse(deleted.isEmpty(), "billing-nightly-2026-11-29 recorded its backupId");
    assertNotEquals(retained, deleted);
    int retainedSeen = 0;
    int deletedSeen = 0;
    for (JsonNode b : stack.ledger().path("backups")) {
      if (b.path("backupId").asText().equals(retained)) {
        retainedSeen++;
        assertFalse(b.path("deleted").asBoolean(), "Retain kept the cloud backup");
      }
      if (b.path("backupId").asText().equals(deleted)) {
        deletedSeen++;
        assertTrue(b.path("deleted").asBoolean(), "Delete removed the cloud backup");
      }
    }
    assertEquals(1, retainedSeen, "the ledger holds the retained backup " + retained);
    assertEquals(1, deletedSeen, "the ledger holds the deleted backup " + deleted);
  }

  @Test
  @Order(4)
  void quotaExhaustionWaitsAndSlotReleaseLetsItRun() throws Exception {
    for (String name : List.of("q1", "q2", "q3")) {
      admin.apply(LocalStack.backup(name, "pc-demo3", "Delete")).orFail("apply " + name);
    }
    for (String name : List.of("q1", "q2", "q3")) {
      admin.ok("wait", "--for=condition=Ready", "pdbb/" + name, "-n", "default", "--timeout=90s");
    }
    admin.apply(LocalStack.backup("q4", "pc-demo3", "Retain")).orFail("apply q4");
    stack.awaitTrue(
        "q4 waiting for quota",
        Duration.ofSeconds(60),
        () -> "WaitingForQuota".equals(status("q4", "default", "phase")));
    String holder = status("q1", "default", "backupId");
    assertFalse(holder.isEmpty(), "q1 has a backupId");
    assertTrue(
        status("q4", "default", "message").contains(holder),
        "the waiting message names the backups that hold the quota");

    admin.ok("delete", "pdbb", "q1", "-n", "default", "--timeout=60s");

    admin.ok("wait", "--for=condition=Ready", "pdbb/q4", "-n", "default", "--timeout=90s");
    stack.recordRss();
  }

  @Test
  @Order(5)
  void serviceFailureIsTerminalAndVisible() throws Exception {
    stack.emulatorAdmin(
        "/_emulator/backup-outcome",
        "{\"dbClusterId\":\"pc-e2efail\",\"fail\":true,\"reason\":\"disk\"}");
    admin.apply(LocalStack.backup("doomed", "pc-e2efail", "Retain")).orFail("apply doomed");

    admin.ok(
        "wait",
        "--for=jsonpath={.status.phase}=Failed",
        "pdbb/doomed",
        "-n",
        "default",
        "--timeout=90s");

    assertEquals(
        "False",
        admin.field(
            "pdbb", "doomed", "default", ".status.conditions[?(@.type==\"Ready\")].status"));
    assertEquals("BackupFailed", status("doomed", "default", "reason"));
  }

  @Test
  @Order(6)
  void metricsAndHealthEndpointsServe() {
    assertEquals(200, stack.get("op-a", "/healthz").statusCode());
    assertEquals(200, stack.get("op-a", "/readyz").statusCode());
    String metrics = stack.get("op-a", "/metrics").body();
    for (String name :
        List.of(
            "polardb_backups_started_total",
            "polardb_backups_succeeded_total",
            "polardb_api_calls_seconds_count",
            "kubernetes_api_requests_total",
            "operator_sdk_reconciliations_started_total",
            "polardb_last_successful_backup_timestamp_seconds",
            "polardb_backup_quota_waits_total")) {
      assertTrue(metrics.contains(name), name + " missing from /metrics");
    }
  }

  /**
   * No alert or dashboard panel rests on a metric that does not exist: every name they query is in
   * this real scrape, taken while a backup waits for quota (q2-q4 hold pc-demo3's three slots),
   * after a backup failed and with a schedule ticking.
   */
  @Test
  @Order(6)
  void everyMetricTheAlertsAndDashboardUseIsInARealScrape() throws Exception {
    admin.apply(LocalStack.backup("q5", "pc-demo3", "Retain")).orFail("apply q5");
    stack.awaitTrue(
        "q5 waiting for quota",
        Duration.ofSeconds(60),
        () -> "WaitingForQuota".equals(status("q5", "default", "phase")));
    String leader = stack.awaitLeader(Duration.ofSeconds(30));
    String scrape = stack.get(leader, "/metrics").body();
    admin.ok("delete", "pdbb", "q5", "-n", "default", "--timeout=60s");

    java.util.Set<String> missing =
        new java.util.TreeSet<>(
            dev.polardbbackup.deploy.MonitoringMetricNames.usedByRulesAndDashboard());
    missing.removeAll(dev.polardbbackup.deploy.MonitoringMetricNames.exposedIn(scrape));
    // Written at the first reconcile that throws; MonitoredMetricsTest checks its name.
    missing.removeAll(dev.polardbbackup.deploy.MonitoringMetricNames.BORN_AT_FIRST_RECONCILE_ERROR);
    assertEquals(java.util.Set.of(), missing, "used by the rules or dashboard, not in:\n" + scrape);
  }

  @Test
  @Order(7)
  void secondReplicaTakesOverAfterTheLeaderIsKilledMidBackup() throws Exception {
    stack.startOperator("op-b");
    stack.emulatorAdmin("/_emulator/backup-duration", "{\"durationMs\":10000}");
    String leader = stack.awaitLeader(Duration.ofSeconds(60));
    String standby = leader.equals("op-a") ? "op-b" : "op-a";

    admin.apply(LocalStack.backup("failover", "pc-demo2", "Retain")).orFail("apply failover");
    stack.awaitTrue(
        "failover Running",
        Duration.ofSeconds(60),
        () -> "Running".equals(status("failover", "default", "phase")));
    String uid = admin.field("pdbb", "failover", "default", ".metadata.uid");
    stack.recordRss();
    stack.operators.get(leader).kill();

    admin.ok("wait", "--for=condition=Ready", "pdbb/failover", "-n", "default", "--timeout=120s");

    assertTrue(
        stack.operators.get(standby).output().contains("became leader"),
        "the standby took the lease");
    long mine = stack.backupsFor(uid);
    assertEquals(1, mine, "exactly one backup for the resource across the failover");
  }

  @Test
  @Order(8)
  void scheduleRanSeveralTicksAndRetentionDeletedTheOldest() throws Exception {
    // runImmediately, then one tick a minute: the third success makes retention (keepLast 2)
    // delete the first, with its PolarDB backup (deletionPolicy Delete).
    stack.awaitTrue(
        "three backups made and the oldest deleted",
        Duration.ofSeconds(240),
        () -> {
          String created = scheduleField(".status.created");
          String deleted = scheduleField(".status.deleted");
          return !created.isEmpty()
              && Integer.parseInt(created) >= 3
              && !deleted.isEmpty()
              && Integer.parseInt(deleted) >= 1;
        });
    List<String> children = scheduleChildren();
    assertTrue(children.size() <= 3, children.toString());
    String last = scheduleField(".status.lastSuccessfulBackup.name");
    assertTrue(children.contains(last), last + " in " + children);
    long deletedInCloud = 0;
    for (JsonNode b : stack.ledger().path("backups")) {
      if ("pc-sched".equals(b.path("dbClusterId").asText()) && b.path("deleted").asBoolean()) {
        deletedInCloud++;
      }
    }
    assertTrue(deletedInCloud >= 1, "retention deleted the oldest PolarDB backup");
    String printed = admin.ok("get", "pdbbs", "-n", "default");
    assertTrue(
        printed.contains("Last Success".toUpperCase()) && printed.contains("pc-sched"), printed);

    admin.ok(
        "patch",
        "pdbbs",
        SCHEDULE,
        "-n",
        "default",
        "--type",
        "merge",
        "-p",
        "{\"spec\":{\"suspend\":true}}");
    stack.awaitTrue(
        "suspended",
        Duration.ofSeconds(30),
        () ->
            "Suspended".equals(scheduleField(".status.conditions[?(@.type==\"Ready\")].reason"))
                && scheduleField(".status.nextScheduleTime").isEmpty());

    // Suspended, no child comes any more: once every child has succeeded, each made exactly one
    // PolarDB backup (uids and phases read in one listing, as retention may delete a child).
    Map<String, String> finished = new java.util.TreeMap<>();
    stack.awaitTrue(
        "every child of the suspended schedule Succeeded",
        Duration.ofSeconds(90),
        () -> {
          finished.clear();
          String rows =
              admin.ok(
                  "get",
                  "pdbb",
                  "-n",
                  "default",
                  "-l",
                  "polardbbackup.dev/schedule=" + SCHEDULE,
                  "-o",
                  "jsonpath={range .items[*]}{.metadata.name} {.metadata.uid}"
                      + " {.status.phase}{\"\\n\"}{end}");
          for (String row : rows.strip().split("\n")) {
            String[] f = row.trim().split("\\s+");
            if (f.length != 3 || !"Succeeded".equals(f[2])) {
              return false;
            }
            finished.put(f[0], f[1]);
          }
          return !finished.isEmpty();
        });
    for (Map.Entry<String, String> child : finished.entrySet()) {
      assertEquals(
          1, stack.backupsFor(child.getValue()), "exactly one backup for " + child.getKey());
    }
  }

  @Test
  @Order(9)
  void aLeaderStopsPromptlyOnSigtermAndTheStandbyTakesOver() throws Exception {
    String leader = stack.awaitLeader(Duration.ofSeconds(60));
    String standby = leader.equals("op-a") ? "op-b" : "op-a";
    if (!stack.operators.get(standby).isAlive()) {
      stack.startOperator(standby); // the replica killed earlier comes back as the standby
    }

    // Kubernetes waits 30 s by default before SIGKILL; in-flight reconciles get the shutdown
    // timeout (30 s), and with nothing in flight the exit is immediate.
    Duration took = stack.operators.get(leader).terminate(Duration.ofSeconds(25));
    System.out.printf("e2e: %s exited %d ms after SIGTERM%n", leader, took.toMillis());
    assertTrue(stack.operators.get(leader).output().contains("shutting down"));

    stack.awaitTrue(
        standby + " leads", Duration.ofSeconds(60), () -> standby.equals(stack.leader()));
  }

  /**
   * A leader that cannot renew its Lease (the API server gone for longer than the renew deadline)
   * must stop reconciling: the process exits non-zero, so that Kubernetes restarts it, and a backup
   * it had in flight is finished by whichever replica leads next, with one PolarDB backup.
   */
  @Test
  @Order(10)
  void aLeaderThatLosesItsLeaseExitsNonZeroAndTheWorkCompletesAfterItsRestart() throws Exception {
    for (String name : List.of("op-a", "op-b")) {
      if (!stack.operators.get(name).isAlive()) {
        stack.startOperator(name); // both replicas up: only the one losing its lease may exit
      }
    }
    String leader = stack.awaitLeader(Duration.ofSeconds(60));
    JavaProcess leading = stack.operators.get(leader);
    admin.apply(LocalStack.backup("lease-lost", "pc-demo1", "Retain")).orFail("apply lease-lost");
    stack.awaitTrue(
        "lease-lost Running",
        Duration.ofSeconds(60),
        () -> "Running".equals(status("lease-lost", "default", "phase")));
    String uid = admin.field("pdbb", "lease-lost", "default", ".metadata.uid");

    // Renew deadline 4 s; each failed renewal first retries its request for some seconds. The API
    // server stays down until the leader has given up, so that a late renewal cannot succeed.
    stack.stopApiServer();
    try {
      stack.awaitTrue(
          leader + " gives up its lease",
          Duration.ofSeconds(120),
          () -> !leading.isAlive() || leading.output().contains("stopped leading"));
    } finally {
      stack.restartApiServer();
    }
    boolean exited = leading.process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS);
    assertTrue(exited, leader + " exited after losing its lease:\n" + leading.output());
    assertEquals(1, leading.process.exitValue(), leader + " exited non-zero");
    assertTrue(leading.output().contains("lost the leader lease"), leading.output());

    assertEquals(1, stack.restartExited(), "the replica that lost its lease, and only it");
    stack.awaitLeader(Duration.ofSeconds(60));
    admin.ok("wait", "--for=condition=Ready", "pdbb/lease-lost", "-n", "default", "--timeout=120s");
    assertEquals(1, stack.backupsFor(uid), "exactly one backup for lease-lost");
  }

  /**
   * The shipped policy example, through the shipped grant and RBAC: the one field that differs from
   * the emulator's defaults (retention on cluster deletion) goes in one Modify, and the printed
   * columns show the result.
   */
  @Test
  @Order(11)
  void theShippedPolicyExampleConvergesWithOneModify() throws Exception {
    admin.ok("apply", "-f", "deploy/examples/backup-policy.yaml");

    admin.ok(
        "wait", "--for=condition=InSync", "pdbbp/demo1-policy", "-n", "default", "--timeout=90s");

    assertEquals(1, stack.callsTo("ModifyBackupPolicy", "pc-demo1"));
    assertEquals(0, stack.callsTo("ModifyLogBackupPolicy", "pc-demo1"), "log policy agreed");
    assertEquals(
        "LATEST",
        admin.field(
            "pdbbp", "demo1-policy", "default", ".status.effective.retentionOnClusterDeletion"));
    String printed = admin.ok("get", "pdbbp", "-n", "default");
    assertTrue(printed.contains("LATEST") && printed.contains("PolicyInSync"), printed);
  }

  @Test
  @Order(12)
  void deletingTheClusterUnderRetentionNoneMakesItsBackupSayGone() throws Exception {
    admin.apply(LocalStack.backup("lost", "pc-gone", "Retain")).orFail("apply lost");
    admin.ok("wait", "--for=condition=Ready", "pdbb/lost", "-n", "default", "--timeout=90s");
    // The same status write that said Succeeded says the cluster would take the set along.
    assertEquals(
        "DeletedWithCluster",
        admin.field(
            "pdbb",
            "lost",
            "default",
            ".status.conditions[?(@.type==\"RetainedAfterClusterDeletion\")].reason"));
    String set = status("lost", "default", "backupId");
    assertFalse(set.isEmpty(), "lost recorded its backupId");

    HttpResponse<String> deleted = stack.emulatorDelete("/_emulator/clusters?dbClusterId=pc-gone");
    assertEquals(200, deleted.statusCode(), deleted.body());
    assertTrue(deleted.body().contains(set), "the emulator deleted the set: " + deleted.body());

    admin.ok(
        "wait",
        "--for=condition=BackupAvailable=false",
        "pdbb/lost",
        "-n",
        "default",
        "--timeout=30s");
    assertEquals("Succeeded", status("lost", "default", "phase"), "the phase never goes back");
    assertEquals("BackupGone", status("lost", "default", "reason"));
    assertEquals(
        "False",
        admin.field("pdbb", "lost", "default", ".status.conditions[?(@.type==\"Ready\")].status"));
    // A Warning is written before the operator goes on: no wait.
    String events =
        admin.ok(
            "get",
            "events",
            "-n",
            "default",
            "--field-selector",
            "involvedObject.name=lost,reason=BackupGone",
            "-o",
            "jsonpath={.items[*].type}");
    assertEquals("Warning", events.trim());
  }

  @Test
  @Order(13)
  void aRestoreMakesOneClusterThroughTheShippedRbacAndDeleteRemovesIt() throws Exception {
    admin.apply(LocalStack.backup("restore-src", "pc-demo2", "Retain")).orFail("apply backup");
    admin.ok("wait", "--for=condition=Ready", "pdbb/restore-src", "-n", "default", "--timeout=90s");
    String set = status("restore-src", "default", "backupId");
    admin
        .apply(
            """
            apiVersion: polardbbackup.dev/v1alpha1
            kind: PolarDBRestore
            metadata: {name: restore-e2e, namespace: default}
            spec:
              regionId: cn-hangzhou
              source: {backupRef: {name: restore-src}}
              target:
                newCluster: {dbNodeClass: polar.mysql.x4.medium, zoneId: cn-hangzhou-h,
                             vpcId: vpc-demo2, vSwitchId: vsw-demo2}
              deletionPolicy: Delete
            """)
        .orFail("apply restore");

    admin.ok("wait", "--for=condition=Ready", "pdbr/restore-e2e", "-n", "default", "--timeout=90s");
    String clone = admin.field("pdbr", "restore-e2e", "default", ".status.dbClusterId");
    String uid = admin.field("pdbr", "restore-e2e", "default", ".metadata.uid");
    assertEquals("Succeeded", admin.field("pdbr", "restore-e2e", "default", ".status.phase"));
    JsonNode clusters = stack.ledger().path("clusters");
    int made = 0;
    for (JsonNode c : clusters) {
      if (c.path("clientToken").asText().startsWith(uid)) {
        made++;
        assertEquals(clone, c.path("dbClusterId").asText());
        assertEquals(set, c.path("cloneDataPoint").asText());
      }
    }
    assertEquals(1, made, "one cluster for the restore: " + clusters);
    String printed = admin.ok("get", "pdbr", "-n", "default");
    assertTrue(printed.contains(clone) && printed.contains("Succeeded"), printed);

    admin.ok("delete", "pdbr", "restore-e2e", "-n", "default", "--timeout=60s");
    boolean deleted = false;
    for (JsonNode c : stack.ledger().path("clusters")) {
      if (c.path("dbClusterId").asText().equals(clone)) {
        deleted = c.path("deleted").asBoolean();
      }
    }
    assertTrue(deleted, "deletionPolicy Delete deleted cluster " + clone);
  }

  /** The clusters the emulator made from pc-drill: id to whether it was deleted since. */
  private Map<String, Boolean> drillClones() throws Exception {
    Map<String, Boolean> clones = new java.util.TreeMap<>();
    for (JsonNode c : stack.ledger().path("clusters")) {
      if ("pc-drill".equals(c.path("source").asText())) {
        clones.put(c.path("dbClusterId").asText(), c.path("deleted").asBoolean());
      }
    }
    return clones;
  }

  @Test
  @Order(14)
  void aRestoreDrillMakesOneCloneChecksItDeletesItAndADeletedScheduleTakesItsCloneAlong()
      throws Exception {
    admin.apply(LocalStack.drillSchedule("drilled", "pc-drill")).orFail("apply drilled schedule");
    stack.awaitTrue(
        "the drill's verdict",
        Duration.ofSeconds(120),
        () ->
            !admin
                .field("pdbbs", "drilled", "default", ".status.lastVerifiedRestore.outcome")
                .isBlank());
    assertEquals(
        "Succeeded",
        admin.field("pdbbs", "drilled", "default", ".status.lastVerifiedRestore.outcome"),
        admin.field("pdbbs", "drilled", "default", ".status.lastVerifiedRestore.message"));
    String backupId =
        admin.field("pdbbs", "drilled", "default", ".status.lastSuccessfulBackup.backupId");
    assertEquals(
        backupId,
        admin.field("pdbbs", "drilled", "default", ".status.lastVerifiedRestore.backupId"));
    Map<String, Boolean> clones = drillClones();
    assertEquals(1, clones.size(), "one drill clone: " + clones);
    assertTrue(clones.values().iterator().next(), "the drill deleted its clone: " + clones);
    assertTrue(
        admin
            .ok("get", "pdbr", "-n", "default", "-l", "polardbbackup.dev/drill", "-o", "name")
            .isBlank(),
        "no drill restore is left");
    admin.ok("delete", "pdbbs", "drilled", "-n", "default");

    // A schedule deleted while its drill runs: garbage collection deletes the drill's restore,
    // whose finalizer deletes the clone.
    admin.apply(LocalStack.drillSchedule("dropped", "pc-drill")).orFail("apply dropped schedule");
    stack.awaitTrue(
        "the second drill's clone being made",
        Duration.ofSeconds(90),
        () ->
            !admin
                .ok(
                    "get",
                    "pdbr",
                    "-n",
                    "default",
                    "-l",
                    "polardbbackup.dev/drill",
                    "-o",
                    "jsonpath={.items[*].status.dbClusterId}")
                .isBlank());
    admin.ok("delete", "pdbbs", "dropped", "-n", "default");
    stack.awaitTrue(
        "every drill clone deleted",
        Duration.ofSeconds(90),
        () -> {
          try {
            Map<String, Boolean> now = drillClones();
            return now.size() == 2 && !now.containsValue(false);
          } catch (Exception e) {
            return false;
          }
        });
    stack.awaitTrue(
        "the drill restore gone",
        Duration.ofSeconds(60),
        () ->
            admin
                .ok("get", "pdbr", "-n", "default", "-l", "polardbbackup.dev/drill", "-o", "name")
                .isBlank());
  }

  /** Last: every operator process, Event and resource of the run, searched for secret values. */
  @Test
  @Order(99)
  void noSecretValueInAnyOperatorLogEventOrResource() throws Exception {
    stack.assertNoSecretLeaked();
  }

  /** The reasons of the Events about {@code name} in namespace default. */
  private String eventReasons(String name) {
    return admin.ok(
        "get",
        "events",
        "-n",
        "default",
        "--field-selector",
        "involvedObject.name=" + name,
        "-o",
        "jsonpath={.items[*].reason}");
  }
}
