package dev.polardbbackup.backup;

import dev.polardbbackup.model.Phase;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.Reasons;
import java.util.Comparator;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * Fair access to a cluster's manual-backup slots. Backups waiting for quota on the same cluster are
 * served oldest first (creation time, then name): a younger one does not call CreateBackup while an
 * older one waits, so a freed slot goes to the oldest and the others do not stampede. Only a waiter
 * that can proceed holds its place: one that is paused, being deleted, or stuck on a problem only a
 * person can fix does not hold back the cluster's younger backups. And within this process at most
 * one CreateBackup per cluster is in flight.
 */
final class ClusterQueue {

  private static final Comparator<PolarDBBackup> AGE =
      Comparator.comparing(
              (PolarDBBackup b) -> b.getMetadata().getCreationTimestamp(),
              Comparator.nullsLast(Comparator.naturalOrder()))
          .thenComparing(b -> b.getMetadata().getNamespace())
          .thenComparing(b -> b.getMetadata().getName());

  /**
   * The last word a waiter heard that still lets it proceed by itself: the quota or the queue, or a
   * passing API hiccup that its own retries clear (when PolarDB throttles, every waiter hears it;
   * letting each younger one jump ahead then is the stampede this queue exists to prevent). Any
   * other reason (a missing or invalid Secret, refused credentials, a cluster that this waiter
   * cannot find or that is not ready) waits for a person, and must not hold the line meanwhile.
   */
  private static final Set<String> CAN_PROCEED =
      Set.of(
          Reasons.WAITING_FOR_QUOTA,
          Reasons.QUEUED,
          Reasons.API_THROTTLED,
          Reasons.API_UNAVAILABLE,
          Reasons.OUTCOME_UNKNOWN);

  private final ConcurrentHashMap<ClusterRef, ReentrantLock> inFlight = new ConcurrentHashMap<>();

  /**
   * The oldest other backup of the same cluster that is waiting for quota, can proceed and is older
   * than {@code me}, if any; {@code me} must wait behind it.
   */
  static Optional<PolarDBBackup> olderWaiter(PolarDBBackup me, Stream<PolarDBBackup> all) {
    return waiters(ClusterRef.of(me), all.filter(other -> !sameObject(me, other)))
        .filter(other -> AGE.compare(other, me) < 0)
        .min(AGE);
  }

  /**
   * The backup of this cluster that a freed slot should go to: the oldest one waiting that can
   * proceed.
   */
  static Optional<PolarDBBackup> oldestWaiter(ClusterRef cluster, Stream<PolarDBBackup> all) {
    return waiters(cluster, all).min(AGE);
  }

  private static Stream<PolarDBBackup> waiters(ClusterRef cluster, Stream<PolarDBBackup> all) {
    return all.filter(ClusterQueue::holdsItsPlace)
        .filter(other -> cluster.equals(ClusterRef.of(other)));
  }

  /**
   * Waiting for quota and able to take a freed slot: not being deleted, not paused, and its last
   * problem one of {@link #CAN_PROCEED}.
   */
  static boolean holdsItsPlace(PolarDBBackup b) {
    var status = b.getStatus();
    return b.getMetadata().getDeletionTimestamp() == null
        && !b.isPaused()
        && status != null
        && status.getPhase() == Phase.WaitingForQuota
        && CAN_PROCEED.contains(status.getReason());
  }

  /**
   * Runs {@code call} holding the cluster's lock; empty when the lock was busy for too long. A lock
   * that {@link #forget} took out of the map while this call waited for it is not the cluster's
   * lock any more: the call then waits for the current one.
   */
  <T> Optional<T> exclusively(
      ClusterRef cluster, long timeoutMillis, java.util.function.Supplier<T> call)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    while (true) {
      ReentrantLock lock = inFlight.computeIfAbsent(cluster, k -> new ReentrantLock(true));
      if (!lock.tryLock(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        return Optional.empty();
      }
      try {
        if (inFlight.get(cluster) == lock) {
          return Optional.of(call.get());
        }
      } finally {
        lock.unlock();
      }
    }
  }

  /**
   * No backup of the cluster is left: its lock goes, unless a call holds it right now (then the
   * lock stays until the cluster is forgotten again). Removing it under the lock keeps the promise
   * of one call in flight per cluster: whoever takes the old lock afterwards sees that it is stale.
   */
  void forget(ClusterRef cluster) {
    ReentrantLock lock = inFlight.get(cluster);
    if (lock != null && lock.tryLock()) {
      try {
        inFlight.remove(cluster, lock);
      } finally {
        lock.unlock();
      }
    }
  }

  /** The clusters this queue holds a lock for. */
  Set<ClusterRef> clusters() {
    return Set.copyOf(inFlight.keySet());
  }

  private static boolean sameObject(PolarDBBackup a, PolarDBBackup b) {
    return Objects.equals(a.getMetadata().getUid(), b.getMetadata().getUid())
        && Objects.equals(a.getMetadata().getNamespace(), b.getMetadata().getNamespace())
        && Objects.equals(a.getMetadata().getName(), b.getMetadata().getName());
  }
}
