package dev.polardbbackup.e2e;

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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;

/**
 * A real kube-apiserver (RBAC on) with the CRD and the deploy/ RBAC applied exactly as shipped, the
 * standalone emulator, and operator replicas as separate processes authenticated as the shipped
 * ServiceAccount.
 */
final class LocalStack implements AutoCloseable {
  static final String OPERATOR_NS = "polardb-backup-system";
  static final String SA = "polardb-backup-operator";
  static final String KEY_ID = "LTAI5tEmulatorDemoKey";
  static final String KEY_SECRET = "emulator-demo-secret";

  final Path repo = Path.of("").toAbsolutePath();
  final Path dir;
  final Kubectl admin;
  private final String controlPlane =
      System.getenv().getOrDefault("CONTROL_PLANE_SCRIPT", "scripts/control-plane.sh");
  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();
  private final Path operatorKubeconfig;
  private final List<String> operatorArgs;
  private JavaProcess emulator;
  URI emulatorUrl;
  final Map<String, JavaProcess> operators = new HashMap<>();

  /** Every operator process ever started, restarts included: whose logs a leak check reads. */
  private final List<JavaProcess> everyOperator = new ArrayList<>();

  /**
   * Every ServiceAccount token this stack minted (the operators' first), for the leak check: none
   * may show up in a log, an Event or a resource.
   */
  private final List<String> serviceAccountTokens = new ArrayList<>();

  private final Map<String, Integer> operatorPorts = new HashMap<>();
  // Options of one replica only (a shard's), kept for its restarts.
  private final Map<String, List<String>> ownArgs = new HashMap<>();
  // Every start gets its own POD_NAME, so a Lease still held by a killed process is never taken
  // for the fresh replica of the same name (identities are POD_NAME plus a random suffix).
  private final Map<String, String> podNames = new HashMap<>();
  private int starts;
  private long peakRssKiB;

  /**
   * @param emulatorArgs options for the {@code emulator} command
   * @param operatorArgs options for every {@code run}, after the wiring ones
   */
  LocalStack(List<String> emulatorArgs, List<String> operatorArgs) throws Exception {
    this.operatorArgs = operatorArgs;
    dir = Files.createTempDirectory("polardb-e2e");
    Cmd.run(Map.of(), repo, 1800, null, List.of(controlPlane, "up", dir.toString()))
        .orFail("scripts/control-plane.sh up");
    admin = new Kubectl(dir.resolve("kubeconfig"), repo);
    applyCrds();
    admin.ok("apply", "-k", "deploy/base");
    operatorKubeconfig = serviceAccountKubeconfig(SA, OPERATOR_NS);

    List<String> args = new ArrayList<>(List.of("emulator", "--port", "0"));
    args.addAll(emulatorArgs);
    emulator = JavaProcess.start("emulator", repo, dir, Map.of(), args.toArray(String[]::new));
    emulatorUrl =
        URI.create(
            emulator.await(Pattern.compile("listening on (http://\\S+)"), Duration.ofSeconds(30)));
  }

  /**
   * Every CRD under crds/ (as many as the tree has: a new resource is picked up by its file alone).
   * This API server is 1.20: it predates CEL (x-kubernetes-validations, Kubernetes 1.25+).
   * kubectl's client-side validation refuses the unknown field, and server-side apply's typed patch
   * does too; a plain apply without client validation stores the CRD (the field dropped). The rest
   * of the CRD is proven server-side-apply clean with the CEL block stripped.
   */
  private void applyCrds() throws IOException {
    List<Path> files;
    try (var listing = Files.list(repo.resolve("crds"))) {
      files =
          listing.filter(f -> f.toString().endsWith(".polardbbackup.dev-v1.yml")).sorted().toList();
    }
    assertTrue(files.size() >= 5, "crds/ holds the CRDs: " + files);
    for (Path path : files) {
      String file = repo.relativize(path).toString();
      String plural = path.getFileName().toString().replace(".polardbbackup.dev-v1.yml", "");
      String crd = Files.readString(path);
      String withoutCel =
          crd.replaceAll("(?m)^( +)x-kubernetes-validations:\\n(\\1- .*\\n|\\1  .*\\n)*", "");
      assertTrue(!withoutCel.contains("x-kubernetes-validations"));
      Cmd.run(
              Map.of("KUBECONFIG", dir.resolve("kubeconfig").toString()),
              repo,
              60,
              withoutCel,
              List.of("kubectl", "apply", "--server-side", "--dry-run=server", "-f", "-"))
          .orFail("server-side apply of " + file);
      admin.ok("apply", "--validate=false", "-f", file);
      admin.ok(
          "wait",
          "--for=condition=Established",
          "crd/" + plural + ".polardbbackup.dev",
          "--timeout=60s");
    }
  }

