package dev.polardbbackup.backup;

import dev.polardbbackup.polardb.ApiResult;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * One look at a cluster answers for every backup of it: DescribeBackupTasks and DescribeBackups
 * list all of a cluster's jobs and manual backups, so backups of one cluster that are checked
 * within the same short window share one call instead of making one each. Alibaba throttles OpenAPI
 * calls per account, so this is the difference between one call per backup per poll and one call
 * per cluster per poll. Failures are never shared: the next caller asks again.
 */
final class ClusterObservations {

  /** What is looked at: a kind of look at a cluster with one credential. */
  record Key(ClusterRef cluster, String what, String credential) {}

  /** What a look returned and when; {@code value} is the successful result. */
  private record Look(ApiResult<?> result, Instant at, Instant answeredAt) {}

  private final Clock clock;
  private final Map<Key, Look> looks = new ConcurrentHashMap<>();
  private final Map<Key, Object> locks = new ConcurrentHashMap<>();

  ClusterObservations(Clock clock) {
    this.clock = clock;
  }

  /**
   * The result of {@code fetch} for {@code key}, reusing a successful one taken at or after {@code
   * notBefore}. Concurrent callers for one key wait for a single fetch.
   */
  <T> ApiResult<T> look(Key key, Instant notBefore, Supplier<ApiResult<T>> fetch) {
    return look(key, notBefore, fetch, false);
  }

  /**
   * {@link #look}, but a failed result is shared too, until it is older than {@code notBefore}: for
   * looks that can wait (the re-checks of Succeeded backups), so that a refusal or throttling costs
   * one call per cluster and interval, not one per backup.
   */
  <T> ApiResult<T> lookSharingFailures(Key key, Instant notBefore, Supplier<ApiResult<T>> fetch) {
    return look(key, notBefore, fetch, true);
  }

  @SuppressWarnings("unchecked")
  private <T> ApiResult<T> look(
      Key key, Instant notBefore, Supplier<ApiResult<T>> fetch, boolean shareFailures) {
    synchronized (locks.computeIfAbsent(key, k -> new Object())) {
      Look cached = looks.get(key);
      if (cached != null && !cached.at().isBefore(notBefore)) {
        return (ApiResult<T>) cached.result();
      }
      Instant at = clock.instant();
      ApiResult<T> result = fetch.get();
      if (result.isOk() || shareFailures) {
        looks.put(key, new Look(result, at, clock.instant()));
      } else {
        looks.remove(key);
      }
      return result;
    }
  }

  /**
   * Drops every look, and its lock, of {@code cluster}: it has no backup left. A fetch running
   * meanwhile is only no longer shared.
   */
  void forget(ClusterRef cluster) {
    looks.keySet().removeIf(key -> key.cluster().equals(cluster));
    locks.keySet().removeIf(key -> key.cluster().equals(cluster));
  }

  /** The clusters this holds a look or a lock for. */
  java.util.Set<ClusterRef> clusters() {
    java.util.Set<ClusterRef> clusters = new java.util.HashSet<>();
    looks.keySet().forEach(key -> clusters.add(key.cluster()));
    locks.keySet().forEach(key -> clusters.add(key.cluster()));
    return clusters;
  }

  /** When the look that {@code key} holds was taken, if it holds one. */
  java.util.Optional<Instant> takenAt(Key key) {
    return java.util.Optional.ofNullable(looks.get(key)).map(Look::at);
  }

  /** When PolarDB answered the look that {@code key} holds, if it holds one. */
  java.util.Optional<Instant> answeredAt(Key key) {
    return java.util.Optional.ofNullable(looks.get(key)).map(Look::answeredAt);
  }

  /** The last successful look for {@code key} taken at or after {@code notBefore}, if any. */
  @SuppressWarnings("unchecked")
  <T> java.util.Optional<T> recent(Key key, Instant notBefore) {
    Look cached = looks.get(key);
    return cached != null && cached.result().isOk() && !cached.at().isBefore(notBefore)
        ? java.util.Optional.of(((ApiResult<T>) cached.result()).value())
        : java.util.Optional.empty();
  }
}
