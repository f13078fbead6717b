package dev.polardbbackup.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.polardbbackup.emulator.MutableClock;
import dev.polardbbackup.polardb.ApiError;
import dev.polardbbackup.polardb.ApiResult;
import dev.polardbbackup.polardb.FailureKind;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ClusterObservationsTest {
  private final MutableClock clock = MutableClock.at("2026-11-29T04:00:00Z");
  private final ClusterObservations observations = new ClusterObservations(clock);
  private final AtomicInteger calls = new AtomicInteger();

  private ApiResult<String> fetch() {
    return new ApiResult.Ok<>("look-" + calls.incrementAndGet(), "req");
  }

  @Test
  void aRecentLookIsSharedAndAnOldOneIsRenewed() {
    assertEquals(
        "look-1", observations.look("k", clock.instant().minusSeconds(5), this::fetch).value());
    clock.advance(Duration.ofSeconds(3));
    assertEquals(
        "look-1", observations.look("k", clock.instant().minusSeconds(5), this::fetch).value());
    clock.advance(Duration.ofSeconds(3));
    assertEquals(
        "look-2", observations.look("k", clock.instant().minusSeconds(5), this::fetch).value());
    assertEquals(
        "look-3", observations.look("other", clock.instant().minusSeconds(5), this::fetch).value());
  }

  @Test
  void failuresAreNeverShared() {
    ApiResult<String> failed =
        observations.look(
            "k",
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
        "look-1", observations.look("k", clock.instant().minusSeconds(5), this::fetch).value());
  }

  @Test
  void concurrentCallersWaitForOneFetch() throws Exception {
    var pool = Executors.newFixedThreadPool(8);
    CountDownLatch done = new CountDownLatch(8);
    for (int i = 0; i < 8; i++) {
      pool.submit(
          () -> {
            observations.look(
                "k",
                clock.instant().minusSeconds(5),
                () -> {
                  try {
                    Thread.sleep(50);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  return fetch();
                });
            done.countDown();
          });
    }
    done.await(10, TimeUnit.SECONDS);
    pool.shutdown();
    assertEquals(1, calls.get());
  }
}
