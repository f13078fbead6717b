package dev.polardbbackup.access;

import dev.polardbbackup.model.PolarDBAccessGrant;
import dev.polardbbackup.polardb.CredentialsProvider;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One controller's view of the PolarDBAccessGrants and the namespaces' labels, and the objects of
 * its kind that wait for a grant: a change of any grant, or of a waiting object's namespace, wakes
 * them. A refused object waits without a timer.
 *
 * @param <P> the controller's kind
 */
public final class GrantWatch<P extends HasMetadata> {
  private final Class<P> kind;
  // Objects deciding on, or refused, a grant. An object joins before it reads the grants, so a
  // change that its read missed still wakes it.
  private final Set<ResourceID> awaitingGrant = ConcurrentHashMap.newKeySet();
  private InformerEventSource<PolarDBAccessGrant, P> grants;
  private InformerEventSource<Namespace, P> namespaces;

  public GrantWatch(Class<P> kind) {
    this.kind = kind;
  }

  /** The grant and namespace informers, each over the whole cluster, for the controller's list. */
  public List<EventSource<?, P>> eventSources(EventSourceContext<P> context) {
    grants =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(PolarDBAccessGrant.class, kind)
                .withSecondaryToPrimaryMapper(
                    (PolarDBAccessGrant g) -> Set.copyOf(stillThere(context)))
                // Cluster-scoped: one informer over the cluster, whatever the controller watches.
                .withWatchAllNamespaces()
                .build(),
            context);
    namespaces =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Namespace.class, kind)
                .withSecondaryToPrimaryMapper(
                    (Namespace ns) ->
                        stillThere(context).stream()
                            .filter(
                                id ->
                                    id.getNamespace().orElse("").equals(ns.getMetadata().getName()))
                            .collect(Collectors.toSet()))
                .withWatchAllNamespaces()
                .build(),
            context);
    return List.of(grants, namespaces);
  }

  /**
   * The waiters, less those that are gone: a kind without a finalizer is never told of a deletion,
   * so the set is pruned here, at each grant or namespace change, and stays bounded by the objects
   * that exist.
   */
  private Set<ResourceID> stillThere(EventSourceContext<P> context) {
    awaitingGrant.removeIf(id -> context.getPrimaryCache().get(id).isEmpty());
    return awaitingGrant;
  }

  /**
   * What {@link CloudAccess} decides with: grants and namespace labels as the informers hold them
   * when it decides (so the informers made by {@link #eventSources} are the ones used).
   */
  public CloudAccess.Sources sources(
      CredentialsProvider operatorCredentials, SecretReader secrets, String operatorNamespace) {
    return new CloudAccess.Sources(
        operatorCredentials,
        secrets,
        operatorNamespace,
        () -> grants == null ? Stream.empty() : grants.list(),
        namespace ->
            namespaces == null
                ? null
                : namespaces
                    .get(new ResourceID(namespace))
                    .map(ns -> ns.getMetadata().getLabels())
                    .orElse(null),
        awaitingGrant,
        () -> synced(grants) && synced(namespaces));
  }

  /**
   * An informer that runs and has listed: what it holds is the cluster's state. A stopped one has
   * an empty cache (JOSDK clears it on stop), which would read as "no grants".
   */
  private static boolean synced(InformerEventSource<?, ?> informer) {
    if (informer == null || !informer.isRunning()) {
      return false;
    }
    var informers = informer.informerHealthIndicators();
    return !informers.isEmpty()
        && informers.values().stream().allMatch(i -> i.isRunning() && i.hasSynced());
  }

  /** How many objects wait for a grant now; for tests. */
  public int waiting() {
    return awaitingGrant.size();
  }

  /** The object is gone: it waits for nothing any more. */
  public void forget(ResourceID id) {
    awaitingGrant.remove(id);
  }
}
