package dev.polardbbackup.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * The controller's own objects as its informer holds them, for rules that look at the others ("no
 * other backup holds this set", "no other backup uses this Secret", "the older policy of this
 * cluster"). JOSDK empties an informer's cache when it stops it, while reconciles may still run
 * until the shutdown timeout: an empty list then reads as "there are no others", which is how a
 * stopping replica could take a set that another backup holds or let a Secret go that others still
 * need. So a stopped cache is not read; the pass fails and is tried again (by the next leader).
 */
public final class LiveCache {
  private LiveCache() {}

  /** The informer behind a reconcile's primary cache has stopped. */
  public static final class StoppedException extends RuntimeException {
    StoppedException() {
      super("the controller's informer has stopped (the operator is shutting down)");
    }
  }

  /** Every object in the primary cache, or {@link StoppedException} when the cache has stopped. */
  public static <P extends HasMetadata> Stream<P> list(Context<P> context) {
    return list(
        context.eventSourceRetriever().getControllerEventSource().isRunning(),
        () -> context.getPrimaryCache().list());
  }

  /**
   * The objects of the primary cache under one key of one of its indexes, or {@link
   * StoppedException} when the cache has stopped. A missing key is an error, never read as "there
   * are none".
   */
  public static <P extends HasMetadata> Stream<P> byIndex(
      Context<P> context, String index, String key) {
    Objects.requireNonNull(key, "the key to read the cache's index " + index + " by");
    return list(
        context.eventSourceRetriever().getControllerEventSource().isRunning(),
        () -> context.getPrimaryCache().byIndex(index, key).stream());
  }

  static <P> Stream<P> list(boolean running, java.util.function.Supplier<Stream<P>> cache) {
    if (!running) {
      throw new StoppedException();
    }
    return cache.get();
  }
}
