package dev.polardbbackup.backup;

import static dev.polardbbackup.backup.OperatorHarness.NAMESPACE;
import static dev.polardbbackup.backup.OperatorHarness.REGION;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.emulator.Ledger;
import dev.polardbbackup.emulator.PolarDbEmulator;
import dev.polardbbackup.model.Phase;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupSpec;
import dev.polardbbackup.shard.Shard;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.ReconcilerUtils;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two operators, each one shard of two, on one API server and one PolarDB: every cluster's backups
 * are made by one of them only, whatever the user labelled, and a change of layout in the middle of
 * backups makes no second call.
 */
class ShardedOperatorsTest {
  @RegisterExtension final MockKubernetes kubernetes = new MockKubernetes(() -> this.last);
  private final KubernetesClient client = kubernetes.client;
  private final List<OperatorHarness> earlier = new ArrayList<>();
  private OperatorHarness last;

  private static final int CLUSTERS = 8;
  private static final int PER_CLUSTER = 3;

  /** The clusters a process started a backup of (or waited on quota for). */
  private static final class Started implements BackupListener {
    final Set<String> clusters = ConcurrentHashMap.newKeySet();

    @Override
    public void backupStarted(String regionId, String dbClusterId) {
      clusters.add(dbClusterId);
    }

    @Override
    public void quotaWait(String regionId, String dbClusterId) {
      clusters.add(dbClusterId);
    }
  }

  private static String cluster(int c) {
    return "pc-shard" + c;
  }

  private static PolarDbEmulator emulator(Duration backupDuration) {
    PolarDbEmulator.Builder builder = OperatorHarness.emulator().backupDuration(backupDuration);
    for (int c = 1; c <= CLUSTERS; c++) {
      builder.cluster(cluster(c), REGION);
    }
    return builder.build();
  }

  private OperatorHarness operator(PolarDbEmulator emulator, Shard shard, Started started)
      throws Exception {
    if (last != null) {
      earlier.add(last);
    }
    last =
        new OperatorHarness(client, emulator, OperatorHarness.fastSettings())
            .asShard(shard.index(), shard.count())
            .withListener(started)
            .start();
    return last;
  }

  @AfterEach
  void closeEarlierOperators() {
    earlier.forEach(OperatorHarness::close);
  }

  private List<String> createBackups() {
    List<String> names = new ArrayList<>();
    for (int k = 0; k < PER_CLUSTER; k++) {
      for (int c = 1; c <= CLUSTERS; c++) {
        String name = "b" + c + "-" + k;
        last.create(name, new PolarDBBackupSpec(cluster(c), REGION));
        names.add(name);
      }
    }
    return names;
  }

  private static Set<String> ownedBy(Shard shard) {
    Set<String> owned = new HashSet<>();
    for (int c = 1; c <= CLUSTERS; c++) {
      if (shard.owns(Shard.bucket(REGION, cluster(c)))) {
        owned.add(cluster(c));
      }
    }
    return owned;
  }

  /** Exactly one backup per resource, each made with its own token, and one CreateBackup each. */
  private void assertExactlyOnce(Ledger ledger, List<String> names) {
    for (String name : names) {
      String uid = last.get(name).getMetadata().getUid();
      assertEquals(
          1,
          OperatorHarness.madeWithTokensOf(ledger, uid).size(),
          name + " made exactly one backup");
    }
    assertEquals(names.size(), ledger.callsTo("CreateBackup").size(), "one CreateBackup each");
  }

  @Test
  void twoShardsShareTheClustersAndNeverSplitOne() throws Exception {
    Shard zero = new Shard(0, 2);
    Shard one = new Shard(1, 2);
    assertFalse(ownedBy(zero).isEmpty() || ownedBy(one).isEmpty(), "both shards own clusters");
    PolarDbEmulator emulator = emulator(Duration.ofMillis(600));
    Started byZero = new Started();
    Started byOne = new Started();
    operator(emulator, zero, byZero);
    operator(emulator, one, byOne);

    List<String> names = createBackups();
    for (String name : names) {
      PolarDBBackup done = last.awaitPhase(name, Phase.Succeeded);
      assertEquals(
          Integer.toString(Shard.bucket(REGION, done.getSpec().dbClusterId())),
          done.getMetadata().getLabels().get(Shard.LABEL),
          name + " carries its cluster's bucket");
    }
    assertEquals(ownedBy(zero), byZero.clusters, "shard 0 worked on its own clusters only");
    assertEquals(ownedBy(one), byOne.clusters, "shard 1 worked on its own clusters only");
    assertExactlyOnce(emulator.ledger(), names);
  }

