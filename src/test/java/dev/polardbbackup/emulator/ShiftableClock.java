package dev.polardbbackup.emulator;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The system clock plus an offset that a test can move forward: time runs as usual, and a jump
 * stands for a long outage without waiting for it. Share one between the emulator and the operator.
 */
public final class ShiftableClock extends Clock {
  private final AtomicReference<Duration> offset;
  private final ZoneId zone;

  public ShiftableClock() {
    this(new AtomicReference<>(Duration.ZERO), ZoneOffset.UTC);
  }

  private ShiftableClock(AtomicReference<Duration> offset, ZoneId zone) {
    this.offset = offset;
    this.zone = zone;
  }

  public void jump(Duration by) {
    offset.updateAndGet(o -> o.plus(by));
  }

  @Override
  public Instant instant() {
    return Instant.now().plus(offset.get());
  }

  @Override
  public ZoneId getZone() {
    return zone;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return new ShiftableClock(offset, zone);
  }
}
