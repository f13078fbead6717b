package dev.polardbbackup.backup;

import static dev.polardbbackup.backup.OperatorHarness.CLUSTER;
import static dev.polardbbackup.backup.OperatorHarness.REGION;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.model.DeletionPolicy;
import dev.polardbbackup.model.Phase;
import dev.polardbbackup.model.PolarDBBackupSpec;
import dev.polardbbackup.model.Reasons;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the operator keeps per cluster is bounded by the PolarDBBackups that exist, not by every
 * cluster id a tenant ever typed: deleting a cluster's last backup forgets the cluster.
 */
class ForgettingClustersTest {
  private static final int REAL_CLUSTERS = 8;
  private static final int MADE_UP_CLUSTERS = 4;

  @RegisterExtension final MockKubernetes kubernetes = new MockKubernetes(() -> this.harness);
  private final KubernetesClient client = kubernetes.client;
  private OperatorHarness harness;

  /** The clusters the metrics would have series for: heard of and not forgotten since. */
  private final Set<ClusterRef> metered = ConcurrentHashMap.newKeySet();

  private final BackupListener meters =
      new BackupListener() {
        @Override
        public void backupStarted(String regionId, String dbClusterId) {
          metered.add(new ClusterRef(regionId, dbClusterId));
        }

        @Override
        public void backupSucceeded(String regionId, String dbClusterId, Instant completedAt) {
          metered.add(new ClusterRef(regionId, dbClusterId));
        }

        @Override
        public void backupFailed(String regionId, String dbClusterId, String reason) {
          metered.add(new ClusterRef(regionId, dbClusterId));
        }

        @Override
        public void quotaWait(String regionId, String dbClusterId) {
          metered.add(new ClusterRef(regionId, dbClusterId));
        }

        @Override
        public void clusterForgotten(String regionId, String dbClusterId) {
          metered.remove(new ClusterRef(regionId, dbClusterId));
        }
      };

  @Test
  void deletingTheLastBackupOfEachClusterForgetsTheCluster() throws Exception {
    var emulator = OperatorHarness.emulator();
    for (int i = 0; i < REAL_CLUSTERS; i++) {
      emulator.cluster("pc-real" + i, REGION);
    }
    harness =
        new OperatorHarness(client, emulator.build(), OperatorHarness.fastSettings())
            .withListener(meters)
            .start();
    // A cluster that keeps one backup, and loses another: it must stay remembered.
    harness.create("stays", DeletionPolicy.Retain);
    harness.create("goes-too", DeletionPolicy.Retain);
    List<String> doomed = new ArrayList<>(List.of("goes-too"));
    Set<ClusterRef> forgettable = new java.util.HashSet<>();
    for (int i = 0; i < REAL_CLUSTERS; i++) {
      harness.create(
          "real-" + i, new PolarDBBackupSpec("pc-real" + i, REGION, DeletionPolicy.Delete, null));
      doomed.add("real-" + i);
      forgettable.add(new ClusterRef(REGION, "pc-real" + i));
    }
    for (int i = 0; i < MADE_UP_CLUSTERS; i++) {
      harness.create("made-up-" + i, new PolarDBBackupSpec("pc-madeup" + i, REGION));
      doomed.add("made-up-" + i);
      forgettable.add(new ClusterRef(REGION, "pc-madeup" + i));
    }
    harness.awaitPhase("stays", Phase.Succeeded);
    harness.awaitPhase("goes-too", Phase.Succeeded);
    for (int i = 0; i < REAL_CLUSTERS; i++) {
      harness.awaitPhase("real-" + i, Phase.Succeeded);
    }
    for (int i = 0; i < MADE_UP_CLUSTERS; i++) {
      // Failed, not merely waiting: the mock server cannot apply the finalizer's removal when it
      // races a status write (a JSON patch whose "move" misses a status field), a mock artefact.
      assertEquals(
          Reasons.CLUSTER_NOT_FOUND,
          harness.awaitPhase("made-up-" + i, Phase.Failed).getStatus().getReason());
    }
    ClusterRef kept = new ClusterRef(REGION, CLUSTER);
    Set<ClusterRef> remembered = harness.reconciler.rememberedClusters();
    assertTrue(
        remembered.containsAll(forgettable) && remembered.contains(kept), remembered::toString);
    assertTrue(metered.contains(kept), metered::toString);

    doomed.forEach(harness::delete);
    doomed.forEach(harness::awaitGone);

    assertEquals(Set.of(kept), harness.reconciler.rememberedClusters());
    assertEquals(Set.of(kept), metered);
  }
}
