package dev.polardbbackup.shard;

import dev.polardbbackup.kube.JsonPatch;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupPolicy;
import dev.polardbbackup.model.PolarDBBackupSchedule;
import dev.polardbbackup.model.PolarDBRestore;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.javaoperatorsdk.operator.ReconcilerUtils;
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
  // The kinds whose controller keeps a finalizer on each resource (JOSDK's default name).
  private static final Set<Class<? extends HasMetadata>> FINALIZED =
      Set.of(PolarDBBackup.class, PolarDBRestore.class);

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
      labelAndHold(resource, bucket);
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

  /**
   * Sets the bucket label and, on a kind that has one, the controller's finalizer, in one request:
   * otherwise the controller's first act would be a second request for the finalizer. The patch
   * applies to the version read only (a change meanwhile makes it fail, and that change brings the
   * resource back here), so no other label or finalizer is lost. A resource being deleted gets the
   * label alone: the API server takes no new finalizer then, and there is nothing to hold.
   */
  private void labelAndHold(HasMetadata resource, int bucket) {
    var meta = resource.getMetadata();
    String label = JsonPatch.pointerStep(Shard.LABEL);
    String value = JsonPatch.quoted(Integer.toString(bucket));
    List<String> operations = new ArrayList<>();
    // No labels read as an empty map, and a JSON patch cannot add a key under a missing path.
    operations.add(
        meta.getLabels() == null || meta.getLabels().isEmpty()
            ? "{\"op\":\"add\",\"path\":\"/metadata/labels\",\"value\":{"
                + JsonPatch.quoted(Shard.LABEL)
                + ":"
                + value
                + "}}"
            : "{\"op\":\"add\",\"path\":\"/metadata/labels/"
                + label
                + "\",\"value\":"
                + value
                + "}");
    if (FINALIZED.contains(resource.getClass()) && meta.getDeletionTimestamp() == null) {
      String finalizer = ReconcilerUtils.getDefaultFinalizerName(resource.getClass());
      List<String> finalizers = meta.getFinalizers() == null ? List.of() : meta.getFinalizers();
      if (!finalizers.contains(finalizer)) {
        String quoted = JsonPatch.quoted(finalizer);
        operations.add(
            finalizers.isEmpty()
                ? "{\"op\":\"add\",\"path\":\"/metadata/finalizers\",\"value\":[" + quoted + "]}"
                : "{\"op\":\"add\",\"path\":\"/metadata/finalizers/-\",\"value\":" + quoted + "}");
      }
    }
    client
        .resource(resource)
        .patch(
            PatchContext.of(PatchType.JSON),
            JsonPatch.atVersion(meta.getResourceVersion(), operations));
  }

  @Override
  public void close() {
    informers.forEach(SharedIndexInformer::close);
  }
}
