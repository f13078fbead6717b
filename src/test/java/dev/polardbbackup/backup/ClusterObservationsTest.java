package dev.polardbbackup.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.emulator.MutableClock;
import dev.polardbbackup.polardb.ApiError;
import dev.polardbbackup.polardb.ApiResult;
import dev.polardbbackup.polardb.FailureKind;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ClusterObservationsTest {
  private final MutableClock clock = MutableClock.at("2026-11-29T04:00:00Z");
  private static final ClusterObservations.Key K =
      new ClusterObservations.Key(new ClusterRef("cn-hangzhou", "pc-1"), "tasks", "operator");
  private static final ClusterObservations.Key OTHER =
      new ClusterObservations.Key(new ClusterRef("cn-hangzhou", "pc-2"), "tasks", "operator");
  private final ClusterObservations observations = new ClusterObservations(clock);
  private final AtomicInteger calls = new AtomicInteger();

  private ApiResult<String> fetch() {
    return new ApiResult.Ok<>("look-" + calls.incrementAndGet(), "req");
  }

  @Test
  void aRecentLookIsSharedAndAnOldOneIsRenewed() {
    assertEquals(
        "look-1", observations.look(K, clock.instant().minusSeconds(5), this::fetch).value());
    clock.advance(Duration.ofSeconds(3));
    assertEquals(
        "look-1", observations.look(K, clock.instant().minusSeconds(5), this::fetch).value());
    clock.advance(Duration.ofSeconds(3));
    assertEquals(
        "look-2", observations.look(K, clock.instant().minusSeconds(5), this::fetch).value());
    assertEquals(
        "look-3", observations.look(OTHER, clock.instant().minusSeconds(5), this::fetch).value());
  }

  @Test
  void aLookKnowsWhenItWasSentAndWhenPolarDbAnswered() {
    // Freshness counts from the send (the answer says nothing older than that); what a job had
    // done counts up to the answer (PolarDB read its progress at some time between the two).
    observations.look(
        K,
        clock.instant(),
        () -> {
          clock.advance(Duration.ofMillis(800));
          return fetch();
        });
    assertEquals(Optional.of(clock.instant().minusMillis(800)), observations.takenAt(K));
    assertEquals(Optional.of(clock.instant()), observations.answeredAt(K));
    assertEquals(Optional.empty(), observations.answeredAt(OTHER));
  }

  @Test
  void failuresAreNeverShared() {
    ApiResult<String> failed =
        observations.look(
            K,
            clock.instant(),
            () ->
                new ApiResult.Failed<>(
                    new ApiError(
                        FailureKind.THROTTLED,
                        "Throttling.User",
                        "",
                        null,
                        400,
                        Optional.empty())));
    assertFalse(failed.isOk());
    assertEquals(
        "look-1", observations.look(K, clock.instant().minusSeconds(5), this::fetch).value());
  }

  @Test
  void concurrentCallersWaitForOneFetch() throws Exception {
    var pool = Executors.newFixedThreadPool(8);
    CountDownLatch done = new CountDownLatch(8);
    List<String> seen = new CopyOnWriteArrayList<>();
    try {
      for (int i = 0; i < 8; i++) {
        pool.submit(
            () -> {
              ApiResult<String> result =
                  observations.look(
                      K,
                      clock.instant().minusSeconds(5),
                      () -> {
                        try {
                          Thread.sleep(50);
                        } catch (InterruptedException e) {
                          Thread.currentThread().interrupt();
                        }
                        return fetch();
                      });
              seen.add(result.value());
              done.countDown();
            });
      }
      // A caller that threw or never returned would leave the latch short: that is a failure too.
      assertTrue(done.await(10, TimeUnit.SECONDS), "every caller got an answer: " + seen);
    } finally {
      pool.shutdownNow();
    }
    assertEquals(1, calls.get());
    assertEquals(Collections.nCopies(8, "look-1"), seen);
  }
}
