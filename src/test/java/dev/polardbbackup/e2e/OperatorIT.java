package dev.polardbbackup.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
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
  private static final String OPERATOR_NS = "polardb-backup-system";
  private static final String SA = "polardb-backup-operator";
  private static final String KEY_ID = "LTAI5tEmulatorDemoKey";
  private static final String KEY_SECRET = "emulator-demo-secret";

  private final Path repo = Path.of("").toAbsolutePath();
  private final String controlPlane =
      System.getenv().getOrDefault("CONTROL_PLANE_SCRIPT", "scripts/control-plane.sh");
  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();
  private final Instant began = Instant.now();
  private Path dir;
  private Kubectl admin;
  private Path operatorKubeconfig;
  private JavaProcess emulator;
  private URI emulatorUrl;
  private final Map<String, JavaProcess> operators = new HashMap<>();
  private final Map<String, Integer> operatorPorts = new HashMap<>();
  private long peakRssKiB;

  @BeforeAll
  void controlPlaneEmulatorAndOperator() throws Exception {
    dir = Files.createTempDirectory("polardb-e2e");
    Cmd.run(Map.of(), repo, 1800, null, List.of(controlPlane, "up", dir.toString()))
        .orFail("scripts/control-plane.sh up");
    admin = new Kubectl(dir.resolve("kubeconfig"), repo);

    // This API server is 1.20: it predates CEL (x-kubernetes-validations, Kubernetes 1.25+).
    // kubectl's client-side validation refuses the unknown field, and server-side apply's typed
    // patch does too; a plain apply without client validation stores the CRD (the field dropped).
    // The rest of the CRD is proven server-side-apply clean with the CEL block stripped.
    String crd = Files.readString(repo.resolve("crds/polardbbackups.polardbbackup.dev-v1.yml"));
    String withoutCel =
        crd.replaceAll("(?m)^( +)x-kubernetes-validations:\\n(\\1- .*\\n|\\1  .*\\n)*", "");
    assertTrue(
        !withoutCel.contains("x-kubernetes-validations") && withoutCel.length() < crd.length());
    Cmd.run(
            Map.of("KUBECONFIG", dir.resolve("kubeconfig").toString()),
            repo,
            60,
            withoutCel,
            List.of("kubectl", "apply", "--server-side", "--dry-run=server", "-f", "-"))
        .orFail("server-side apply of the CRD");
    admin.ok("apply", "--validate=false", "-f", "crds/polardbbackups.polardbbackup.dev-v1.yml");
    admin.ok(
        "wait",
        "--for=condition=Established",
        "crd/polardbbackups.polardbbackup.dev",
        "--timeout=60s");
    admin.ok("apply", "-k", "deploy/base");
    operatorKubeconfig = serviceAccountKubeconfig();

    emulator =
        JavaProcess.start(
            "emulator",
            repo,
            dir,
            Map.of(),
            "emulator",
            "--port",
            "0",
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
            "pc-e2efail");
    emulatorUrl =
        URI.create(
            emulator.await(Pattern.compile("listening on (http://\\S+)"), Duration.ofSeconds(30)));
    startOperator("op-a");
  }

  /** A kubeconfig for the shipped ServiceAccount, with a token from the TokenRequest API. */
  private Path serviceAccountKubeconfig() throws IOException {
    String token = admin.ok("create", "token", SA, "-n", OPERATOR_NS, "--duration=2h").trim();
    String server =
        admin
            .ok("config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}")
            .trim();
    Path file = dir.resolve("operator-kubeconfig");
    Files.writeString(
        file,
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: e2e
          cluster:
            server: %s
            certificate-authority: %s
        users:
        - name: operator
          user:
            token: %s
        contexts:
        - name: operator
          context: {cluster: e2e, user: operator}
        current-context: operator
        """
            .formatted(server, dir.resolve("ca.crt"), token));
    return file;
  }

  private void startOperator(String name) throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Map<String, String> env =
        Map.of(
            "KUBECONFIG", operatorKubeconfig.toString(),
            "ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET", KEY_SECRET,
            "POD_NAME", name);
    JavaProcess op =
        JavaProcess.start(
            name,
            repo,
            dir,
            env,
            "run",
            "--polardb-endpoint",
            emulatorUrl.toString(),
            "--http-port",
            Integer.toString(port),
            "--http-bind",
            "127.0.0.1",
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
            "--leader-election",
            "--lease-namespace",
            OPERATOR_NS,
            "--lease-duration",
            "6s",
            "--renew-deadline",
            "4s",
            "--retry-period",
            "1s");
    operators.put(name, op);
    operatorPorts.put(name, port);
    awaitTrue(
        "operator " + name + " ready",
        Duration.ofSeconds(60),
        () -> get(name, "/readyz").statusCode() == 200);
  }

  @AfterAll
  void stopEverything() throws Exception {
    System.out.printf(
        "e2e: wall time %ds, operator peak RSS %d MiB%n",
        Duration.between(began, Instant.now()).toSeconds(), peakRssKiB / 1024);
    for (JavaProcess op : operators.values()) {
      op.close();
    }
    if (emulator != null) {
      emulator.close();
    }
    if (dir != null) {
      Cmd.run(Map.of(), repo, 120, null, List.of(controlPlane, "down", dir.toString()));
    }
  }

  // ---- helpers ----

  private HttpResponse<String> get(String operator, String path) {
    try {
      return http.send(
          HttpRequest.newBuilder(
                  URI.create("http://127.0.0.1:" + operatorPorts.get(operator) + path))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      return new FailedResponse();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private JsonNode ledger() throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(emulatorUrl.resolve("/_emulator/ledger")).build(),
            HttpResponse.BodyHandlers.ofString());
    return json.readTree(r.body());
  }

  private void awaitTrue(String what, Duration timeout, BooleanSupplier condition)
      throws InterruptedException {
    Instant end = Instant.now().plus(timeout);
    while (Instant.now().isBefore(end)) {
      if (condition.getAsBoolean()) {
        return;
      }
      Thread.sleep(250);
    }
    StringBuilder logs = new StringBuilder();
    operators.forEach(
        (n, p) -> logs.append("\n--- ").append(n).append(" ---\n").append(tail(p.output())));
    throw new AssertionError("timed out waiting for " + what + logs);
  }

  private static String tail(String text) {
    return text.length() > 6000 ? text.substring(text.length() - 6000) : text;
  }

  private String status(String name, String namespace, String field) {
    return admin.field("pdbb", name, namespace, ".status." + field);
  }

  private void recordRss() {
    operators.values().forEach(op -> peakRssKiB = Math.max(peakRssKiB, op.rssKiB()));
  }

  private static String backup(String name, String cluster, String policy) {
    return """
        apiVersion: polardbbackup.dev/v1alpha1
        kind: PolarDBBackup
        metadata: {name: %s, namespace: default}
        spec: {dbClusterId: %s, regionId: cn-hangzhou, deletionPolicy: %s}
        """
        .formatted(name, cluster, policy);
  }

  // ---- tests ----

  @Test
  @Order(1)
  void invalidManifestsAreRejectedByTheApiServer() {
    Map<String, String> bad =
        Map.of(
            "malformed cluster id", "spec: {dbClusterId: 'db-123', regionId: cn-hangzhou}",
            "missing cluster id", "spec: {regionId: cn-hangzhou}",
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
          Cmd.Result r =
              Cmd.run(
                  Map.of("KUBECONFIG", dir.resolve("kubeconfig").toString()),
                  repo,
                  60,
                  manifest,
                  List.of("kubectl", "apply", "--validate=false", "-f", "-"));
          assertNotEquals(0, r.exit(), what + " was accepted");
          assertTrue(
              r.err().contains("is invalid") && r.err().contains("spec."), what + ": " + r.err());
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
    String events =
        admin.ok(
            "get",
            "events",
            "-n",
            "default",
            "--field-selector",
            "involvedObject.name=orders-before-migration",
            "-o",
            "jsonpath={.items[*].reason}");
    assertTrue(events.contains("BackupSucceeded"), events);
    String printed = admin.ok("get", "pdbb", "-n", "default");
    assertTrue(printed.contains("Succeeded") && printed.contains("pc-demo1"), printed);
    recordRss();
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

    JsonNode backups = ledger().path("backups");
    for (JsonNode b : backups) {
      if (b.path("backupId").asText().equals(retained)) {
        assertTrue(!b.path("deleted").asBoolean(), "Retain kept the cloud backup");
      }
      if (b.path("backupId").asText().equals(deleted)) {
        assertTrue(b.path("deleted").asBoolean(), "Delete removed the cloud backup");
      }
    }
  }

  @Test
  @Order(4)
  void quotaExhaustionWaitsAndSlotReleaseLetsItRun() throws Exception {
    for (String name : List.of("q1", "q2", "q3")) {
      admin.apply(backup(name, "pc-demo3", "Delete")).orFail("apply " + name);
    }
    for (String name : List.of("q1", "q2", "q3")) {
      admin.ok("wait", "--for=condition=Ready", "pdbb/" + name, "-n", "default", "--timeout=90s");
    }
    admin.apply(backup("q4", "pc-demo3", "Retain")).orFail("apply q4");
    awaitTrue(
        "q4 waiting for quota",
        Duration.ofSeconds(60),
        () -> "WaitingForQuota".equals(status("q4", "default", "phase")));
    assertTrue(status("q4", "default", "message").contains(status("q1", "default", "backupId")));

    admin.ok("delete", "pdbb", "q1", "-n", "default", "--timeout=60s");

    admin.ok("wait", "--for=condition=Ready", "pdbb/q4", "-n", "default", "--timeout=90s");
    recordRss();
  }

  @Test
  @Order(5)
  void serviceFailureIsTerminalAndVisible() throws Exception {
    http.send(
        HttpRequest.newBuilder(emulatorUrl.resolve("/_emulator/backup-outcome"))
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    "{\"dbClusterId\":\"pc-e2efail\",\"fail\":true,\"reason\":\"disk\"}"))
            .build(),
        HttpResponse.BodyHandlers.ofString());
    admin.apply(backup("doomed", "pc-e2efail", "Retain")).orFail("apply doomed");

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
    assertEquals(200, get("op-a", "/healthz").statusCode());
    assertEquals(200, get("op-a", "/readyz").statusCode());
    String metrics = get("op-a", "/metrics").body();
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

  @Test
  @Order(7)
  void secondReplicaTakesOverAfterTheLeaderIsKilledMidBackup() throws Exception {
    startOperator("op-b");
    http.send(
        HttpRequest.newBuilder(emulatorUrl.resolve("/_emulator/backup-duration"))
            .POST(HttpRequest.BodyPublishers.ofString("{\"durationMs\":10000}"))
            .build(),
        HttpResponse.BodyHandlers.ofString());
    String holder =
        admin.field("lease", "polardb-backup-operator", OPERATOR_NS, ".spec.holderIdentity");
    String leader = holder.startsWith("op-b") ? "op-b" : "op-a";
    String standby = leader.equals("op-a") ? "op-b" : "op-a";
    assertTrue(holder.startsWith(leader), holder);

    admin.apply(backup("failover", "pc-demo2", "Retain")).orFail("apply failover");
    awaitTrue(
        "failover Running",
        Duration.ofSeconds(60),
        () -> "Running".equals(status("failover", "default", "phase")));
    String uid = admin.field("pdbb", "failover", "default", ".metadata.uid");
    recordRss();
    operators.get(leader).kill();

    admin.ok("wait", "--for=condition=Ready", "pdbb/failover", "-n", "default", "--timeout=120s");

    assertTrue(
        operators.get(standby).output().contains("became leader"), "the standby took the lease");
    JsonNode tokens = ledger().path("backupsByClientToken");
    long mine = 0;
    for (var it = tokens.fields(); it.hasNext(); ) {
      var e = it.next();
      if (e.getKey().startsWith(uid)) {
        mine += e.getValue().asLong();
      }
    }
    assertEquals(1, mine, "exactly one backup for the resource across the failover");
  }
}
