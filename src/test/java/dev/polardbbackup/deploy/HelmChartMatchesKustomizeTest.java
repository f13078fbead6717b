package dev.polardbbackup.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The chart with its defaults renders what {@code kubectl apply -k deploy/base} applies, and with
 * watchNamespaces or RRSA what the two overlays add, so that the two ways to install cannot drift.
 * The base is read file by file as its kustomization.yaml lists them, with kustomize's images
 * transformer applied by hand. What the chart adds on purpose is left out of the comparison: Helm's
 * labels (and the release in the selector), an explicit imagePullPolicy (IfNotPresent, Kubernetes'
 * default for a tagged image), and the Namespace, which Helm needs before it installs (rendered
 * only with namespace.create).
 */
class HelmChartMatchesKustomizeTest {
  private static final Path BASE = Path.of("deploy/base");
  private static final String NAME = "polardb-backup-operator";

  @SuppressWarnings("unchecked")
  private static Map<String, Object> yaml(Path file) throws IOException {
    return Serialization.unmarshal(Files.readString(file), Map.class);
  }

  /** deploy/base as kustomize builds it: its resources, with the images transformer applied. */
  @SuppressWarnings("unchecked")
  static List<HasMetadata> kustomizeBase() throws IOException {
    Map<String, Object> kustomization = yaml(BASE.resolve("kustomization.yaml"));
    List<HasMetadata> objects = new ArrayList<>();
    for (String file : (List<String>) kustomization.get("resources")) {
      objects.addAll(HelmChart.parse(Files.readString(BASE.resolve(file))));
    }
    for (Map<String, Object> image : (List<Map<String, Object>>) kustomization.get("images")) {
      String newImage = image.get("newName") + ":" + image.get("newTag");
      for (HasMetadata o : objects) {
        if (o instanceof Deployment d) {
          for (Container c : d.getSpec().getTemplate().getSpec().getContainers()) {
            if (c.getImage().equals(image.get("name"))) {
              c.setImage(newImage);
            }
          }
        }
      }
    }
    return objects;
  }

  private static <T extends HasMetadata> T one(List<HasMetadata> objects, Class<T> kind, String n) {
    return new HelmChart.Rendered(objects).one(kind, n);
  }

  @Test
  void defaultsRenderTheObjectsOfTheBaseButTheNamespace() throws IOException {
    List<HasMetadata> base = kustomizeBase();
    List<String> expected =
        HelmChart.keysOf(base.stream().filter(o -> !(o instanceof Namespace)).toList());
    assertEquals(expected, HelmChart.render("").keys());

    HelmChart.Rendered withNamespace = HelmChart.render("namespace: {create: true}");
    assertEquals(HelmChart.keysOf(base), withNamespace.keys());
    assertEquals(
        one(base, Namespace.class, HelmChart.NAMESPACE).getMetadata().getLabels().get(PSS),
        withNamespace.one(Namespace.class, HelmChart.NAMESPACE).getMetadata().getLabels().get(PSS));
  }

  private static final String PSS = "pod-security.kubernetes.io/enforce";

  @Test
  void rbacRulesBindingsAndGrantsAreTheBases() throws IOException {
    List<HasMetadata> base = kustomizeBase();
    HelmChart.Rendered chart = HelmChart.render("");
    for (ClusterRole role : new HelmChart.Rendered(base).all(ClusterRole.class)) {
      String n = role.getMetadata().getName();
      assertEquals(role.getRules(), chart.one(ClusterRole.class, n).getRules(), n);
    }
    for (Role role : new HelmChart.Rendered(base).all(Role.class)) {
      String n = role.getMetadata().getName();
      assertEquals(role.getRules(), chart.one(Role.class, n).getRules(), n);
    }
    for (ClusterRoleBinding b : new HelmChart.Rendered(base).all(ClusterRoleBinding.class)) {
      ClusterRoleBinding c = chart.one(ClusterRoleBinding.class, b.getMetadata().getName());
      assertEquals(b.getRoleRef(), c.getRoleRef());
      assertEquals(b.getSubjects(), c.getSubjects());
    }
    for (RoleBinding b : new HelmChart.Rendered(base).all(RoleBinding.class)) {
      RoleBinding c = chart.one(RoleBinding.class, b.getMetadata().getName());
      assertEquals(b.getRoleRef(), c.getRoleRef());
      assertEquals(b.getSubjects(), c.getSubjects());
    }
    GenericKubernetesResource grant = one(base, GenericKubernetesResource.class, "examples");
    assertEquals(
        grant.getAdditionalProperties().get("spec"),
        chart
            .one(GenericKubernetesResource.class, "examples")
            .getAdditionalProperties()
            .get("spec"));
  }