  @Test
  void aBackupLabelledForTheWrongShardIsHandedToItsClustersShard() throws Exception {
    Shard zero = new Shard(0, 2);
    Shard one = new Shard(1, 2);
    PolarDbEmulator emulator = emulator(Duration.ofMillis(600));
    Started byZero = new Started();
    Started byOne = new Started();
    operator(emulator, zero, byZero);
    operator(emulator, one, byOne);
    String target = ownedBy(zero).iterator().next();
    // A user (or a copied manifest) puts it in a bucket of the other shard.
    int wrong = Shard.bucket(REGION, ownedBy(one).iterator().next());
    PolarDBBackup backup =
        new PolarDBBackup(NAMESPACE, "mislabelled", new PolarDBBackupSpec(target, REGION));
    backup.getMetadata().setLabels(Map.of(Shard.LABEL, Integer.toString(wrong)));
    client.resource(backup).create();

    PolarDBBackup done = last.awaitPhase("mislabelled", Phase.Succeeded);
    assertEquals(
        Integer.toString(Shard.bucket(REGION, target)),
        done.getMetadata().getLabels().get(Shard.LABEL));
    assertEquals(Set.of(target), byZero.clusters, "the cluster's own shard made it");
    assertTrue(byOne.clusters.isEmpty(), "the shard it was labelled for made nothing");
    assertExactlyOnce(emulator.ledger(), List.of("mislabelled"));
  }

  @Test
  void goingFromOneShardToTwoInTheMiddleOfBackupsMakesNoSecondCall() throws Exception {
    // Backups take 4 s: the unsharded operator starts them all, then stops; two shards, which
    // find the resources unlabelled, label them and follow them to the end.
    PolarDbEmulator emulator = emulator(Duration.ofSeconds(4));
    Started byOld = new Started();
    operator(emulator, Shard.ONLY, byOld);
    List<String> names = createBackups();
    for (String name : names) {
      last.awaitThat(
          name,
          b -> b.getStatus() != null && b.getStatus().getBackupJobId() != null,
          Duration.ofSeconds(20));
    }
    last.stopOperator();
    assertTrue(
        names.stream().noneMatch(n -> last.get(n).getStatus().getPhase() == Phase.Succeeded),
        "the layout changes while every backup runs");

    Started byZero = new Started();
    Started byOne = new Started();
    operator(emulator, new Shard(0, 2), byZero);
    operator(emulator, new Shard(1, 2), byOne);
    for (String name : names) {
      last.awaitPhase(name, Phase.Succeeded);
    }
    assertTrue(byZero.clusters.isEmpty() && byOne.clusters.isEmpty(), "no backup started again");
    assertExactlyOnce(emulator.ledger(), names);
  }

  @Test
  void aBackupDeletedBeforeItsShardFirstActsGoesWithoutACall() throws Exception {
    // The labeller gives a new backup its bucket and the controller's finalizer in one write
    // (ShardLabellerTest; the mock API server cannot serve the labeller's selector, so the backup
    // is created as that write leaves it). The user deletes it before the shard's controller has
    // reconciled it once: the finalizer is the controller's, which must let it go without a call.
    Shard zero = new Shard(0, 2);
    String target = ownedBy(zero).iterator().next();
    PolarDbEmulator emulator = emulator(Duration.ofMillis(600));
    PolarDBBackup backup =
        new PolarDBBackup(NAMESPACE, "short-lived", new PolarDBBackupSpec(target, REGION));
    backup
        .getMetadata()
        .setLabels(Map.of(Shard.LABEL, Integer.toString(Shard.bucket(REGION, target))));
    backup
        .getMetadata()
        .setFinalizers(List.of(ReconcilerUtils.getDefaultFinalizerName(PolarDBBackup.class)));
    client.resource(backup).create();
    client.resources(PolarDBBackup.class).inNamespace(NAMESPACE).withName("short-lived").delete();
    assertTrue(
        client
                .resources(PolarDBBackup.class)
                .inNamespace(NAMESPACE)
                .withName("short-lived")
                .get()
                .getMetadata()
                .getDeletionTimestamp()
            != null,
        "the finalizer holds it until its shard has acted");

    operator(emulator, zero, new Started());
    last.awaitGone("short-lived");
    assertEquals(0, emulator.ledger().callsTo("CreateBackup").size(), "no backup was made");
  }
}
