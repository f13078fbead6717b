package dev.polardbbackup.emulator;

import java.time.Duration;
import java.util.Objects;

/**
 * Trouble to inject into one action (or every action, under the name {@code "*"}). Each call draws
 * once from the emulator's seeded random: below {@code throttleRate} it is throttled, below {@code
 * throttleRate + serverErrorRate} it fails with a 5xx; neither is processed. A second draw below
 * {@code lostResponseRate} processes the call and then drops the connection without a reply, the
 * fault that makes idempotency tokens necessary.
 */
public record FaultSpec(
    Duration latency, double throttleRate, double serverErrorRate, double lostResponseRate) {

  public static final FaultSpec NONE = new FaultSpec(Duration.ZERO, 0, 0, 0);

  public FaultSpec {
    Objects.requireNonNull(latency, "latency");
    if (latency.isNegative()) {
      throw new IllegalArgumentException("latency must not be negative: " + latency);
    }
    requireRate("throttleRate", throttleRate);
    requireRate("serverErrorRate", serverErrorRate);
    requireRate("lostResponseRate", lostResponseRate);
    if (throttleRate + serverErrorRate > 1.0) {
      throw new IllegalArgumentException("throttleRate + serverErrorRate must not exceed 1");
    }
  }

  public static FaultSpec latency(Duration latency) {
    return new FaultSpec(latency, 0, 0, 0);
  }

  public static FaultSpec throttling(double rate) {
    return new FaultSpec(Duration.ZERO, rate, 0, 0);
  }

  public static FaultSpec serverErrors(double rate) {
    return new FaultSpec(Duration.ZERO, 0, rate, 0);
  }

  public static FaultSpec lostResponses(double rate) {
    return new FaultSpec(Duration.ZERO, 0, 0, rate);
  }

  private static void requireRate(String name, double rate) {
    if (!(rate >= 0 && rate <= 1)) {
      throw new IllegalArgumentException(name + " must be between 0 and 1: " + rate);
    }
  }
}
