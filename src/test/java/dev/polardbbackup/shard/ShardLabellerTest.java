package dev.polardbbackup.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.polardbbackup.backup.MockKubernetes;
import dev.polardbbackup.model.BackupTemplate;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupSchedule;
import dev.polardbbackup.model.PolarDBBackupScheduleSpec;
import dev.polardbbackup.model.PolarDBBackupSpec;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.javaoperatorsdk.operator.ReconcilerUtils;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The labeller gives a new backup its bucket and the controller's finalizer in one write (the
 * controller would otherwise spend a second on the finalizer), and loses nobody else's label or
 * finalizer doing it.
 */
class ShardLabellerTest {
  private static final String NAMESPACE = "team-a";
  private static final String REGION = "cn-hangzhou";
  private static final String CLUSTER = "pc-labelled";
  private static final String FOREIGN = "example.com/keep";
  private static final String OURS = ReconcilerUtils.getDefaultFinalizerName(PolarDBBackup.class);

  @RegisterExtension final MockKubernetes kubernetes = new MockKubernetes(() -> null);
  private final KubernetesClient client = kubernetes.client;
  private final int bucket = Shard.bucket(REGION, CLUSTER);
  // A shard of two that owns the cluster's bucket.
  private final Shard owner = new Shard(new Shard(0, 2).owns(bucket) ? 0 : 1, 2);
  private final ShardLabeller labeller = new ShardLabeller(client, ShardGuard.open(owner));

  private PolarDBBackup backup(String name) {
    PolarDBBackup backup =
        new PolarDBBackup(NAMESPACE, name, new PolarDBBackupSpec(CLUSTER, REGION));
    backup.getMetadata().setLabels(Map.of("team", "a"));
    backup.getMetadata().setFinalizers(List.of(FOREIGN));
    return client.resource(backup).create();
  }

  private PolarDBBackup get(String name) {
    return client.resources(PolarDBBackup.class).inNamespace(NAMESPACE).withName(name).get();
  }

  /** The modifications of {@code name} seen while {@code action} runs. */
  private List<PolarDBBackup> modificationsDuring(String name, Runnable action)
      throws InterruptedException {
    List<PolarDBBackup> seen = Collections.synchronizedList(new ArrayList<>());
    try (var watch =
        client
            .resources(PolarDBBackup.class)
            .inNamespace(NAMESPACE)
            .withName(name)
            .watch(
                new Watcher<>() {
                  @Override
                  public void eventReceived(Action kind, PolarDBBackup resource) {
                    if (kind == Action.MODIFIED) {
                      seen.add(resource);
                    }
                  }

                  @Override
                  public void onClose(WatcherException cause) {}
                })) {
      action.run();
      Thread.sleep(300);
    }
    return seen;
  }

  @Test
  void aNewBackupGetsItsBucketAndTheFinalizerInOneWriteAndKeepsTheRest() throws Exception {
    PolarDBBackup created = backup("new");

    List<PolarDBBackup> writes = modificationsDuring("new", () -> labeller.label(created));

    assertEquals(1, writes.size(), "one write: the label and the finalizer together");
    PolarDBBackup after = get("new");
    assertEquals(
        Map.of("team", "a", Shard.LABEL, Integer.toString(bucket)),
        after.getMetadata().getLabels());
    assertEquals(List.of(FOREIGN, OURS), after.getMetadata().getFinalizers());
  }

  @Test
  void aBackupChangedSinceItWasReadIsLeftForItsNextEvent() throws Exception {
    PolarDBBackup stale = backup("raced");
    PolarDBBackup current = get("raced");
    current.getMetadata().setFinalizers(List.of(FOREIGN, "example.com/other"));
    client.resource(current).update();

    labeller.label(stale);

    PolarDBBackup after = get("raced");
    assertEquals(List.of(FOREIGN, "example.com/other"), after.getMetadata().getFinalizers());
    assertNull(after.getMetadata().getLabels().get(Shard.LABEL), "nothing written over the change");
    labeller.label(after);
    assertEquals(
        List.of(FOREIGN, "example.com/other", OURS), get("raced").getMetadata().getFinalizers());
  }

  @Test
  void aBackupBeingDeletedGetsItsLabelButNoNewFinalizer() {
    backup("leaving");
    client.resources(PolarDBBackup.class).inNamespace(NAMESPACE).withName("leaving").delete();
    PolarDBBackup deleting = get("leaving");

    labeller.label(deleting);

    PolarDBBackup after = get("leaving");
    assertEquals(Integer.toString(bucket), after.getMetadata().getLabels().get(Shard.LABEL));
    assertEquals(List.of(FOREIGN), after.getMetadata().getFinalizers());
  }

  @Test
  void aScheduleGetsItsLabelAlone() {
    PolarDBBackupSchedule schedule =
        new PolarDBBackupSchedule(
            NAMESPACE,
            "nightly",
            new PolarDBBackupScheduleSpec(
                "0 3 * * *",
                null,
                new BackupTemplate(CLUSTER, REGION, null),
                null,
                null,
                null,
                null,
                null,
                null));
    HasMetadata created = client.resource(schedule).create();

    labeller.label(created);

    PolarDBBackupSchedule after =
        client
            .resources(PolarDBBackupSchedule.class)
            .inNamespace(NAMESPACE)
            .withName("nightly")
            .get();
    assertEquals(Map.of(Shard.LABEL, Integer.toString(bucket)), after.getMetadata().getLabels());
    assertEquals(
        List.of(),
        Optional.ofNullable(after.getMetadata().getFinalizers()).orElse(List.of()),
        "a schedule's controller keeps no finalizer");
  }
}
