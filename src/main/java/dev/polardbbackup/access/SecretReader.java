package dev.polardbbackup.access;

import dev.polardbbackup.kube.JsonPatch;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads Secrets one at a time by GET, in any namespace, and keeps each one it found for a short
 * while. Nothing here lists or watches Secrets: an informer would hold every Secret of every
 * watched namespace in memory (Helm keeps each release in one), and a leak of the operator's memory
 * would expose them all. Only the Secrets that are asked for are kept, each for {@code ttl}, so the
 * memory is bounded by the Secrets in use.
 *
 * <p>A Secret that is not found is not kept: the next read asks again. A Secret whose content
 * turned out to be unusable (invalid, or refused by the cloud) is dropped with {@link #forget}, so
 * a fixed one is read at the next attempt rather than after the rest of its time to live.
 *
 * <p>The returned objects are shared with the cache: callers must not change them.
 */
public final class SecretReader {
  private final KubernetesClient client;
  private final Clock clock;
  private final Duration ttl;
  private final ConcurrentHashMap<Key, Entry> cache = new ConcurrentHashMap<>();
  private volatile Instant lastSweep = Instant.MIN;

  private record Key(String namespace, String name) {}

  private record Entry(Secret secret, Instant readAt) {}

  public SecretReader(KubernetesClient client, Clock clock, Duration ttl) {
    this.client = client;
    this.clock = clock;
    this.ttl = ttl;
  }

  /** The Secret as read at most {@code ttl} ago, or read now; empty if it does not exist. */
  public Optional<Secret> get(String namespace, String name) {
    Entry entry = cache.get(new Key(namespace, name));
    if (entry != null && fresh(entry)) {
      return Optional.of(entry.secret());
    }
    return read(namespace, name);
  }

  /** The Secret as the API server has it now (a GET whatever the cache holds). */
  public Optional<Secret> read(String namespace, String name) {
    Secret secret = client.secrets().inNamespace(namespace).withName(name).get();
    if (secret == null) {
      cache.remove(new Key(namespace, name));
      return Optional.empty();
    }
    remember(secret);
    return Optional.of(secret);
  }

  /**
   * Keeps {@code secret} as the current version of itself, e.g. the object a patch returned (it is
   * newer than what a GET just before the patch gave).
   */
  public void remember(Secret secret) {
    Instant now = clock.instant();
    cache.put(
        new Key(secret.getMetadata().getNamespace(), secret.getMetadata().getName()),
        new Entry(secret, now));
    sweep(now);
  }

  /**
   * Drops the kept copy of a Secret whose content did not work, so the next {@link #get} reads it
   * again. Only the version that did not work is dropped ({@code resourceVersion}; null drops any):
   * a newer version that another caller read meanwhile stays.
   */
  public void forget(String namespace, String name, String resourceVersion) {
    cache.computeIfPresent(
        new Key(namespace, name),
        (k, e) ->
            resourceVersion == null
                    || Objects.equals(
                        resourceVersion, e.secret().getMetadata().getResourceVersion())
                ? null
                : e);
  }

  /**
   * Adds {@code finalizer} to the Secret, unless it has it or is being deleted (no finalizer can be
   * added then), and returns the Secret as it is now.
   */
  public Secret addFinalizer(Secret secret, String finalizer) {
    Secret current = secret;
    for (int attempt = 0; ; attempt++) {
      var meta = current.getMetadata();
      List<String> finalizers = meta.getFinalizers() == null ? List.of() : meta.getFinalizers();
      if (finalizers.contains(finalizer) || meta.getDeletionTimestamp() != null) {
        return current;
      }
      List<String> wanted = new ArrayList<>(finalizers);
      wanted.add(finalizer);
      try {
        Secret patched = patchFinalizers(current, wanted);
        remember(patched);
        return patched;
      } catch (KubernetesClientException e) {
        if (e.getCode() == 404) {
          cache.remove(new Key(meta.getNamespace(), meta.getName()));
          return current;
        }
        if (attempt >= 2 || e.getCode() != 409) {
          throw e;
        }
        Optional<Secret> fresh = read(meta.getNamespace(), meta.getName());
        if (fresh.isEmpty()) {
          return current;
        }
        current = fresh.get();
      }
    }
  }

  /** Removes {@code finalizer} from the Secret as the API server has it now, if it is there. */
  public void removeFinalizer(String namespace, String name, String finalizer) {
    for (int attempt = 0; ; attempt++) {
      Optional<Secret> current = read(namespace, name);
      List<String> finalizers = current.map(s -> s.getMetadata().getFinalizers()).orElse(null);
      if (finalizers == null || !finalizers.contains(finalizer)) {
        return;
      }
      List<String> wanted = new ArrayList<>(finalizers);
      wanted.remove(finalizer);
      try {
        remember(patchFinalizers(current.get(), wanted));
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() == 404) {
          cache.remove(new Key(namespace, name));
          return;
        }
        if (attempt >= 2 || e.getCode() != 409) {
          throw e;
        }
      }
    }
  }

  /**
   * A JSON patch of the finalizers alone, applied only to the version they were computed from
   * ({@link JsonPatch}): another controller's finalizer added a moment ago is never lost, and
   * nothing else is touched. An emptied list is removed: the Secret, if being deleted, then goes.
   */
  private Secret patchFinalizers(Secret secret, List<String> finalizers) {
    var meta = secret.getMetadata();
    String change =
        finalizers.isEmpty()
            ? "{\"op\":\"remove\",\"path\":\"/metadata/finalizers\"}"
            : "{\"op\":\"add\",\"path\":\"/metadata/finalizers\",\"value\":["
                + String.join(",", finalizers.stream().map(JsonPatch::quoted).toList())
                + "]}";
    return client
        .secrets()
        .inNamespace(meta.getNamespace())
        .withName(meta.getName())
        .patch(
            PatchContext.of(PatchType.JSON),
            JsonPatch.atVersion(meta.getResourceVersion(), List.of(change)));
  }

  /** How many Secrets are kept now; for tests. */
  int size() {
    return cache.size();
  }

  private boolean fresh(Entry entry) {
    return Duration.between(entry.readAt(), clock.instant()).compareTo(ttl) < 0;
  }

  /** Entries past their time are removed at most once per {@code ttl}, so none stays for ever. */
  private void sweep(Instant now) {
    if (Duration.between(lastSweep, now).compareTo(ttl) < 0) {
      return;
    }
    lastSweep = now;
    cache.values().removeIf(e -> !fresh(e));
  }
}
