package dev.polardbbackup.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Forgetting a cluster's lock never lets two CreateBackup calls of the cluster run at once. */
class ClusterQueueForgetTest {
  private static final String CLUSTER = "cn-hangzhou/pc-1";

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
                queue.exclusively(
                    CLUSTER,
                    10_000,
                    () -> {
                      maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                      try {
                        Thread.sleep(2);
                      } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                      }
                      return inFlight.decrementAndGet();
                    });
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
      queue.forget(CLUSTER);
    }
    assertTrue(done.await(10, TimeUnit.SECONDS));
    pool.shutdown();
    assertEquals(1, maxInFlight.get());

    queue.forget(CLUSTER);
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
                    CLUSTER,
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

    queue.forget(CLUSTER);
    assertEquals(Set.of(CLUSTER), queue.clusters());

    release.countDown();
    assertEquals(java.util.Optional.of(true), call.get(10, TimeUnit.SECONDS));
    pool.shutdown();
    queue.forget(CLUSTER);
    assertEquals(Set.of(), queue.clusters());
  }
}
