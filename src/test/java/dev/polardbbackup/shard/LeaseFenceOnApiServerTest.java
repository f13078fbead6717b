package dev.polardbbackup.shard;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.polardbbackup.backup.MockKubernetes;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupSpec;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The fence reading real Lease objects: a new layout's leader holds every resource while the old
 * layout's Lease is alive, and works once it is released.
 */
class LeaseFenceOnApiServerTest {
  private static final String NAMESPACE = "polardb-backup-system";
  private static final String BASE = "polardb-backup-operator";

  @RegisterExtension final MockKubernetes kubernetes = new MockKubernetes(() -> null);
  private final KubernetesClient client = kubernetes.client;

  private Lease lease(String name, String holder, ZonedDateTime acquired) {
    return client
        .resource(
            new LeaseBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(NAMESPACE)
                .endMetadata()
                .withNewSpec()
                .withHolderIdentity(holder)
                .withLeaseDurationSeconds(15)
                .withAcquireTime(acquired)
                .withRenewTime(ZonedDateTime.now())
                .endSpec()
                .build())
        .create();
  }

  @Test
  void theNewLayoutWaitsForTheOldLeaseThenWorks() {
    Lease old = lease(BASE, "old-pod", ZonedDateTime.now().minusHours(1));
    Shard shard = new Shard(1, 2);
    lease(shard.leaseName(BASE), "me", ZonedDateTime.now());
    ShardGuard guard = ShardGuard.fenced(shard, Duration.ofMillis(100));
    PolarDBBackup backup =
        new PolarDBBackup("team-a", "b", new PolarDBBackupSpec("pc-x", "cn-hangzhou"));
    int bucket = Shard.bucket("cn-hangzhou", "pc-x");
    backup.getMetadata().setLabels(Map.of(Shard.LABEL, Integer.toString(bucket)));
    ShardGuard.Placement itsPlace =
        shard.owns(bucket) ? ShardGuard.Placement.HERE : ShardGuard.Placement.ELSEWHERE;
    assertEquals(ShardGuard.Placement.FENCED, guard.place(backup, client), "before any look");

    try (LeaseFence fence = startedFence(guard)) {
      awaitFencedBy(guard, "old-pod");
      assertEquals(ShardGuard.Placement.FENCED, guard.place(backup, client));

      // The old operator stops and releases its Lease (or it expires): the new one works.
      old.getSpec().setHolderIdentity("");
      client.resource(old).update();
      await().atMost(Duration.ofSeconds(5)).until(() -> guard.fencedBy().isEmpty());
      assertEquals(itsPlace, guard.place(backup, client));
    }
  }

  @Test
  void aReplicaThatDoesNotHoldItsShardsLeaseDoesNoWork() {
    ShardGuard guard = ShardGuard.fenced(new Shard(0, 2), Duration.ofMillis(100));
    try (LeaseFence fence = startedFence(guard)) {
      awaitFencedBy(guard, "does not hold");
    }
  }

  /** The fence of replica "me", looking every 100 ms. */
  private LeaseFence startedFence(ShardGuard guard) {
    LeaseFence fence =
        new LeaseFence(
            client, NAMESPACE, BASE, "me", guard, Duration.ofMillis(100), Clock.systemUTC());
    fence.start();
    return fence;
  }

  private static void awaitFencedBy(ShardGuard guard, String why) {
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> guard.fencedBy().map(w -> w.contains(why)).orElse(false));
  }
}
