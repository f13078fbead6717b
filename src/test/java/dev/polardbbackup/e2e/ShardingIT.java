package dev.polardbbackup.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.polardbbackup.shard.Shard;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Sharding on a real API server: the shards' informers select their buckets with a set-based label
 * selector (which the mock API server cannot parse), the shipped RBAC lets them label and list
 * Leases, and going from one Deployment to two shards while backups run waits for the old Lease and
 * makes no backup twice.
 */
class ShardingIT {
  private static final int CLUSTERS = 6;

  private static String cluster(int c) {
    return "pc-shard" + c;
  }

  private static String leaderGauge(LocalStack stack, String operator) {
    String metrics = stack.get(operator, "/metrics").body();
    return metrics
        .lines()
        .filter(l -> l.startsWith("polardb_operator_leader "))
        .findFirst()
        .orElse("");
  }

  private List<String> create(LocalStack stack, String prefix, Map<String, String> uids) {
    List<String> names = new ArrayList<>();
    for (int c = 1; c <= CLUSTERS; c++) {
      String name = prefix + c;
      stack.admin.apply(LocalStack.backup(name, cluster(c), "Retain")).orFail(name);
      uids.put(name, stack.admin.field("pdbb", name, "default", ".metadata.uid"));
      names.add(name);
    }
    return names;
  }

  @Test
  void twoShardsTakeOverFromOneOperatorOnlyOnceItsLeaseIsGone() throws Exception {
    List<String> emulatorArgs = new ArrayList<>(List.of("--backup-duration", "6s"));
    for (int c = 1; c <= CLUSTERS; c++) {
      emulatorArgs.addAll(List.of("--cluster", cluster(c)));
    }
    Map<String, String> uids = new TreeMap<>();
    try (LocalStack stack =
        new LocalStack(
            emulatorArgs,
            List.of(
                "--poll-min", "1s",
                "--poll-max", "2s",
                "--lease-duration", "5s",
                "--renew-deadline", "3s",
                "--retry-period", "1s"))) {
      stack.grantDefaultNamespace("shards", "pc-shard*");
      // 1. One operator, as installed so far, starts a backup per cluster.
      stack.startOperator("single");
      List<String> first = create(stack, "first-", uids);
      stack.awaitTrue(
          "every first backup started",
          Duration.ofSeconds(60),
          () ->
              first.stream()
                  .allMatch(
                      n ->
                          !stack
                              .admin
                              .field("pdbb", n, "default", ".status.backupJobId")
                              .isBlank()));

      // 2. Two shards start while it still works: they hold all work, and say so.
      stack.startOperator("shard-0", List.of("--shards", "2", "--shard", "0"));
      stack.startOperator("shard-1", List.of("--shards", "2", "--shard", "1"));
      Instant until = Instant.now().plusSeconds(4);
      while (Instant.now().isBefore(until)) {
        assertEquals("polardb_operator_leader 1.0", leaderGauge(stack, "single"));
        for (String shard : List.of("shard-0", "shard-1")) {
          assertEquals(
              "polardb_operator_leader 0.0", leaderGauge(stack, shard), shard + " is held");
        }
        Thread.sleep(500);
      }

      // 3. The single operator goes (its Lease is not released: it expires). The shards follow
      //    its backups to the end and make new ones, each of its own clusters.
      stack.operators.get("single").kill();
      List<String> second = create(stack, "second-", uids);
      // A label value no shard selects ("07" is not "7"): it must still find its shard.
      stack
          .admin
          .apply(
              """
              apiVersion: polardbbackup.dev/v1alpha1
              kind: PolarDBBackup
              metadata:
                name: misspelt
                namespace: default
                labels: {polardbbackup.dev/shard-bucket: "07"}
              spec: {dbClusterId: %s, regionId: cn-hangzhou}
              """
                  .formatted(cluster(1)))
          .orFail("misspelt");
      uids.put("misspelt", stack.admin.field("pdbb", "misspelt", "default", ".metadata.uid"));
      List<String> all = new ArrayList<>(first);
      all.addAll(second);
      all.add("misspelt");
      stack.awaitTrue(
          "every backup Succeeded",
          Duration.ofSeconds(120),
          () ->
              all.stream()
                  .allMatch(
                      n ->
                          "Succeeded"
                              .equals(stack.admin.field("pdbb", n, "default", ".status.phase"))));
      for (String shard : List.of("shard-0", "shard-1")) {
        assertEquals("polardb_operator_leader 1.0", leaderGauge(stack, shard), shard + " works");
      }
      for (String name : all) {
        String cluster = stack.admin.field("pdbb", name, "default", ".spec.dbClusterId");
        assertEquals(
            Integer.toString(Shard.bucket("cn-hangzhou", cluster)),
            stack.admin.field(
                "pdbb", name, "default", ".metadata.labels.polardbbackup\\.dev/shard-bucket"),
            name + " is labelled with its cluster's bucket");
      }
      String leases = stack.admin.ok("get", "lease", "-n", "polardb-backup-system", "-o", "name");
      assertTrue(
          leases.contains("polardb-backup-operator-shard-0-of-2")
              && leases.contains("polardb-backup-operator-shard-1-of-2"),
          leases);

      JsonNode ledger = stack.ledger();
      for (String name : all) {
        long made = 0;
        for (var e :
            (Iterable<Map.Entry<String, JsonNode>>) ledger.path("backupsByClientToken")::fields) {
          if (e.getKey().startsWith(uids.get(name))) {
            made += e.getValue().asLong();
          }
        }
        assertEquals(1, made, name + " made exactly one backup");
      }
      stack.assertNoSecretLeaked();
    }
  }
}