  @Test
  void theDeploymentRunsTheBasesContainer() throws IOException {
    Deployment base = one(kustomizeBase(), Deployment.class, NAME);
    Deployment chart = HelmChart.render("").one(Deployment.class, NAME);
    assertEquals(base.getSpec().getReplicas(), chart.getSpec().getReplicas());

    PodSpec basePod = base.getSpec().getTemplate().getSpec();
    PodSpec chartPod = chart.getSpec().getTemplate().getSpec();
    assertEquals(basePod.getServiceAccountName(), chartPod.getServiceAccountName());
    assertEquals(basePod.getSecurityContext(), chartPod.getSecurityContext());
    assertEquals(
        basePod.getTerminationGracePeriodSeconds(), chartPod.getTerminationGracePeriodSeconds());
    assertEquals(basePod.getVolumes(), chartPod.getVolumes());

    Container b = basePod.getContainers().get(0);
    Container c = chartPod.getContainers().get(0);
    assertEquals(1, chartPod.getContainers().size());
    assertEquals(b.getName(), c.getName());
    assertEquals(b.getImage(), c.getImage(), "the image kustomize's images transformer sets");
    assertNull(b.getImagePullPolicy());
    assertEquals("IfNotPresent", c.getImagePullPolicy());
    assertEquals(b.getArgs(), c.getArgs());
    assertEquals(b.getEnv(), c.getEnv());
    assertEquals(b.getPorts(), c.getPorts());
    assertEquals(b.getLivenessProbe(), c.getLivenessProbe());
    assertEquals(b.getReadinessProbe(), c.getReadinessProbe());
    assertEquals(b.getResources(), c.getResources());
    assertEquals(b.getSecurityContext(), c.getSecurityContext());
    assertEquals(b.getVolumeMounts(), c.getVolumeMounts());

    Map<String, String> podLabels = chart.getSpec().getTemplate().getMetadata().getLabels();
    Map<String, String> selector = chart.getSpec().getSelector().getMatchLabels();
    assertTrue(podLabels.entrySet().containsAll(selector.entrySet()), "selects its own pods");
    assertTrue(
        selector.entrySet().containsAll(base.getSpec().getSelector().getMatchLabels().entrySet()));
  }

