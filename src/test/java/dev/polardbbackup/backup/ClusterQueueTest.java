package dev.polardbbackup.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupSpec;
import dev.polardbbackup.model.PolarDBBackupStatus;
import dev.polardbbackup.model.Reasons;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ClusterQueueTest {

  private static PolarDBBackup backup(
      String name, String created, String cluster, boolean waiting) {
    PolarDBBackup b = new PolarDBBackup("ns", name, new PolarDBBackupSpec(cluster, "cn-hangzhou"));
    b.getMetadata().setUid("uid-" + name);
    b.getMetadata().setCreationTimestamp(created);
    PolarDBBackupStatus s =
        PolarDBBackupStatus.accept("uid-" + name, b.getSpec(), 1, Instant.EPOCH);
    if (waiting) {
      s.waitForQuota("uid-" + name, true, "full", Instant.EPOCH, null, Instant.EPOCH);
    }
    b.setStatus(s);
    return b;
  }

  @Test
  void aYoungerBackupWaitsBehindTheOldestWaiterOfItsCluster() {
    PolarDBBackup oldest = backup("a", "2026-01-01T00:00:01Z", "pc-1", true);
    PolarDBBackup middle = backup("b", "2026-01-01T00:00:02Z", "pc-1", true);
    PolarDBBackup newcomer = backup("c", "2026-01-01T00:00:03Z", "pc-1", false);
    PolarDBBackup otherCluster = backup("d", "2026-01-01T00:00:00Z", "pc-2", true);

    assertEquals(
        Optional.empty(),
        ClusterQueue.olderWaiter(oldest, Stream.of(oldest, middle, newcomer, otherCluster)));
    assertEquals(
        "a",
        ClusterQueue.olderWaiter(middle, Stream.of(oldest, middle, newcomer))
            .orElseThrow()
            .getMetadata()
            .getName());
    assertEquals(
        "a",
        ClusterQueue.olderWaiter(newcomer, Stream.of(newcomer, middle, oldest))
            .orElseThrow()
            .getMetadata()
            .getName());
    assertEquals(
        Optional.empty(), ClusterQueue.olderWaiter(newcomer, Stream.of(newcomer, otherCluster)));
  }

  /** The same waiter after a later pass that ended with {@code reason} (the phase stays). */
  private static PolarDBBackup lastHeard(PolarDBBackup waiter, String reason) {
    waiter.getStatus().retrying(reason, "problem", Instant.EPOCH, null, Instant.EPOCH);
    return waiter;
  }

  private static void assertOnlyTheYoungerHoldsTheLine(PolarDBBackup older, PolarDBBackup younger) {
    PolarDBBackup newcomer = backup("c", "2026-01-01T00:00:03Z", "pc-1", false);
    assertEquals(
        Optional.empty(), ClusterQueue.olderWaiter(younger, Stream.of(older, younger)), "queue");
    assertEquals(
        "b",
        ClusterQueue.olderWaiter(newcomer, Stream.of(older, younger, newcomer))
            .orElseThrow()
            .getMetadata()
            .getName(),
        "a newcomer waits behind the younger waiter, which can proceed");
    assertEquals(
        "b",
        ClusterQueue.oldestWaiter(
                new ClusterRef("cn-hangzhou", "pc-1"), Stream.of(older, younger, newcomer))
            .orElseThrow()
            .getMetadata()
            .getName(),
        "a freed slot wakes the younger waiter");
  }

  @Test
  void aPausedOlderWaiterDoesNotHoldTheLine() {
    PolarDBBackup older = backup("a", "2026-01-01T00:00:01Z", "pc-1", true);
    older.getMetadata().setAnnotations(Map.of(PolarDBBackup.PAUSED_ANNOTATION, "true"));
    PolarDBBackup younger = backup("b", "2026-01-01T00:00:02Z", "pc-1", true);

    assertOnlyTheYoungerHoldsTheLine(older, younger);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        Reasons.SECRET_NOT_FOUND,
        Reasons.SECRET_INVALID,
        Reasons.AUTH_FAILED,
        Reasons.CLUSTER_NOT_FOUND,
        Reasons.CLUSTER_NOT_READY
      })
  void anOlderWaiterThatNeedsAPersonDoesNotHoldTheLine(String reason) {
    PolarDBBackup older = lastHeard(backup("a", "2026-01-01T00:00:01Z", "pc-1", true), reason);
    PolarDBBackup younger = backup("b", "2026-01-01T00:00:02Z", "pc-1", true);

    assertOnlyTheYoungerHoldsTheLine(older, younger);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        Reasons.WAITING_FOR_QUOTA,
        Reasons.QUEUED,
        Reasons.API_THROTTLED,
        Reasons.API_UNAVAILABLE,
        Reasons.OUTCOME_UNKNOWN
      })
  void anOlderWaiterHeldUpByQuotaQueueOrAPassingApiHiccupKeepsItsPlace(String reason) {
    PolarDBBackup older = lastHeard(backup("a", "2026-01-01T00:00:01Z", "pc-1", true), reason);
    PolarDBBackup younger = backup("b", "2026-01-01T00:00:02Z", "pc-1", true);

    assertEquals(
        "a",
        ClusterQueue.olderWaiter(younger, Stream.of(older, younger))
            .orElseThrow()
            .getMetadata()
            .getName());
    assertEquals(
        "a",
        ClusterQueue.oldestWaiter(new ClusterRef("cn-hangzhou", "pc-1"), Stream.of(older, younger))
            .orElseThrow()
            .getMetadata()
            .getName());
  }

  @Test
  void sameSecondTiesAreBrokenByName() {
    PolarDBBackup a = backup("a", "2026-01-01T00:00:01Z", "pc-1", true);
    PolarDBBackup b = backup("b", "2026-01-01T00:00:01Z", "pc-1", true);

    assertEquals(Optional.empty(), ClusterQueue.olderWaiter(a, Stream.of(a, b)));
    assertTrue(ClusterQueue.olderWaiter(b, Stream.of(a, b)).isPresent());
  }

  @Test
  void neverTwoCallsInFlightForOneCluster() throws Exception {
    ClusterQueue queue = new ClusterQueue();
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger maxInFlight = new AtomicInteger();
    int callers = 8;
    CountDownLatch done = new CountDownLatch(callers);
    var pool = Executors.newFixedThreadPool(callers);
    for (int i = 0; i < callers; i++) {
      pool.submit(
          () -> {
            try {
              queue.exclusively(
                  new ClusterRef("cn-hangzhou", "pc-1"),
                  10_000,
                  counted(inFlight, maxInFlight, 20));
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            } finally {
              done.countDown();
            }
          });
    }
    assertTrue(done.await(10, TimeUnit.SECONDS));
    pool.shutdown();
    assertEquals(1, maxInFlight.get());
  }

  // ---------------------------------------------------------------- forgetting a cluster

  // Forgetting a cluster's lock never lets two CreateBackup calls of the cluster run at once.
  private static final ClusterRef FORGOTTEN = new ClusterRef("cn-hangzhou", "pc-1");

  @Test
  void forgettingAClusterWhileCallsRunNeverLetsTwoRunAtOnce() throws Exception {
    ClusterQueue queue = new ClusterQueue();
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger maxInFlight = new AtomicInteger();
    int callers = 8;
    CountDownLatch done = new CountDownLatch(callers);
    var pool = Executors.newFixedThreadPool(callers);
    for (int i = 0; i < callers; i++) {
      pool.submit(
          () -> {
            try {
              for (int call = 0; call < 5; call++) {
                queue.exclusively(FORGOTTEN, 10_000, counted(inFlight, maxInFlight, 2));
              }
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            } finally {
              done.countDown();
            }
          });
    }
    // The last backup of the cluster deleted again and again while the calls run.
    while (done.getCount() > 0) {
      queue.forget(FORGOTTEN);
    }
    assertTrue(done.await(10, TimeUnit.SECONDS));
    pool.shutdown();
    assertEquals(1, maxInFlight.get());

    queue.forget(FORGOTTEN);
    assertEquals(Set.of(), queue.clusters());
  }

  @Test
  void aLockInUseIsKeptAndGoesWhenForgottenAgainAfterwards() throws Exception {
    ClusterQueue queue = new ClusterQueue();
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    var pool = Executors.newSingleThreadExecutor();
    var call =
        pool.submit(
            () ->
                queue.exclusively(
                    FORGOTTEN,
                    1_000,
                    () -> {
                      holding.countDown();
                      try {
                        return release.await(10, TimeUnit.SECONDS);
                      } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                      }
                    }));
    assertTrue(holding.await(10, TimeUnit.SECONDS));

    queue.forget(FORGOTTEN);
    assertEquals(Set.of(FORGOTTEN), queue.clusters());

    release.countDown();
    assertEquals(java.util.Optional.of(true), call.get(10, TimeUnit.SECONDS));
    pool.shutdown();
    queue.forget(FORGOTTEN);
    assertEquals(Set.of(), queue.clusters());
  }

  /** A call that counts the calls in flight at once, the most of them in {@code max}. */
  private static Supplier<Integer> counted(AtomicInteger inFlight, AtomicInteger max, long millis) {
    return () -> {
      max.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
      try {
        Thread.sleep(millis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return inFlight.decrementAndGet();
    };
  }
}
