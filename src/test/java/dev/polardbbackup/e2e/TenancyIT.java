package dev.polardbbackup.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * What Kubernetes itself does to our objects, on the real control plane with
 * kube-controller-manager running: the garbage collector removing a deleted schedule's backups
 * through their ownerReferences, the namespace controller emptying a deleted namespace, and RBAC as
 * shipped. Each cloud backup must then go as its deletionPolicy says, and nothing may hang.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TenancyIT {
  private static final String OPERATOR =
      "system:serviceaccount:" + LocalStack.OPERATOR_NS + ":" + LocalStack.SA;

  private final Instant began = Instant.now();
  private LocalStack stack;
  private Kubectl admin;

  @BeforeAll
  void controlPlaneEmulatorAndOperator() throws Exception {
    stack =
        new LocalStack(
            List.of(
                "--backup-duration",
                "2s",
                "--quota",
                "3",
                "--cluster",
                "pc-cascade1",
                "--cluster",
                "pc-cascade2",
                "--cluster",
                "pc-teama1",
                "--cluster",
                "pc-teama2",
                "--cluster",
                "pc-teama3"),
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
    stack.startOperator("op-a");
  }

  @AfterAll
  void stopEverything() throws Exception {
    if (stack != null) {
      System.out.printf(
          "e2e: TenancyIT wall time %ds%n", Duration.between(began, Instant.now()).toSeconds());
      stack.close();
    }
  }

  /**
   * The operator's ServiceAccount may not list or watch Secrets anywhere: it reads the Secrets that
   * backups name, one GET at a time. Asked as {@code kubectl auth can-i --list} would for any user,
   * in two namespaces (a ClusterRole shows in every one).
   */
  @Test
  @Order(1)
  void theOperatorCannotListOrWatchSecrets() {
    admin.ok("create", "namespace", "rbac-probe");
    for (String namespace : List.of("default", "rbac-probe")) {
      String out = admin.ok("auth", "can-i", "--list", "--as=" + OPERATOR, "-n", namespace);
      List<Rule> rules = Rule.parse(out);
      // A parse that found nothing would pass every check below.
      assertTrue(
          rules.stream()
              .anyMatch(
                  r ->
                      r.resource().equals("polardbbackups.polardbbackup.dev")
                          && r.verbs().contains("watch")),
          "the operator's own rules were parsed from:\n" + out);
      List<Rule> secretReaders =
          rules.stream()
              .filter(Rule::coversSecrets)
              .filter(r -> r.resourceNames().isEmpty())
              .filter(
                  r ->
                      r.verbs().contains("list")
                          || r.verbs().contains("watch")
                          || r.verbs().contains("*"))
              .toList();
      assertTrue(
          secretReaders.isEmpty(),
          "the operator may list or watch Secrets in "
              + namespace
              + ": "
              + secretReaders
              + "\n"
              + out);
      // And the API server agrees, asked one question at a time.
      for (String verb : List.of("list", "watch")) {
        Cmd.Result r =
            admin.run("auth", "can-i", verb, "secrets", "--as=" + OPERATOR, "-n", namespace);
        assertEquals("no", r.out().trim(), verb + " secrets in " + namespace + ": " + r.err());
      }
    }
    Cmd.Result allNamespaces =
        admin.run("auth", "can-i", "list", "secrets", "--as=" + OPERATOR, "--all-namespaces");
    assertEquals("no", allNamespaces.out().trim(), "list secrets in all namespaces");
    admin.ok("delete", "namespace", "rbac-probe", "--wait=false");
  }

  /** One row of {@code kubectl auth can-i --list}. */
  record Rule(String resource, List<String> resourceNames, List<String> verbs) {
    private static final Pattern ROW =
        Pattern.compile("^(\\S+)\\s+\\[([^\\]]*)\\]\\s+\\[([^\\]]*)\\]\\s+\\[([^\\]]*)\\]\\s*$");

    static List<Rule> parse(String table) {
      List<Rule> rules = new ArrayList<>();
      for (String line : table.split("\n")) {
        Matcher m = ROW.matcher(line);
        if (m.matches()) {
          rules.add(new Rule(m.group(1), words(m.group(3)), words(m.group(4))));
        }
      }
      return rules;
    }

    private static List<String> words(String s) {
      return s.isBlank() ? List.of() : List.of(s.trim().split("\\s+"));
    }

    /** secrets (core group: no suffix), or a wildcard that includes them. */
    boolean coversSecrets() {
      return resource.equals("secrets")
          || resource.equals("secrets.*")
          || resource.equals("*")
          || resource.equals("*.*");
    }
  }

  /**
   * {@code kubectl delete} of a schedule that has made backups: the garbage collector deletes them
   * through their ownerReferences (blockOwnerDeletion set), and each PolarDB backup goes as its
   * deletionPolicy says. Background propagation (kubectl's default) for one schedule, foreground
   * for the other, where the schedule itself stays until its backups are gone.
   */
  @Test
  @Order(2)
  void deletingAScheduleDeletesItsBackupsAsTheirPolicySays() throws Exception {
    String ns = "cascade";
    admin.ok("create", "namespace", ns);
    admin.apply(LocalStack.credentialsSecret("polardb-credentials", ns)).orFail("apply Secret");
    admin.apply(schedule("drop", ns, "pc-cascade1", "Delete")).orFail("apply drop");
    admin.apply(schedule("keep", ns, "pc-cascade2", "Retain")).orFail("apply keep");

    Map<String, Child> drop = awaitSucceededChildren("drop", ns);
    Map<String, Child> keep = awaitSucceededChildren("keep", ns);
    for (Map<String, Child> children : List.of(drop, keep)) {
      for (Child c : children.values()) {
        assertEquals("true", c.blockOwnerDeletion(), c + " blocks its owner's deletion");
        assertFalse(stack.cloudBackup(c.backupId()).path("deleted").asBoolean(true), c.backupId());
      }
    }

    // Background: kubectl returns once the schedule is gone; the collector follows.
    Instant t0 = Instant.now();
    admin.ok("delete", "pdbbs", "drop", "-n", ns, "--timeout=60s");
    stack.awaitTrue(
        "the garbage collector deleting drop's backups",
        Duration.ofSeconds(120),
        () -> children("drop", ns).isEmpty());
    System.out.printf(
        "e2e: background cascade of drop took %d ms%n",
        Duration.between(t0, Instant.now()).toMillis());
    for (Child c : drop.values()) {
      assertTrue(
          stack.cloudBackup(c.backupId()).path("deleted").asBoolean(),
          "deletionPolicy Delete deleted " + c.backupId() + " of " + c.name());
    }

    // Foreground: the schedule is held (finalizer foregroundDeletion) until every backup that
    // blocks it is gone, so when kubectl returns none may be left.
    t0 = Instant.now();
    admin.ok("delete", "pdbbs", "keep", "-n", ns, "--cascade=foreground", "--timeout=120s");
    System.out.printf(
        "e2e: foreground cascade of keep took %d ms%n",
        Duration.between(t0, Instant.now()).toMillis());
    assertTrue(children("keep", ns).isEmpty(), "keep's backups went before keep did");
    for (Child c : keep.values()) {
      JsonNode cloud = stack.cloudBackup(c.backupId());
      assertFalse(cloud.isMissingNode(), c.backupId() + " is in the ledger");
      assertFalse(cloud.path("deleted").asBoolean(), "deletionPolicy Retain kept " + c.backupId());
    }

    assertEquals(
        "",
        admin.ok("get", "pdbb,pdbbs", "-n", ns, "-o", "name").trim(),
        "nothing of ours left in " + ns);
  }

  /**
   * {@code kubectl delete namespace} with Delete-policy backups and the Secret they use in it: the
   * namespace controller deletes everything at once, but the Secret must outlive the backups that
   * need it to delete their PolarDB backups. Every PolarDB backup is deleted, and the namespace is
   * gone within 2 minutes.
   */
  @Test
  @Order(3)
  void deletingANamespaceDeletesEveryCloudBackupAndFinishesWithinTwoMinutes() throws Exception {
    String ns = "team-a";
    admin.ok("create", "namespace", ns);
    admin.apply(LocalStack.credentialsSecret("polardb-credentials", ns)).orFail("apply Secret");
    List<String> names = List.of("orders", "billing", "ledger");
    List<String> clusters = List.of("pc-teama1", "pc-teama2", "pc-teama3");
    for (int i = 0; i < names.size(); i++) {
      admin
          .apply(
              LocalStack.backup(
                  names.get(i),
                  ns,
                  clusters.get(i),
                  "Delete",
                  "credentialsSecretRef: {name: polardb-credentials}"))
          .orFail("apply " + names.get(i));
    }
    Map<String, String> backupIds = new LinkedHashMap<>();
    for (String name : names) {
      admin.ok("wait", "--for=condition=Ready", "pdbb/" + name, "-n", ns, "--timeout=90s");
      String id = stack.status(name, ns, "backupId");
      assertFalse(id.isEmpty(), name + " recorded its backupId");
      backupIds.put(name, id);
    }
    Map<String, Long> deletesBefore = new LinkedHashMap<>();
    for (String cluster : clusters) {
      deletesBefore.put(cluster, stack.callsTo("DeleteBackup", cluster));
    }

    Instant t0 = Instant.now();
    admin.ok("delete", "namespace", ns, "--wait=false");
    Cmd.Result gone = admin.run("wait", "--for=delete", "namespace/" + ns, "--timeout=120s");
    Duration took = Duration.between(t0, Instant.now());
    System.out.printf(
        "e2e: namespace %s with %d Delete-policy backups and their Secret deleted in %.1f s%n",
        ns, names.size(), took.toMillis() / 1000.0);
    assertEquals(
        0,
        gone.exit(),
        "namespace "
            + ns
            + " still there after 2 minutes: "
            + admin.run("get", "namespace", ns, "-o", "jsonpath={.status}").out()
            + "\nleft in it: "
            + admin.run("get", "pdbb,secrets", "-n", ns, "-o", "wide").out());

    for (int i = 0; i < names.size(); i++) {
      String id = backupIds.get(names.get(i));
      assertTrue(
          stack.cloudBackup(id).path("deleted").asBoolean(),
          "the PolarDB backup " + id + " of " + names.get(i) + " was deleted");
      String cluster = clusters.get(i);
      assertTrue(
          stack.callsTo("DeleteBackup", cluster) > deletesBefore.get(cluster),
          "a DeleteBackup call for " + cluster);
    }
  }

  /** Last: every operator process, Event and resource of the run, searched for secret values. */
  @Test
  @Order(99)
  void noSecretValueInAnyOperatorLogEventOrResource() throws Exception {
    stack.assertNoSecretLeaked();
  }

  // ---- helpers ----

  private static String schedule(String name, String namespace, String cluster, String policy) {
    // A tick once a year: the schedule makes its runImmediately backup and no other during the
    // test, so that what the collector deletes is known in advance.
    return """
        apiVersion: polardbbackup.dev/v1alpha1
        kind: PolarDBBackupSchedule
        metadata: {name: %s, namespace: %s}
        spec:
          schedule: "0 0 1 1 *"
          runImmediately: true
          template:
            dbClusterId: %s
            regionId: cn-hangzhou
            deletionPolicy: %s
            credentialsSecretRef: {name: polardb-credentials}
        """
        .formatted(name, namespace, cluster, policy);
  }

  record Child(String name, String uid, String phase, String backupId, String blockOwnerDeletion) {}

  /** A schedule's backups (by its label), read in one listing. */
  private Map<String, Child> children(String schedule, String namespace) {
    String rows =
        admin.ok(
            "get",
            "pdbb",
            "-n",
            namespace,
            "-l",
            "polardbbackup.dev/schedule=" + schedule,
            "-o",
            "jsonpath={range .items[*]}{.metadata.name} {.metadata.uid} {.status.phase}|"
                + " {.status.backupId}| {.metadata.ownerReferences[0].blockOwnerDeletion}"
                + "{\"\\n\"}{end}");
    Map<String, Child> children = new LinkedHashMap<>();
    for (String row : rows.strip().split("\n")) {
      if (row.isBlank()) {
        continue;
      }
      String[] f = row.split("\\|", -1);
      String[] head = f[0].trim().split("\\s+");
      children.put(
          head[0],
          new Child(
              head[0],
              head.length > 1 ? head[1] : "",
              head.length > 2 ? head[2] : "",
              f[1].trim(),
              f[2].trim()));
    }
    return children;
  }

  private Map<String, Child> awaitSucceededChildren(String schedule, String namespace)
      throws InterruptedException {
    Map<String, Child> found = new LinkedHashMap<>();
    stack.awaitTrue(
        schedule + "'s runImmediately backup Succeeded",
        Duration.ofSeconds(90),
        () -> {
          found.clear();
          found.putAll(children(schedule, namespace));
          return !found.isEmpty()
              && found.values().stream()
                  .allMatch(c -> c.phase().equals("Succeeded") && !c.backupId().isEmpty());
        });
    return Map.copyOf(found);
  }
}