  /**
   * deploy/overlays/sharded: each shard's Deployment is the base's but for its name, its shard pod
   * label (in the selector too, so that the two never adopt each other's pods) and SHARDS/SHARD;
   * the chart's {@code shards: 2} sets the same.
   */
  @Test
  @SuppressWarnings("unchecked")
  void theShardedOverlayIsTheBaseDeploymentOncePerShardAsTheChartRendersIt() throws IOException {
    Path overlay = Path.of("deploy/overlays/sharded");
    Map<String, Object> kustomization = yaml(overlay.resolve("kustomization.yaml"));
    assertEquals(
        yaml(BASE.resolve("kustomization.yaml")).get("images"),
        kustomization.get("images"),
        "the shards get the base's image");
    HelmChart.Rendered chart = HelmChart.render("shards: 2");
    for (int i = 0; i < 2; i++) {
      String label = "polardbbackup.dev/operator-shard";
      Deployment shard =
          one(
              HelmChart.parse(Files.readString(overlay.resolve("shard-" + i + ".yaml"))),
              Deployment.class,
              NAME + "-shard-" + i);
      assertTrue(((List<String>) kustomization.get("resources")).contains("shard-" + i + ".yaml"));
      Deployment fromChart = chart.one(Deployment.class, NAME + "-shard-" + i);
      List<EnvVar> shardEnv =
          List.of(new EnvVar("SHARDS", "2", null), new EnvVar("SHARD", Integer.toString(i), null));
      assertTrue(container(shard).getEnv().containsAll(shardEnv));
      assertTrue(
          fromChart
              .getSpec()
              .getTemplate()
              .getSpec()
              .getContainers()
              .get(0)
              .getEnv()
              .containsAll(shardEnv));
      assertEquals(Integer.toString(i), shard.getSpec().getSelector().getMatchLabels().get(label));
      assertEquals(
          shard.getSpec().getSelector().getMatchLabels().get(label),
          fromChart.getSpec().getSelector().getMatchLabels().get(label));

      // Take the shard's own settings away: what is left is the base Deployment.
      Deployment base = one(kustomizeBase(), Deployment.class, NAME);
      base.getSpec()
          .getTemplate()
          .getSpec()
          .getContainers()
          .get(0)
          .setImage("polardb-backup-operator");
      shard.getMetadata().setName(NAME);
      shard.getSpec().getSelector().getMatchLabels().remove(label);
      shard.getSpec().getTemplate().getMetadata().getLabels().remove(label);
      container(shard).getEnv().removeAll(shardEnv);
      assertEquals(base, shard, "shard-" + i + ".yaml is the base Deployment");
    }
  }

  private static Container container(Deployment d) {
    return d.getSpec().getTemplate().getSpec().getContainers().get(0);
  }

  @Test
  void theMetricsServiceHasTheBasesPortsAndSelectsTheOperator() throws IOException {
    String name = NAME + "-metrics";
    Service base = one(kustomizeBase(), Service.class, name);
    HelmChart.Rendered chart = HelmChart.render("");
    Service service = chart.one(Service.class, name);
    assertEquals(base.getSpec().getPorts(), service.getSpec().getPorts());
    Map<String, String> podLabels =
        chart.one(Deployment.class, NAME).getSpec().getTemplate().getMetadata().getLabels();
    assertTrue(podLabels.entrySet().containsAll(service.getSpec().getSelector().entrySet()));
  }

  /** deploy/overlays/namespaced with its one namespace, team-a. */
  @Test
  void aNamespaceListRendersTheNamespacedOverlaysRoles() throws IOException {
    Path overlay = Path.of("deploy/overlays/namespaced");
    HelmChart.Rendered chart = HelmChart.render("watchNamespaces: [team-a]");

    Role role =
        one(HelmChart.parse(Files.readString(overlay.resolve("role.yaml"))), Role.class, NAME);
    Role rendered = chart.one(Role.class, NAME);
    assertEquals(role.getMetadata().getNamespace(), rendered.getMetadata().getNamespace());
    assertEquals(role.getRules(), rendered.getRules());
    RoleBinding binding =
        one(
            HelmChart.parse(Files.readString(overlay.resolve("role-binding.yaml"))),
            RoleBinding.class,
            NAME);
    RoleBinding renderedBinding = chart.one(RoleBinding.class, NAME);
    assertEquals(
        binding.getMetadata().getNamespace(), renderedBinding.getMetadata().getNamespace());
    assertEquals(binding.getRoleRef(), renderedBinding.getRoleRef());
    assertEquals(binding.getSubjects(), renderedBinding.getSubjects());

    List<HasMetadata> grantSecrets =
        HelmChart.parse(Files.readString(overlay.resolve("grant-secrets-role.yaml")));
    String n = NAME + "-grant-secrets";
    assertEquals(one(grantSecrets, Role.class, n).getRules(), chart.one(Role.class, n).getRules());
    assertEquals(
        one(grantSecrets, RoleBinding.class, n).getSubjects(),
        chart.one(RoleBinding.class, n).getSubjects());

    // The overlay deletes the main ClusterRole and its binding; the grants' ClusterRole stays.
    assertFalse(chart.find(ClusterRole.class, NAME).isPresent());
    assertFalse(chart.find(ClusterRoleBinding.class, NAME).isPresent());
    assertTrue(chart.find(ClusterRole.class, NAME + "-grants").isPresent());
    String kustomization = Files.readString(overlay.resolve("kustomization.yaml"));
    assertTrue(kustomization.contains("value: {name: WATCH_NAMESPACES, value: \"team-a\"}"));
    assertTrue(env(chart).contains(new EnvVar("WATCH_NAMESPACES", "team-a", null)));
  }

