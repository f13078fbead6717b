package dev.polardbbackup.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Helm chart under deploy/helm: Helm's lint, what each kind of values renders, and values the
 * schema refuses. HelmChartMatchesKustomizeTest compares the defaults with deploy/base.
 */
class HelmChartTest {
  private static final String NAME = HelmChart.RELEASE;

  @Test
  void helmLintFindsNothingWrongEvenWhenStrict() {
    LintResult lint = new Helm(HelmChart.DIR).lint().strict().call();
    assertFalse(lint.isFailed(), String.join("\n", lint.getMessages()));
    assertTrue(
        lint.getMessages().stream().allMatch(m -> m.startsWith("[INFO]")),
        String.join("\n", lint.getMessages()));
  }

  /** Helm installs crds/ but never upgrades it: the copy must be the CRDs of this version. */
  @Test
  void theChartsCrdsAreTheRepositorysCrds() throws IOException {
    List<Path> repo = crds(Path.of("crds"));
    List<Path> chart = crds(HelmChart.DIR.resolve("crds"));
    assertEquals(
        repo.stream().map(Path::getFileName).toList(),
        chart.stream().map(Path::getFileName).toList(),
        "cp crds/*.yml deploy/helm/polardb-backup-operator/crds/");
    for (int i = 0; i < repo.size(); i++) {
      assertEquals(
          Files.readString(repo.get(i)),
          Files.readString(chart.get(i)),
          chart.get(i) + " differs from crds/: cp crds/*.yml " + HelmChart.DIR + "/crds/");
    }
  }

  /** kubectl apply -k crds/ (README "Install", the Flux example) applies every CRD too. */
  @Test
  @SuppressWarnings("unchecked")
  void theCrdsKustomizationListsEveryCrd() throws IOException {
    Map<String, Object> kustomization =
        Serialization.unmarshal(Files.readString(Path.of("crds/kustomization.yaml")), Map.class);
    assertEquals(
        crds(Path.of("crds")).stream().map(p -> p.getFileName().toString()).toList(),
        ((List<String>) kustomization.get("resources")).stream().sorted().toList());
  }

