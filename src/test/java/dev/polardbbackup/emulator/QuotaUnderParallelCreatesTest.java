package dev.polardbbackup.emulator;

import static dev.polardbbackup.emulator.EmulatorHarness.CLUSTER;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The emulator's quota check and backup creation are one atomic step, as PolarDB's must be: a test
 * of the emulator, not of the operator. The operator's side of a full quota (waiters, wake-ups, one
 * backup each) is {@code controller.QuotaQueueTest}.
 */
class QuotaUnderParallelCreatesTest {

  @Test
  void sixtyFourParallelCreatesAgainstQuotaThreeMakeExactlyThree() throws Exception {
    try (EmulatorHarness h = EmulatorHarness.start()) {
      ExecutorService pool = Executors.newFixedThreadPool(32);
      CountDownLatch go = new CountDownLatch(1);
      List<Future<String>> outcomes = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        String token = "parallel-" + i;
        outcomes.add(
            pool.submit(
                () -> {
                  go.await();
                  return h.createBackup(CLUSTER, token).code();
                }));
      }
      go.countDown();
      List<String> codes = new ArrayList<>();
      for (Future<String> f : outcomes) {
        codes.add(f.get());
      }
      pool.shutdown();

      Map<String, Long> byCode =
          codes.stream().collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
      assertEquals(Map.of("OK", 3L, "BackupTimesExceeded", 61L), byCode);
      assertEquals(3, h.emulator.ledger().backups().size());
      assertEquals(64L, h.emulator.ledger().callsByAction().get("CreateBackup"));
    }
  }
}