  /**
   * deploy/overlays/rrsa with its own example role and ARNs: the same ServiceAccount annotation,
   * environment, token volume and mount (the values of the overlay's patches, read from it).
   */
  @Test
  @SuppressWarnings("unchecked")
  void rrsaRendersWhatTheRrsaOverlayPatchesIn() throws IOException {
    Map<String, Object> kustomization = yaml(Path.of("deploy/overlays/rrsa/kustomization.yaml"));
    Map<String, Object> saAnnotations = null;
    List<EnvVar> env = new ArrayList<>();
    List<VolumeMount> mounts = new ArrayList<>();
    List<Volume> volumes = new ArrayList<>();
    for (Map<String, Object> patch : (List<Map<String, Object>>) kustomization.get("patches")) {
      String kind = (String) ((Map<String, Object>) patch.get("target")).get("kind");
      for (Map<String, Object> op :
          (List<Map<String, Object>>)
              Serialization.unmarshal((String) patch.get("patch"), List.class)) {
        String path = (String) op.get("path");
        String json = Serialization.asJson(op.get("value"));
        if (kind.equals("ServiceAccount")) {
          saAnnotations = (Map<String, Object>) op.get("value");
        } else if (path.endsWith("/env/-")) {
          env.add(Serialization.unmarshal(json, EnvVar.class));
        } else if (path.endsWith("/volumeMounts/-")) {
          mounts.add(Serialization.unmarshal(json, VolumeMount.class));
        } else if (path.endsWith("/volumes/-")) {
          volumes.add(Serialization.unmarshal(json, Volume.class));
        }
      }
    }
    assertEquals(3, env.size());
    String arn = value(env, "ALIBABA_CLOUD_ROLE_ARN");
    String provider = value(env, "ALIBABA_CLOUD_OIDC_PROVIDER_ARN");
    String roleName = (String) saAnnotations.get("pod-identity.alibabacloud.com/role-name");

    HelmChart.Rendered chart =
        HelmChart.render(
            """
            credentials:
              mode: rrsa
              rrsa: {roleName: %s, roleArn: "%s", oidcProviderArn: "%s"}
            """
                .formatted(roleName, arn, provider));
    assertEquals(
        saAnnotations, chart.one(ServiceAccount.class, NAME).getMetadata().getAnnotations());
    Container c = container(chart);
    assertTrue(c.getEnv().containsAll(env), c.getEnv() + " holds " + env);
    assertTrue(c.getVolumeMounts().containsAll(mounts));
    assertTrue(
        chart
            .one(Deployment.class, NAME)
            .getSpec()
            .getTemplate()
            .getSpec()
            .getVolumes()
            .containsAll(volumes));
    assertTrue(c.getEnv().stream().noneMatch(e -> e.getName().startsWith("ALIBABA_CLOUD_ACCESS")));
  }

  private static String value(List<EnvVar> env, String name) {
    return env.stream().filter(e -> e.getName().equals(name)).findFirst().orElseThrow().getValue();
  }

  static Container container(HelmChart.Rendered chart) {
    return chart
        .one(Deployment.class, NAME)
        .getSpec()
        .getTemplate()
        .getSpec()
        .getContainers()
        .get(0);
  }

  static List<EnvVar> env(HelmChart.Rendered chart) {
    return container(chart).getEnv();
  }
}
