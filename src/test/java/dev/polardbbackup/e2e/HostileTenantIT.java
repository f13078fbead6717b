package dev.polardbbackup.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The hostile tenant of issue 12, on the real API server: two teams, each with its own
 * ServiceAccount and a namespaced Role that allows {@code polardbbackups} and nothing else, each
 * granted its own clusters by a cluster-scoped PolarDBAccessGrant. Team B tries to adopt and then
 * delete team A's backup, and to fill team A's cluster with backups of its own; neither reaches
 * PolarDB, and team B cannot grant itself more.
 *
 * <p>The grant's API version and kind are read from {@value #GRANT_CRD}, the CRD as shipped.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileTenantIT {
  static final String GRANT_CRD = "crds/polardbaccessgrants.polardbbackup.dev-v1.yml";
  private static final String TENANT = "tenant";
  private static final String TEAM_A_CLUSTER = "pc-teama1";
  private static final String TEAM_B_CLUSTER = "pc-teamb1";

  private final Instant began = Instant.now();
  private LocalStack stack;
  private Kubectl admin;
  private Kubectl teamA;
  private Kubectl teamB;
  private String grantApiVersion;
  private String grantKind;
  private String grantResource;

  @BeforeAll
  void twoTeamsEachWithItsOwnGrant() throws Exception {
    Path crdFile = Path.of("").toAbsolutePath().resolve(GRANT_CRD);
    CustomResourceDefinition crd =
        Serialization.unmarshal(Files.readString(crdFile), CustomResourceDefinition.class);
    grantApiVersion =
        crd.getSpec().getGroup()
            + "/"
            + crd.getSpec().getVersions().stream()
                .filter(CustomResourceDefinitionVersion::getStorage)
                .findFirst()
                .orElseThrow()
                .getName();
    grantKind = crd.getSpec().getNames().getKind();
    grantResource = crd.getSpec().getNames().getPlural() + "." + crd.getSpec().getGroup();

    stack =
        new LocalStack(
            List.of(
                "--backup-duration",
                "2s",
                "--quota",
                "3",
                "--cluster",
                TEAM_A_CLUSTER,
                "--cluster",
                TEAM_B_CLUSTER),
            List.of(
                "--poll-min",
                "500ms",
                "--poll-max",
                "2s",
                "--error-backoff-initial",
                "500ms",
                "--error-backoff-max",
                "2s"));
    admin = stack.admin;
    teamA = tenant("team-a");
    teamB = tenant("team-b");
    admin.apply(grant("team-a", "pc-teama*", "[Backup, Adopt, Delete]")).orFail("grant team-a");
    admin.apply(grant("team-b", "pc-teamb*", "[Backup]")).orFail("grant team-b");
    stack.startOperator("op-a");
  }

  @AfterAll
  void stopEverything() throws Exception {
    if (stack != null) {
      System.out.printf(
          "e2e: HostileTenantIT wall time %ds%n",
          Duration.between(began, Instant.now()).toSeconds());
      stack.close();
    }
  }

  @Test
  @Order(1)
  void aTenantCannotAdoptDeleteOrCrowdAnotherTeamsBackups() throws Exception {
    // Team A backs up its own cluster, as its own ServiceAccount.
    teamA
        .apply(LocalStack.backup("orders", "team-a", TEAM_A_CLUSTER, "Retain", ""))
        .orFail("team A applies orders");
    teamA.ok("wait", "--for=condition=Ready", "pdbb/orders", "-n", "team-a", "--timeout=90s");
    String victim = teamA.field("pdbb", "orders", "team-a", ".status.backupId");
    assertFalse(victim.isEmpty(), "team A's backup has an id");

    // Team B, granted only Backup on its own cluster, can do that: the grants are in force.
    // (Retain:
    // deletionPolicy Delete would need the Delete action too, checked before any call.)
    teamB
        .apply(LocalStack.backup("own", "team-b", TEAM_B_CLUSTER, "Retain", ""))
        .orFail("team B applies own");
    teamB.ok("wait", "--for=condition=Ready", "pdbb/own", "-n", "team-b", "--timeout=90s");

    Map<String, Long> callsBefore = callsNaming(TEAM_A_CLUSTER);

    // The attack: adopt team A's backup id with deletionPolicy Delete, then delete the object. And
    // a plain backup of team A's cluster, as one of many that would fill its manual slots.
    teamB
        .apply(
            LocalStack.backup(
                "steal", "team-b", TEAM_A_CLUSTER, "Delete", "backupId: \"" + victim + "\""))
        .orFail("team B applies steal");
    teamB
        .apply(LocalStack.backup("crowd", "team-b", TEAM_A_CLUSTER, "Retain", ""))
        .orFail("team B applies crowd");
    for (String name : List.of("steal", "crowd")) {
      stack.awaitTrue(
          name + " refused with NotPermitted",
          Duration.ofSeconds(60),
          () -> "NotPermitted".equals(readyReason(teamB, name)));
      // What team B itself sees with kubectl get.
      String status =
          teamB.ok(
              "get",
              "pdbb",
              name,
              "-n",
              "team-b",
              "-o",
              "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}"
                  + " {.status.conditions[?(@.type==\"Ready\")].reason}");
      assertEquals("False NotPermitted", status.trim(), name);
      String message =
          teamB.field("pdbb", name, "team-b", ".status.conditions[?(@.type==\"Ready\")].message");
      assertTrue(
          message.contains(TEAM_A_CLUSTER), name + ": the refusal names the rule: " + message);
      // A Warning is written before the operator goes on: no wait.
      String events =
          admin.ok(
              "get",
              "events",
              "-n",
              "team-b",
              "--field-selector",
              "involvedObject.name=" + name + ",type=Warning",
              "-o",
              "jsonpath={.items[*].reason}");
      assertTrue(events.contains("NotPermitted"), name + " has a NotPermitted Warning: " + events);
      System.out.printf("e2e: %s refused: %s%n", name, message);
    }
    String printed = teamB.ok("get", "pdbb", "-n", "team-b", "-o", "wide");
    assertTrue(printed.contains("NotPermitted"), printed);

    teamB.ok("delete", "pdbb", "steal", "crowd", "-n", "team-b", "--timeout=60s");

    JsonNode cloud = stack.cloudBackup(victim);
    assertFalse(cloud.isMissingNode(), victim + " is in the ledger");
    assertFalse(cloud.path("deleted").asBoolean(), "team A's backup " + victim + " survived");
    assertEquals("Succeeded", teamA.field("pdbb", "orders", "team-a", ".status.phase"));
    Map<String, Long> callsAfter = callsNaming(TEAM_A_CLUSTER);
    assertEquals(
        callsBefore.getOrDefault("DeleteBackup", 0L),
        callsAfter.getOrDefault("DeleteBackup", 0L),
        "no DeleteBackup on " + TEAM_A_CLUSTER);
    // Team A's backup is finished and makes no call; team B's objects may make none either.
    assertEquals(
        callsBefore,
        callsAfter,
        "no PolarDB call of any kind on " + TEAM_A_CLUSTER + " for team B");
    assertEquals(
        1,
        stack.ledger().path("backups").findValuesAsText("dbClusterId").stream()
            .filter(TEAM_A_CLUSTER::equals)
            .count(),
        "one backup on team A's cluster: team A's own");
  }

  @Test
  @Order(2)
  void aTenantCannotGrantItselfMore() {
    String as = "--as=system:serviceaccount:team-b:" + TENANT;
    Cmd.Result asked = admin.run("auth", "can-i", "create", grantResource, as);
    assertEquals("no", asked.out().trim(), "team B may create a " + grantKind + ": " + asked.err());
    Cmd.Result own = teamB.run("auth", "can-i", "create", grantResource);
    assertEquals("no", own.out().trim(), "team B's own kubectl: " + own.err());
    Cmd.Result tried = teamB.apply(grant("team-b-everything", "*", "[Backup, Adopt, Delete]"));
    assertNotEquals(0, tried.exit(), "team B created a grant");
    assertTrue(tried.err().contains("forbidden"), tried.err());
  }

  /** Last: every operator process, Event and resource of the run, searched for secret values. */
  @Test
  @Order(99)
  void noSecretValueInAnyOperatorLogEventOrResource() throws Exception {
    stack.assertNoSecretLeaked();
  }

  // ---- helpers ----

  /** A namespace with a ServiceAccount whose Role allows polardbbackups and nothing else. */
  private Kubectl tenant(String namespace) throws Exception {
    admin.ok("create", "namespace", namespace);
    admin.ok("create", "serviceaccount", TENANT, "-n", namespace);
    admin
        .apply(
            """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata: {name: polardbbackups-only, namespace: %s}
            rules:
              - apiGroups: [polardbbackup.dev]
                resources: [polardbbackups]
                verbs: [get, list, watch, create, update, patch, delete]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {name: polardbbackups-only, namespace: %s}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: polardbbackups-only}
            subjects: [{kind: ServiceAccount, name: %s, namespace: %s}]
            """
                .formatted(namespace, namespace, TENANT, namespace))
        .orFail("RBAC for " + namespace);
    return stack.kubectlAs(TENANT, namespace);
  }

  /**
   * A grant to one namespace, selected by the name label (which the operator matches on a 1.20 API
   * server too, where Kubernetes does not set it), for the operator's own identity.
   */
  private String grant(String namespace, String clusterGlob, String actions) {
    return """
        apiVersion: %s
        kind: %s
        metadata: {name: %s}
        spec:
          namespaceSelector:
            matchLabels: {kubernetes.io/metadata.name: %s}
          clusters:
            - {regionId: cn-hangzhou, dbClusterId: "%s"}
          actions: %s
        """
        .formatted(grantApiVersion, grantKind, namespace, namespace, clusterGlob, actions);
  }

  private static String readyReason(Kubectl kubectl, String name) {
    return kubectl.field("pdbb", name, "team-b", ".status.conditions[?(@.type==\"Ready\")].reason");
  }

  /** PolarDB calls that named the cluster so far, by action. */
  private Map<String, Long> callsNaming(String cluster) throws Exception {
    Map<String, Long> byAction = new TreeMap<>();
    for (JsonNode c : stack.ledgerWithCalls().path("calls")) {
      if (cluster.equals(c.path("dbClusterId").asText())) {
        byAction.merge(c.path("action").asText(), 1L, Long::sum);
      }
    }
    return byAction;
  }
}