  /**
   * A kubeconfig that logs in as a ServiceAccount (which must exist), with a token from the
   * TokenRequest API, in DIR/NAMESPACE-NAME-kubeconfig.
   */
  Path serviceAccountKubeconfig(String name, String namespace) throws IOException {
    String token = admin.ok("create", "token", name, "-n", namespace, "--duration=2h").trim();
    serviceAccountTokens.add(token);
    String server =
        admin
            .ok("config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}")
            .trim();
    Path file = dir.resolve(namespace + "-" + name + "-kubeconfig");
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
        - name: %s
          user:
            token: %s
        contexts:
        - name: %s
          context: {cluster: e2e, user: %s, namespace: %s}
        current-context: %s
        """
            .formatted(server, dir.resolve("ca.crt"), name, token, name, name, namespace, name));
    return file;
  }

  /** kubectl as a ServiceAccount: see {@link #serviceAccountKubeconfig}. */
  Kubectl kubectlAs(String serviceAccount, String namespace) throws IOException {
    return new Kubectl(serviceAccountKubeconfig(serviceAccount, namespace), repo);
  }

  /** Starts (or restarts) an operator replica with leader election, and waits until ready. */
  void startOperator(String name) throws Exception {
    startOperator(name, operatorKubeconfig, OPERATOR_NS);
  }

  /** As {@link #startOperator(String)}, with options of this replica's own (for good). */
  void startOperator(String name, List<String> extraArgs) throws Exception {
    ownArgs.put(name, List.copyOf(extraArgs));
    startOperator(name);
  }

  /**
   * As {@link #startOperator(String)}, logged in with another kubeconfig (another ServiceAccount's,
   * say a Helm release's) and holding its Lease in that ServiceAccount's namespace.
   */
  void startOperator(String name, Path kubeconfig, String namespace) throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    String podName = name + "-start" + (++starts);
    Map<String, String> env =
        Map.of(
            "KUBECONFIG", kubeconfig.toString(),
            "ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET", KEY_SECRET,
            "POD_NAME", podName);
    List<String> args =
        new ArrayList<>(
            List.of(
                "run",
                "--polardb-endpoint",
                emulatorUrl.toString(),
                "--http-port",
                Integer.toString(port),
                "--http-bind",
                "127.0.0.1",
                "--leader-election",
                "--lease-namespace",
                namespace));
    args.addAll(operatorArgs);
    args.addAll(ownArgs.getOrDefault(name, List.of()));
    JavaProcess previous = operators.get(name);
    String logName = previous == null ? name : name + "-" + System.nanoTime();
    JavaProcess op =
        image == null
            ? JavaProcess.start(logName, repo, dir, env, args.toArray(String[]::new))
            : JavaProcess.startCommand(logName, repo, dir, image.command(env, args));
    operators.put(name, op);
    everyOperator.add(op);
    operatorPorts.put(name, port);
    podNames.put(name, podName);
    awaitTrue(
        "operator " + name + " ready",
        Duration.ofSeconds(60),
        () -> get(name, "/readyz").statusCode() == 200);
  }

  /**
   * The container image's root filesystem, unpacked in ROOT by {@code scripts/image.sh rootfs
   * ROOT}, and the command that script printed to run its entrypoint as the image's user in a
   * chroot. The stack's kubeconfigs name files in {@link #dir} by absolute path, so the files the
   * operator reads are copied to the same path inside ROOT.
   */
  record Image(Path root, List<String> command) {
    List<String> command(Map<String, String> env, List<String> args) {
      // `env -i IMAGE_ENV... unshare ... chroot ... java -jar JAR`: the stack's variables go
      // beside the image's, with the Deployment's JVM options.
      List<String> full = new ArrayList<>(command.subList(0, 2));
      env.forEach((k, v) -> full.add(k + "=" + v));
      full.add(
          "JAVA_TOOL_OPTIONS=-XX:MaxRAMPercentage=31 -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -XX:+ExitOnOutOfMemoryError");
      full.addAll(command.subList(2, command.size()));
      full.addAll(args);
      return full;
    }
  }

  private Image image;

  /** Operators started from now on run from the image (see {@link Image}). */
  void useImage(Image image) throws IOException {
    Path inside = image.root().resolve(dir.toString().substring(1));
    Files.createDirectories(inside);
    for (Path f : List.of(dir.resolve("ca.crt"), operatorKubeconfig)) {
      Files.copy(f, inside.resolve(f.getFileName()));
      Cmd.run(
              Map.of(),
              repo,
              30,
              null,
              List.of("chown", "65532:65532", inside.resolve(f.getFileName()).toString()))
          .orFail("chown");
    }
    this.image = image;
  }

  /** The live replica holding the Lease, or empty when none does. */
  String leader() {
    String holder =
        admin.field("lease", "polardb-backup-operator", OPERATOR_NS, ".spec.holderIdentity");
    return operators.keySet().stream()
        .filter(n -> holder.startsWith(podNames.get(n) + "-") && operators.get(n).isAlive())
        .findFirst()
        .orElse("");
  }

  /** Waits until a live replica holds the Lease, and names it. */
  String awaitLeader(Duration timeout) throws InterruptedException {
    String[] found = {""};
    awaitTrue(
        "a live replica holding the Lease",
        timeout,
        () -> {
          found[0] = leader();
          return !found[0].isEmpty();
        });
    return found[0];
  }

  /** Starts again every replica that has exited (a lost lease ends the process); how many. */
  int restartExited() throws Exception {
    int restarted = 0;
    for (String name : List.copyOf(operators.keySet())) {
      if (!operators.get(name).isAlive()) {
        System.out.println("e2e: " + name + " had exited; starting it again");
        startOperator(name);
        restarted++;
      }
    }
    return restarted;
  }

  /**
   * Stops kube-apiserver as the control-plane script does (SIGTERM; SIGKILL after 5 s, as
   * kube-controller-manager's open watches would hold it for its 60 s request timeout) and leaves
   * it down; etcd and kube-controller-manager keep running. {@link #restartApiServer()} brings it
   * back with the same flags, port and data.
   */
  void stopApiServer() throws Exception {
    long pid = Long.parseLong(controlPlaneEnv().get("APISERVER_PID"));
    ProcessHandle server =
        ProcessHandle.of(pid)
            .orElseThrow(() -> new AssertionError("kube-apiserver is not running"));
    // Ours only: its command line names this stack's directory.
    assertTrue(
        server.info().commandLine().orElse("").contains(dir + "/"),
        "pid " + pid + " is this stack's kube-apiserver");
    server.destroy();
    try {
      server.onExit().get(5, java.util.concurrent.TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      server.destroyForcibly();
      server.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
    }
  }

  private Map<String, String> controlPlaneEnv() throws IOException {
    Map<String, String> env = new HashMap<>();
    for (String line : Files.readAllLines(dir.resolve("env"))) {
      int eq = line.indexOf('=');
      if (!line.startsWith("#") && eq > 0) {
        env.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    return env;
  }

  /**
   * No secret any test handed the operators (the AccessKey secret, which the shipped example's
   * Secret holds too, and the ServiceAccount and admin tokens), neither as is nor base64-encoded,
   * is in the output of any operator process this stack ever started, in any Event or in any of our
   * resources (status included). The stack has no STS or OIDC token: the operators run on an
   * AccessKey.
   */
  void assertNoSecretLeaked() throws IOException {
    List<String> secrets = new ArrayList<>();
    List<String> values = new ArrayList<>(serviceAccountTokens);
    values.add(KEY_SECRET);
    values.add(controlPlaneEnv().get("ADMIN_TOKEN"));
    for (String secret : values) {
      secrets.add(secret);
      secrets.add(
          java.util.Base64.getEncoder()
              .encodeToString(secret.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }
    Map<String, String> places = new java.util.LinkedHashMap<>();
    for (JavaProcess op : everyOperator) {
      String output = op.output();
      // A log that is empty or was never written would pass any search: it must have content.
      assertTrue(output.contains("operator started"), op.log + " holds the operator's log");
      places.put(op.log.toString(), output);
    }
    // Every Event of every kind, PolarDBRestores' included (their messages name clusters, tags and
    // RequestIds, never credentials).
    places.put("Events", admin.ok("get", "events", "-A", "-o", "json"));
    places.put("PolarDBBackups", admin.ok("get", "pdbb", "-A", "-o", "json"));
    places.put("PolarDBBackupSchedules", admin.ok("get", "pdbbs", "-A", "-o", "json"));
    places.put("PolarDBRestores", admin.ok("get", "pdbr", "-A", "-o", "json"));
    List<String> leaks = new ArrayList<>();
    places.forEach(
        (where, text) -> {
          for (String secret : secrets) {
            if (text.contains(secret)) {
              int at = text.indexOf(secret);
              int lineStart = text.lastIndexOf('\n', at) + 1;
              int lineEnd = text.indexOf('\n', at);
              leaks.add(
                  where
                      + ": "
                      + text.substring(lineStart, lineEnd < 0 ? text.length() : lineEnd)
                          .replace(secret, "<secret>"));
            }
          }
        });
    System.out.printf(
        "e2e: searched %d operator logs, Events and resources for %d secret values%n",
        everyOperator.size(), secrets.size());
    assertTrue(leaks.isEmpty(), "secret values leaked:\n" + String.join("\n", leaks));
  }

  HttpResponse<String> get(String operator, String path) {
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

  /** POSTs JSON to an emulator admin endpoint; the reply. */
  HttpResponse<String> emulatorAdmin(String path, String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(emulatorUrl.resolve(path))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** DELETEs an emulator admin path (with its query); the reply. */
  HttpResponse<String> emulatorDelete(String pathAndQuery) throws Exception {
    return http.send(
        HttpRequest.newBuilder(emulatorUrl.resolve(pathAndQuery)).DELETE().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  JsonNode ledger() throws Exception {
    return ledger("/_emulator/ledger");
  }

  /** The ledger with every call listed under {@code calls} (action, dbClusterId, code, ...). */
  JsonNode ledgerWithCalls() throws Exception {
    return ledger("/_emulator/ledger?calls=true");
  }

  private JsonNode ledger(String path) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(emulatorUrl.resolve(path)).build(),
            HttpResponse.BodyHandlers.ofString());
    return json.readTree(r.body());
  }

  /** The ledger's entry for one backup set, or a missing node when it holds none. */
  JsonNode cloudBackup(String backupId) throws Exception {
    for (JsonNode b : ledger().path("backups")) {
      if (b.path("backupId").asText().equals(backupId)) {
        return b;
      }
    }
    return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
  }

  /** How many calls of an action (any outcome) named the cluster, so far. */
  long callsTo(String action, String dbClusterId) throws Exception {
    long n = 0;
    for (JsonNode c : ledgerWithCalls().path("calls")) {
      if (c.path("action").asText().equals(action)
          && c.path("dbClusterId").asText().equals(dbClusterId)) {
        n++;
      }
    }
    return n;
  }

  /** Backups the emulator made for a resource: every ClientToken that starts with its UID. */
  long backupsFor(String uid) throws Exception {
    long count = 0;
    for (var it = ledger().path("backupsByClientToken").fields(); it.hasNext(); ) {
      var e = it.next();
      if (e.getKey().startsWith(uid)) {
        count += e.getValue().asLong();
      }
    }
    return count;
  }

  void awaitTrue(String what, Duration timeout, BooleanSupplier condition)
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

  String status(String name, String namespace, String field) {
    return admin.field("pdbb", name, namespace, ".status." + field);
  }

  void recordRss() {
    operators.values().forEach(op -> peakRssKiB = Math.max(peakRssKiB, op.rssKiB()));
  }

  long peakRssKiB() {
    return peakRssKiB;
  }

  void restartApiServer() {
    Cmd.run(Map.of(), repo, 300, null, List.of(controlPlane, "restart-apiserver", dir.toString()))
        .orFail("restart-apiserver");
  }

  /**
   * Lets namespace default use the operator's identity for Backup, Adopt and Delete on the clusters
   * matching {@code clusterPatterns} in cn-hangzhou, as a cluster admin would for a team.
   */
  void grantDefaultNamespace(String name, String... clusterPatterns) {
    grantDefaultNamespace(name, List.of("Backup", "Adopt", "Delete"), clusterPatterns);
  }

  /** As {@link #grantDefaultNamespace(String, String...)}, with these actions (e.g. Restore). */
  void grantDefaultNamespace(String name, List<String> actions, String... clusterPatterns) {
    StringBuilder clusters = new StringBuilder();
    for (String pattern : clusterPatterns) {
      clusters
          .append("    - {regionId: cn-hangzhou, dbClusterId: \"")
          .append(pattern)
          .append("\"}\n");
    }
    admin
        .apply(
            """
            apiVersion: polardbbackup.dev/v1alpha1
            kind: PolarDBAccessGrant
            metadata: {name: %s}
            spec:
              namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: default}}
              actions: [%s]
              clusters:
            %s"""
                .formatted(name, String.join(", ", actions), clusters))
        .orFail("apply grant " + name);
  }

  static String backup(String name, String cluster, String policy) {
    return backup(name, "default", cluster, policy, "");
  }

  /**
   * A PolarDBBackup manifest; {@code extraSpec} is more of its spec in YAML flow style (for example
   * {@code "credentialsSecretRef: {name: x}"}), or empty.
   */
  static String backup(
      String name, String namespace, String cluster, String policy, String extraSpec) {
    return """
        apiVersion: polardbbackup.dev/v1alpha1
        kind: PolarDBBackup
        metadata: {name: %s, namespace: %s}
        spec: {dbClusterId: %s, regionId: cn-hangzhou, deletionPolicy: %s%s}
        """
        .formatted(name, namespace, cluster, policy, extraSpec.isEmpty() ? "" : ", " + extraSpec);
  }

  /**
   * A PolarDBBackupSchedule in namespace default that makes one Retain backup of {@code cluster} at
   * once (and then once a year) with a weekly restore drill, the first as soon as that backup has
   * succeeded.
   */
  static String drillSchedule(String name, String cluster) {
    return """
        apiVersion: polardbbackup.dev/v1alpha1
        kind: PolarDBBackupSchedule
        metadata: {name: %s, namespace: default}
        spec:
          schedule: "0 0 1 1 *"
          runImmediately: true
          template: {dbClusterId: %s, regionId: cn-hangzhou, deletionPolicy: Retain}
          verify:
            every: 7d
            newCluster: {dbNodeClass: polar.mysql.x4.medium, zoneId: cn-hangzhou-h,
                         vpcId: vpc-drill, vSwitchId: vsw-drill}
        """
        .formatted(name, cluster);
  }

  /** A Secret with the emulator's demo AccessKey, in the shape credentialsSecretRef reads. */
  static String credentialsSecret(String name, String namespace) {
    return """
        apiVersion: v1
        kind: Secret
        metadata: {name: %s, namespace: %s}
        type: Opaque
        stringData: {accessKeyId: %s, accessKeySecret: %s}
        """
        .formatted(name, namespace, KEY_ID, KEY_SECRET);
  }

  @Override
  public void close() throws Exception {
    for (JavaProcess op : operators.values()) {
      op.close();
    }
    if (emulator != null) {
      emulator.close();
    }
    Cmd.run(Map.of(), repo, 120, null, List.of(controlPlane, "down", dir.toString()));
    keepLogsAndRemove(dir);
  }

  /**
   * Moves the logs to target/e2e-logs (read them after a failed run) and removes the rest of the
   * stack's folder: etcd's data alone is tens of megabytes a run.
   */
  private void keepLogsAndRemove(Path stackDir) throws IOException {
    Path logs = repo.resolve("target/e2e-logs").resolve(stackDir.getFileName());
    Files.createDirectories(logs);
    try (var files = Files.list(stackDir)) {
      for (Path f : files.filter(f -> f.toString().endsWith(".log")).toList()) {
        Files.copy(f, logs.resolve(f.getFileName()));
      }
    }
    try (var all = Files.walk(stackDir)) {
      for (Path f : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(f);
      }
    }
  }
}