  private static List<Path> crds(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.toString().endsWith(".yml")).sorted().toList();
    }
  }

  @Test
  void aNamespaceListGivesEachARoleAndBindingAndWatchesOnlyThem() {
    HelmChart.Rendered chart = HelmChart.render("watchNamespaces: [team-a, team-b]");
    for (String ns : List.of("team-a", "team-b")) {
      assertTrue(chart.keys().contains("Role " + ns + "/" + NAME), chart.keys().toString());
      assertTrue(chart.keys().contains("RoleBinding " + ns + "/" + NAME), chart.keys().toString());
    }
    assertTrue(chart.find(Role.class, NAME + "-grant-secrets").isPresent());
    assertEquals(List.of(NAME + "-grants"), names(chart.all(ClusterRole.class)));
    assertTrue(
        HelmChartMatchesKustomizeTest.env(chart)
            .contains(new EnvVar("WATCH_NAMESPACES", "team-a,team-b", null)));
  }

  @Test
  void clusterWideHasNoRolesButLeaderElectionsAndNoNamespaceList() {
    HelmChart.Rendered chart = HelmChart.render("");
    assertEquals(List.of(NAME + "-leader-election"), names(chart.all(Role.class)));
    assertTrue(
        HelmChartMatchesKustomizeTest.env(chart).stream()
            .noneMatch(e -> e.getName().equals("WATCH_NAMESPACES")));
  }

  @Test
  void oneReplicaWithoutLeaderElectionNeedsNoLeaseRole() {
    HelmChart.Rendered chart = HelmChart.render("replicas: 1\nleaderElection: {enabled: false}");
    assertEquals(1, chart.one(Deployment.class, NAME).getSpec().getReplicas());
    assertTrue(
        HelmChartMatchesKustomizeTest.env(chart)
            .contains(new EnvVar("LEADER_ELECTION", "false", null)));
    assertTrue(chart.all(Role.class).isEmpty());
  }

  @Test
  void shardsRenderOneDeploymentEachThatSelectOnlyTheirOwnPods() {
    HelmChart.Rendered chart = HelmChart.render("shards: 3");
    List<Deployment> deployments = chart.all(Deployment.class);
    assertEquals(
        List.of(NAME + "-shard-0", NAME + "-shard-1", NAME + "-shard-2"), names(deployments));
    for (int i = 0; i < 3; i++) {
      Deployment d = chart.one(Deployment.class, NAME + "-shard-" + i);
      String shard = Integer.toString(i);
      assertEquals(
          shard,
          d.getSpec().getSelector().getMatchLabels().get("polardbbackup.dev/operator-shard"));
      assertEquals(
          shard,
          d.getSpec()
              .getTemplate()
              .getMetadata()
              .getLabels()
              .get("polardbbackup.dev/operator-shard"));
      List<EnvVar> env = d.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv();
      assertTrue(env.contains(new EnvVar("SHARDS", "3", null)), env.toString());
      assertTrue(env.contains(new EnvVar("SHARD", shard, null)), env.toString());
      assertEquals(2, d.getSpec().getReplicas());
    }
    // One shard is the plain Deployment, with no shard settings.
    Deployment one = HelmChart.render("shards: 1").one(Deployment.class, NAME);
    assertTrue(
        one.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
            .noneMatch(e -> e.getName().startsWith("SHARD")));
  }

  @Test
  void secretCredentialsComeFromTheNamedSecret() {
    HelmChart.Rendered chart =
        HelmChart.render("credentials: {mode: secret, secret: {name: ops-polardb}}");
    List<EnvVar> env = HelmChartMatchesKustomizeTest.env(chart);
    EnvVar id =
        env.stream()
            .filter(e -> e.getName().equals("ALIBABA_CLOUD_ACCESS_KEY_ID"))
            .findFirst()
            .orElseThrow();
    EnvVar secret =
        env.stream()
            .filter(e -> e.getName().equals("ALIBABA_CLOUD_ACCESS_KEY_SECRET"))
            .findFirst()
            .orElseThrow();
    assertEquals("ops-polardb", id.getValueFrom().getSecretKeyRef().getName());
    assertEquals("accessKeyId", id.getValueFrom().getSecretKeyRef().getKey());
    assertEquals("accessKeySecret", secret.getValueFrom().getSecretKeyRef().getKey());
    assertTrue(env.stream().noneMatch(e -> e.getName().startsWith("ALIBABA_CLOUD_ROLE")));
  }

  @Test
  void rrsaWithTheNamespaceCreatedLabelsItForAcksWebhook() {
    HelmChart.Rendered chart =
        HelmChart.render(
            """
            namespace: {create: true}
            credentials:
              mode: rrsa
              rrsa:
                roleName: backups
                roleArn: "acs:ram::1:role/backups"
                oidcProviderArn: "acs:ram::1:oidc-provider/ack-rrsa-c1"
            """);
    HasMetadata ns =
        chart.one(io.fabric8.kubernetes.api.model.Namespace.class, HelmChart.NAMESPACE);
    assertEquals("on", ns.getMetadata().getLabels().get("pod-identity.alibabacloud.com/injection"));
    assertEquals(
        "restricted", ns.getMetadata().getLabels().get("pod-security.kubernetes.io/enforce"));
  }

  @Test
  void aDigestPinsTheImage() {
    String digest = "sha256:" + "a".repeat(64);
    assertEquals(
        "example.com/pbo@" + digest,
        image("image: {repository: example.com/pbo, digest: \"" + digest + "\"}"));
    assertEquals(
        "example.com/pbo:1.2.3@" + digest,
        image("image: {repository: example.com/pbo, tag: 1.2.3, digest: \"" + digest + "\"}"));
    assertEquals(
        "example.com/pbo:1.2.3", image("image: {repository: example.com/pbo, tag: 1.2.3}"));
  }

  private static String image(String values) {
    return HelmChartMatchesKustomizeTest.container(HelmChart.render(values)).getImage();
  }

  @Test
  void schedulingLabelsAnnotationsAndResourcesReachThePod() {
    HelmChart.Rendered chart =
        HelmChart.render(
            """
            commonLabels: {team: platform}
            commonAnnotations: {owner: dba}
            podAnnotations: {scrape: "yes"}
            nodeSelector: {kubernetes.io/os: linux}
            tolerations: [{key: dedicated, operator: Equal, value: ops, effect: NoSchedule}]
            affinity:
              podAntiAffinity:
                preferredDuringSchedulingIgnoredDuringExecution:
                  - weight: 100
                    podAffinityTerm:
                      topologyKey: kubernetes.io/hostname
                      labelSelector: {matchLabels: {app.kubernetes.io/name: polardb-backup-operator}}
            resources: {requests: {cpu: 50m, memory: 300Mi}, limits: {memory: 600Mi}}
            logFormat: plain
            extraEnv: [{name: POLL_MAX, value: 5m}]
            """);
    for (HasMetadata o : chart.objects()) {
      assertEquals("platform", o.getMetadata().getLabels().get("team"), o.getKind());
      assertEquals("dba", o.getMetadata().getAnnotations().get("owner"), o.getKind());
    }
    Deployment d = chart.one(Deployment.class, NAME);
    PodSpec pod = d.getSpec().getTemplate().getSpec();
    assertEquals("yes", d.getSpec().getTemplate().getMetadata().getAnnotations().get("scrape"));
    assertEquals(Map.of("kubernetes.io/os", "linux"), pod.getNodeSelector());
    assertEquals("dedicated", pod.getTolerations().get(0).getKey());
    assertEquals(
        "kubernetes.io/hostname",
        pod.getAffinity()
            .getPodAntiAffinity()
            .getPreferredDuringSchedulingIgnoredDuringExecution()
            .get(0)
            .getPodAffinityTerm()
            .getTopologyKey());
    Container c = pod.getContainers().get(0);
    assertEquals("600Mi", c.getResources().getLimits().get("memory").toString());
    assertTrue(c.getEnv().contains(new EnvVar("LOG_FORMAT", "plain", null)));
    assertTrue(c.getEnv().contains(new EnvVar("POLL_MAX", "5m", null)));
  }

  @Test
  void monitoringObjectsAreRenderedOnlyWhenAskedFor() {
    assertTrue(
        HelmChart.render("").all(GenericKubernetesResource.class).stream()
            .noneMatch(o -> o.getApiVersion().startsWith("monitoring.coreos.com/")));
    assertTrue(
        HelmChart.render("metrics: {service: {enabled: false}}").all(Service.class).isEmpty());
  }

  @Test
  void theServiceMonitorScrapesTheMetricsService() {
    HelmChart.Rendered chart =
        HelmChart.render(
            "metrics: {serviceMonitor: {enabled: true, interval: 15s, labels: {release: prom}}}");
    GenericKubernetesResource monitor = chart.one(GenericKubernetesResource.class, NAME);
    assertEquals("ServiceMonitor", monitor.getKind());
    assertEquals("prom", monitor.getMetadata().getLabels().get("release"));
    Service service = chart.one(Service.class, NAME + "-metrics");
    assertEquals(
        service.getSpec().getSelector(),
        monitor.get("spec", "selector", "matchLabels"),
        "the ServiceMonitor selects the Service by the labels it carries");
    assertTrue(
        service
            .getMetadata()
            .getLabels()
            .entrySet()
            .containsAll(service.getSpec().getSelector().entrySet()));
    assertEquals(
        List.of(Map.of("port", "http", "path", "/metrics", "interval", "15s")),
        monitor.get("spec", "endpoints"));
  }

  @Test
  void thePrometheusRuleHoldsTheShippedAlertsAndTheRulesGiven() throws Exception {
    HelmChart.Rendered chart =
        HelmChart.render(
            """
            metrics:
              prometheusRule:
                enabled: true
                labels: {release: prom}
                rules:
                  - alert: OrdersBackupMissing
                    expr: absent(polardb_backups)
                    labels: {severity: warning}
            """);
    GenericKubernetesResource rule = chart.one(GenericKubernetesResource.class, NAME);
    assertEquals("PrometheusRule", rule.getKind());
    List<Map<String, Object>> groups = rule.get("spec", "groups");
    Map<String, Object> shipped =
        new com.fasterxml.jackson.databind.ObjectMapper(
                new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
            .readValue(
                Files.readString(Path.of("deploy/monitoring/polardb-backup-rules.yaml")),
                new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() {});
    assertEquals(shipped.get("groups"), groups.subList(0, groups.size() - 1), "the shipped alerts");
    Map<String, Object> own = groups.get(groups.size() - 1);
    assertEquals(NAME + "-own", own.get("name"));
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> rules = (List<Map<String, Object>>) own.get("rules");
    assertEquals("OrdersBackupMissing", rules.get(0).get("alert"));
    GenericKubernetesResource alone =
        HelmChart.render("metrics: {prometheusRule: {enabled: true}}")
            .one(GenericKubernetesResource.class, NAME);
    assertEquals(shipped.get("groups"), alone.get("spec", "groups"), "no own rules: the shipped");
  }

  /** Helm reads only files inside the chart: its copy of the rules must be the shipped ones. */
  @Test
  void theChartsRulesAreDeployMonitorings() throws Exception {
    assertEquals(
        Files.readString(Path.of("deploy/monitoring/polardb-backup-rules.yaml")),
        Files.readString(HelmChart.DIR.resolve("files/polardb-backup-rules.yaml")),
        "cp deploy/monitoring/polardb-backup-rules.yaml " + HelmChart.DIR + "/files/");
  }

  @Test
  void theExampleGrantIsOptionalAndOwnGrantsAreRendered() {
    HelmChart.Rendered chart =
        HelmChart.render(
            """
            installExampleGrants: false
            accessGrants:
              - name: team-a
                spec:
                  namespaceSelector: {matchLabels: {team: a}}
                  clusters: [{regionId: cn-hangzhou, dbClusterId: pc-team-a}]
                  actions: [Backup]
            """);
    assertFalse(chart.find(GenericKubernetesResource.class, "examples").isPresent());
    GenericKubernetesResource grant = chart.one(GenericKubernetesResource.class, "team-a");
    assertEquals("PolarDBAccessGrant", grant.getKind());
    assertEquals(List.of("Backup"), grant.get("spec", "actions"));
  }

  /** values.schema.json refuses these at `helm install` and `helm template`, naming the value. */
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "replicas: two | replicas",
        "replicas: 2\\nleaderElection: {enabled: false} | leaderElection.enabled",
        "replicas: 1\\nshards: 2\\nleaderElection: {enabled: false} | leaderElection.enabled",
        "shards: 0 | shards",
        "shards: 65 | shards",
        "credentials: {mode: accesskey} | credentials.mode",
        "credentials: {mode: rrsa} | credentials.rrsa.roleArn",
        "credentials: {mode: rrsa, rrsa: {roleName: r, roleArn: arn, oidcProviderArn: p}} | credentials.rrsa.roleArn",
        "logFormat: xml | logFormat",
        "image: {digest: latest} | image.digest",
        "watchNamespaces: team-a | watchNamespaces",
        "watchNamespaces: [Team_A] | watchNamespaces.0",
        "metrics: {port: 80800} | metrics.port",
        "metrics: {prometheusRule: {rules: [{expr: up}]}} | metrics.prometheusRule.rules.0",
        "replica: 2 | replica",
        "nodeSelector: {disk: {ssd: true}} | nodeSelector.disk",
      })
  void badValuesFailBecauseOfTheSchema(String values, String named) {
    IllegalStateException refused =
        assertThrows(
            IllegalStateException.class, () -> HelmChart.template(values.replace("\\n", "\n")));
    assertTrue(
        refused.getMessage().contains("don't meet the specifications of the schema"),
        refused.getMessage());
    assertTrue(refused.getMessage().contains(named), refused.getMessage());
  }

  private static List<String> names(List<? extends HasMetadata> objects) {
    return objects.stream().map(o -> o.getMetadata().getName()).sorted().toList();
  }
}
