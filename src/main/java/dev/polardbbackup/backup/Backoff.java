package dev.polardbbackup.backup;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Capped exponential backoff with jitter: {@code min(max, initial * 2^(n-1))}, then spread by up to
 * {@code jitter} either way so that many waiting resources do not retry in step.
 */
public record Backoff(Duration initial, Duration max, double jitter) {

  public Backoff {
    if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("backoff needs 0 < initial <= max");
    }
    if (jitter < 0 || jitter >= 1) {
      throw new IllegalArgumentException("jitter must be in [0, 1)");
    }
  }

  /** The delay before retry number {@code n} (1 for the first retry). */
  public Duration delay(int n, RandomGenerator random) {
    int exponent = Math.max(0, Math.min(n - 1, 30));
    long millis = initial.toMillis();
    long capped = Math.min(max.toMillis(), millis * (1L << Math.min(exponent, 20)));
    double spread = jitter == 0 ? 1 : 1 - jitter + 2 * jitter * random.nextDouble();
    return Duration.ofMillis(Math.max(1, Math.round(capped * spread)));
  }
}
