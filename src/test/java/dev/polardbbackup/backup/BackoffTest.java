package dev.polardbbackup.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BackoffTest {

  @Test
  void doublesUpToTheCapWithoutJitter() {
    Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(10), 0);
    Random r = new Random(1);
    assertEquals(Duration.ofSeconds(1), b.delay(1, r));
    assertEquals(Duration.ofSeconds(2), b.delay(2, r));
    assertEquals(Duration.ofSeconds(8), b.delay(4, r));
    assertEquals(Duration.ofSeconds(10), b.delay(5, r));
    assertEquals(Duration.ofSeconds(10), b.delay(500, r));
  }

  @Test
  void jitterSpreadsDelaysWithinItsBand() {
    Backoff b = new Backoff(Duration.ofSeconds(10), Duration.ofSeconds(10), 0.2);
    Random r = new Random(42);
    Duration first = b.delay(1, r);
    for (int i = 0; i < 100; i++) {
      Duration d = b.delay(1, r);
      assertTrue(d.toMillis() >= 8000 && d.toMillis() <= 12000, d.toString());
    }
    assertNotEquals(first, b.delay(1, r));
  }
}
