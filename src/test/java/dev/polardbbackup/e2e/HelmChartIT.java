package dev.polardbbackup.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.Release;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
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
 * The Helm chart against the real kube-apiserver: what it renders passes the API server's own
 * validation (kubectl apply --dry-run=server), and `helm install` (Helm's own code, through
 * helm-java) sets up RBAC that an operator running as the chart's ServiceAccount takes a backup to
 * Succeeded with. The release lives beside deploy/base (which LocalStack applies), under other
 * names, in namespace pbo-helm.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HelmChartIT {
  private static final Path CHART = Path.of("deploy/helm/polardb-backup-operator");
  private static final String NS = "pbo-helm";
  private static final String RELEASE = "helm-e2e";
  private static final String SA = RELEASE + "-polardb-backup-operator";

  private LocalStack stack;
  private Kubectl admin;

  @BeforeAll
  void controlPlaneAndEmulator() throws Exception {
    stack =
        new LocalStack(
            List.of("--backup-duration", "2s", "--quota", "3", "--cluster", "pc-helm1"),
            List.of("--poll-min", "500ms", "--poll-max", "2s"));
    admin = stack.admin;
    admin.ok("create", "namespace", NS);
  }

  @AfterAll
  void stopEverything() throws Exception {
    if (stack != null) {
      stack.close();
    }
  }

  private String template(String values) throws Exception {
    Path file = Files.createTempFile(stack.dir, "values", ".yaml");
    Files.writeString(file, values);
    return new Helm(CHART)
        .template()
        .withName(RELEASE)
        .withNamespace(NS)
        .withValuesFile(file)
        .call();
  }

  /**
   * Every value set the unit tests render, but the Prometheus Operator's kinds (this API server has
   * no monitoring.coreos.com CRDs).
   */
  @Test
  @Order(1)
  void everyRenderingPassesTheApiServersDryRun() throws Exception {
    Map<String, String> valueSets = new LinkedHashMap<>();
    valueSets.put("defaults, with the Namespace", "namespace: {create: true}");
    valueSets.put("namespaced", "watchNamespaces: [default, " + NS + "]");
    valueSets.put("AccessKey Secret", "credentials: {mode: secret}");
    valueSets.put(
        "RRSA",
        """
        credentials:
          mode: rrsa
          rrsa:
            roleName: polardb-backup-operator
            roleArn: "acs:ram::123456789012:role/polardb-backup-operator"
            oidcProviderArn: "acs:ram::123456789012:oidc-provider/ack-rrsa-c0123456789"
        """);
    valueSets.put(
        "one replica, own grants, scheduling",
        """
        replicas: 1
        leaderElection: {enabled: false}
        installExampleGrants: false
        accessGrants:
          - name: dry-run
            spec:
              namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: default}}
              clusters: [{regionId: cn-hangzhou, dbClusterId: "pc-*"}]
              actions: [Backup]
        nodeSelector: {kubernetes.io/os: linux}
        tolerations: [{key: dedicated, operator: Equal, value: ops, effect: NoSchedule}]
        """);
    for (var set : valueSets.entrySet()) {
      String yaml = template(set.getValue());
      Cmd.Result r =
          Cmd.run(
                  Map.of("KUBECONFIG", stack.dir.resolve("kubeconfig").toString()),
                  stack.repo,
                  120,
                  yaml,
                  List.of("kubectl", "apply", "--dry-run=server", "-f", "-"))
              .orFail("server dry run of the chart with " + set.getKey());
      long objects = yaml.lines().filter(l -> l.startsWith("kind: ")).count();
      assertEquals(
          objects,
          r.out().lines().filter(l -> l.contains("(server dry run)")).count(),
          set.getKey() + ": " + r.out());
    }
  }

  /**
   * The stretch of issue 16: install the chart, run the operator as its ServiceAccount (a process,
   * as LocalStack runs every operator: there is no kubelet), and take a backup to Succeeded through
   * a PolarDBAccessGrant the release installed.
   */
  @Test
  @Order(2)
  void aBackupSucceedsWithTheInstalledChartsServiceAccount() throws Exception {
    Path values = Files.createTempFile(stack.dir, "install", ".yaml");
    Files.writeString(
        values,
        """
        installExampleGrants: false
        accessGrants:
          - name: helm-e2e-default
            spec:
              namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: default}}
              clusters: [{regionId: cn-hangzhou, dbClusterId: pc-helm1}]
              actions: [Backup, Adopt, Delete]
        """);
    Release release =
        new Helm(CHART)
            .install()
            .withName(RELEASE)
            .withNamespace(NS)
            .withKubeConfig(stack.dir.resolve("kubeconfig"))
            .withValuesFile(values)
            .call();
    assertEquals("deployed", release.getStatus());
    assertFalse(admin.field("serviceaccount", SA, NS, ".metadata.name").isEmpty());

    stack.startOperator("helm-op", stack.serviceAccountKubeconfig(SA, NS), NS);
    admin.apply(LocalStack.backup("from-helm-chart", "pc-helm1", "Delete")).orFail("apply backup");
    stack.awaitTrue(
        "the backup Succeeded",
        Duration.ofSeconds(90),
        () -> "Succeeded".equals(stack.status("from-helm-chart", "default", "phase")));
    assertTrue(
        admin
            .field("lease", "polardb-backup-operator", NS, ".spec.holderIdentity")
            .startsWith("helm-op-"),
        "the Lease is in the release's namespace, under the chart's Role");

    // Its deletion, by the same ServiceAccount, deletes the cloud backup (finalizer, Secret patch).
    String backupId = stack.status("from-helm-chart", "default", "backupId");
    admin.ok("delete", "pdbb", "from-helm-chart", "-n", "default", "--timeout=60s");
    assertTrue(
        stack.cloudBackup(backupId).path("deleted").asBoolean(),
        "the PolarDB backup " + backupId + " is deleted");
    stack.assertNoSecretLeaked();
  }
}
