package dev.polardbbackup.shard;

import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupPolicy;
import dev.polardbbackup.model.PolarDBBackupSchedule;
import dev.polardbbackup.model.PolarDBRestore;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives each new resource its bucket label, so that the shard that owns it sees it (a sharded
 * controller watches only its own buckets). Each shard watches the resources whose label is not a
 * bucket (missing, or a value such as "07" or "x" that no shard selects: {@code notin} matches
 * both), which are few and short-lived, and labels those in its own buckets: the label depends on
 * the resource alone, so two processes never disagree. Only a leader that may work labels; the
 * informer's resync brings back whatever arrived while it could not.
 */
public final class ShardLabeller implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ShardLabeller.class);
  private static final List<Class<? extends HasMetadata>> KINDS =
      List.of(
          PolarDBBackup.class,
          PolarDBBackupSchedule.class,
          PolarDBBackupPolicy.class,
          PolarDBRestore.class);

  private final KubernetesClient client;
  private final ShardGuard guard;
  private final List<SharedIndexInformer<? extends HasMetadata>> informers = new ArrayList<>();

  public ShardLabeller(KubernetesClient client, ShardGuard guard) {
    this.client = client;
    this.guard = guard;
  }

  /** Watches the unlabelled resources in {@code namespaces} (all namespaces if empty). */
  public void start(Set<String> namespaces, Duration resync) {
    if (!guard.shard().sharded()) {
      return;
    }
    for (Class<? extends HasMetadata> kind : KINDS) {
      watchKind(kind, namespaces, resync);
    }
    informers.forEach(SharedIndexInformer::start);
  }

  /** One informer for {@code kind} per watched namespace, or one over all of them. */
  private <T extends HasMetadata> void watchKind(
      Class<T> kind, Set<String> namespaces, Duration resync) {
    var resources = client.resources(kind);
    List<FilterWatchListDeletable<T, ?, ?>> scopes =
        namespaces.isEmpty()
            ? List.of(resources.inAnyNamespace())
            : namespaces.stream()
                .<FilterWatchListDeletable<T, ?, ?>>map(resources::inNamespace)
                .toList();
    for (var scope : scopes) {
      informers.add(
          watch(
              scope
                  .withLabelNotIn(Shard.LABEL, Shard.allBuckets())
                  .runnableInformer(resync.toMillis())));
    }
  }

  private <T extends HasMetadata> SharedIndexInformer<T> watch(SharedIndexInformer<T> informer) {
    informer.addEventHandler(
        new ResourceEventHandler<T>() {
          @Override
          public void onAdd(T resource) {
            label(resource);
          }

          @Override
          public void onUpdate(T old, T resource) {
            label(resource);
          }

          @Override
          public void onDelete(T resource, boolean unknownFinalState) {}
        });
    return informer;
  }

  void label(HasMetadata resource) {
    Map<String, String> labels = resource.getMetadata().getLabels();
    if (guard.fencedBy().isPresent()
        || Shard.parse(labels == null ? null : labels.get(Shard.LABEL)).isPresent()) {
      // A bucket, right or wrong, puts it before a shard, whose guard corrects a wrong one.
      return;
    }
    try {
      int bucket = ShardKey.initial(resource, client);
      if (!guard.shard().owns(bucket)) {
        return;
      }
      ShardGuard.label(resource, bucket, client);
      log.debug(
          "labelled {}/{} bucket {}",
          resource.getMetadata().getNamespace(),
          resource.getMetadata().getName(),
          bucket);
    } catch (KubernetesClientException e) {
      // Gone, or the API server is away: the next resync tries again while it is unlabelled.
      log.info(
          "cannot label {} {}/{} yet: {}",
          resource.getKind(),
          resource.getMetadata().getNamespace(),
          resource.getMetadata().getName(),
          e.getMessage() == null ? e.getClass().getSimpleName() : e.getCode());
    }
  }

  @Override
  public void close() {
    informers.forEach(SharedIndexInformer::close);
  }
}
