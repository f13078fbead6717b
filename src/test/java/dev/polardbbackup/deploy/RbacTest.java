package dev.polardbbackup.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The shipped RBAC grants Secrets only one at a time: no list or watch (a cache of every Secret in
 * the cluster), and patch only for the credentials-in-use finalizer. The end-to-end suite runs the
 * operator as this ServiceAccount, so a missing verb fails there; this checks that nothing more
 * than needed comes back.
 */
class RbacTest {

  private static List<PolicyRule> rules(String file, Class<? extends HasMetadata> kind)
      throws IOException {
    String all = Files.readString(Path.of(file));
    for (String doc : all.split("(?m)^---$")) {
      if (doc.contains("kind: " + kind.getSimpleName() + "\n")) {
        HasMetadata parsed = Serialization.unmarshal(doc, kind);
        return parsed instanceof ClusterRole c ? c.getRules() : ((Role) parsed).getRules();
      }
    }
    throw new AssertionError("no " + kind.getSimpleName() + " in " + file);
  }

  private static Set<String> verbsOn(List<PolicyRule> rules, String resource) {
    return verbsOn(rules, "", resource);
  }

  private static Set<String> verbsOn(List<PolicyRule> rules, String group, String resource) {
    Set<String> verbs = new TreeSet<>();
    rules.stream()
        .filter(r -> r.getApiGroups().contains(group) && r.getResources().contains(resource))
        .forEach(r -> verbs.addAll(r.getVerbs()));
    return verbs;
  }

  private static final String GROUP = "polardbbackup.dev";

  /**
   * Restores: read, finalizer and status, as for backups; create and delete only for schedules'
   * restore drills (one PolarDBRestore per drill, deleted with its clone). Changed on purpose when
   * PolarDBRestore came, and again with the drills (issue 15).
   */
  @Test
  void bothRolesLetTheOperatorFollowRestoresAndMakeDrillRestores() throws IOException {
    for (List<PolicyRule> rules :
        List.of(
            rules("deploy/base/03-rbac.yaml", ClusterRole.class),
            rules("deploy/overlays/namespaced/role.yaml", Role.class))) {
      assertEquals(
          Set.of("get", "list", "watch", "create", "patch", "update", "delete"),
          verbsOn(rules, GROUP, "polardbrestores"));
      assertEquals(Set.of("update"), verbsOn(rules, GROUP, "polardbrestores/status"));
      assertEquals(Set.of(), verbsOn(rules, GROUP, "polardbrestores/finalizers"));
    }
  }

  @Test
  void everyRoleThatFollowsBackupPoliciesFollowsRestoresToo() throws IOException {
    for (List<PolicyRule> rules :
        List.of(
            rules("deploy/base/03-rbac.yaml", ClusterRole.class),
            rules("deploy/overlays/namespaced/role.yaml", Role.class))) {
      assertEquals(
          verbsOn(rules, GROUP, "polardbbackuppolicies").contains("watch"),
          verbsOn(rules, GROUP, "polardbrestores").contains("watch"));
    }
  }

  @Test
  void theClusterRoleReadsSecretsOneByOneAndNeverListsOrWatchesThem() throws IOException {
    List<PolicyRule> rules = rules("deploy/base/03-rbac.yaml", ClusterRole.class);
    assertEquals(Set.of("get", "patch"), verbsOn(rules, "secrets"));
    assertEquals(Set.of("get"), verbsOn(rules, "namespaces"));
    assertFalse(
        rules.stream().anyMatch(r -> r.getResources().contains("*") || r.getVerbs().contains("*")),
        "no wildcards");
  }

  @Test
  void theNamespacedRoleGrantsTheSameOnSecrets() throws IOException {
    List<PolicyRule> rules = rules("deploy/overlays/namespaced/role.yaml", Role.class);
    assertEquals(Set.of("get", "patch"), verbsOn(rules, "secrets"));
    assertTrue(verbsOn(rules, "namespaces").contains("get"));
  }
}
