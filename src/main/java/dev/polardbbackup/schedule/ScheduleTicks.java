package dev.polardbbackup.schedule;

import static dev.polardbbackup.model.Conditions.timestamp;

import dev.polardbbackup.model.CatchUpPolicy;
import dev.polardbbackup.model.ConcurrencyPolicy;
import dev.polardbbackup.model.Reasons;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * The cron side of a pass: which tick is due, and whether it runs now, waits (Forbid, quota
 * rotation) or is skipped (suspended, missed while down with catch-up None, past its starting
 * deadline). Making its backup is {@link ChildCreation}'s.
 */
final class ScheduleTicks {
  private static final int MISSED_COUNT_CAP = 100_000;

  private final SchedulePass pass;
  private final ScheduleRetention retention;

  ScheduleTicks(SchedulePass pass, ScheduleRetention retention) {
    this.pass = pass;
    this.retention = retention;
  }

  /** Records the ticks seen since the last pass; returns the one whose backup is to be made now. */
  Optional<Instant> tick(CronSchedule cron) {
    String observed = pass.spec.schedule().trim() + " in " + zoneName();
    if (pass.status.getObservedSchedule() == null) {
      if (firstSight(observed)) {
        return Optional.empty();
      }
    } else if (!observed.equals(pass.status.getObservedSchedule())) {
      // A new cron counts from now: its earlier ticks were not missed, they never existed.
      pass.status.setObservedSchedule(observed);
      pass.status.setLastTickTime(timestamp(pass.now));
      pass.status.setPendingTickTime(null);
      pass.events.normal(
          pass.schedule,
          Reasons.SCHEDULE_CHANGED,
          "Schedule is now '" + observed + "'; it takes effect from the next tick.");
      pass.log("schedule changed to '{}'", observed);
    }
    Instant cursor = pass.status.lastTick().orElse(pass.now);
    Optional<Instant> due = cron.latestAtOrBefore(pass.now).filter(t -> t.isAfter(cursor));
    if (pass.spec.suspended()) {
      due.ifPresent(
          t -> {
            pass.status.countMissed(cron.countBetween(cursor, t, MISSED_COUNT_CAP));
            pass.status.setLastTickTime(timestamp(t));
          });
      if (pass.status.getPendingTickTime() != null) {
        pass.status.countMissed(1);
        pass.status.setPendingTickTime(null);
      }
      return Optional.empty();
    }
    due.ifPresent(t -> arrived(cron, cursor, t));
    return pass.status.pendingTick().flatMap(this::runPending);
  }

  /**
   * First sight: the schedule starts now; earlier ticks were never ours to run. With runImmediately
   * the first backup's tick is "now", and "now" is different on every pass, so it is written down
   * before anything is made: this pass only records it (the status write is an optimistic-lock
   * update) and the next pass, reading it back from status, creates the backup under the name that
   * tick gives. A pass that dies or gets a 409 before the record lands has made nothing, and the
   * next one picks a new "now"; one that dies after it finds the backup by name (see {@link
   * ChildCreation#alreadyExists}). The schedule's creationTimestamp would be as stable, but it is
   * the API server's clock, not the one ticks and deadlines are read on, and a schedule first seen
   * long after it was made would run under an old tick.
   *
   * @return true when the pass must stop here to record the immediate tick first
   */
  private boolean firstSight(String observed) {
    pass.status.setObservedSchedule(observed);
    pass.status.setLastTickTime(timestamp(pass.now));
    if (!pass.spec.runsImmediately() || pass.spec.suspended() || pass.status.getCreated() != null) {
      return false;
    }
    pass.status.setPendingTickTime(timestamp(pass.now.truncatedTo(ChronoUnit.MINUTES)));
    pass.wakeAfter(Duration.ZERO);
    return true;
  }

  /** A tick has come: earlier unseen ones are skipped, this one runs or waits unless too late. */
  private void arrived(CronSchedule cron, Instant cursor, Instant tick) {
    pass.status.countMissed(cron.countBetween(cursor, tick, MISSED_COUNT_CAP) - 1);
    pass.status.setLastTickTime(timestamp(tick));
    boolean missed =
        Duration.between(tick, pass.now).compareTo(pass.settings.missedTickGrace()) > 0;
    if (missed && pass.spec.effectiveCatchUpPolicy() == CatchUpPolicy.None) {
      skip(tick, "it passed while the operator was not running and catchUpPolicy is None");
      return;
    }
    if (pass.status.getPendingTickTime() != null) {
      // Ticks that pile up while one waits run once, never as a burst.
      pass.status.countMissed(1);
    }
    pass.status.setPendingTickTime(timestamp(tick));
    if (missed) {
      pass.log("catching up on the tick at {} (catchUpPolicy Latest)", tick);
    }
  }

  /** The pending tick, unless it is too late, must wait, or waits for a quota slot to be freed. */
  private Optional<Instant> runPending(Instant tick) {
    Optional<Instant> deadline = deadline(tick);
    if (deadline.isPresent() && pass.now.isAfter(deadline.get())) {
      skip(
          tick,
          "it could not start within startingDeadlineSeconds="
              + pass.spec.startingDeadlineSeconds());
      return Optional.empty();
    }
    deadline.ifPresent(d -> pass.wakeAt(d.plus(SchedulePass.TICK_MARGIN)));
    if (pass.spec.effectiveConcurrencyPolicy() == ConcurrencyPolicy.Forbid
        && !pass.owned.active().isEmpty()) {
      if (!tick.equals(pass.original == null ? null : pass.original.pendingTick().orElse(null))) {
        pass.events.normal(
            pass.schedule,
            Reasons.TICK_DEFERRED,
            "The tick at "
                + tick
                + " waits: backup "
                + pass.owned.active().get(0).getMetadata().getName()
                + " is still running (concurrencyPolicy Forbid).");
      }
      return Optional.empty();
    }
    if (retention.waitForQuotaRotation(tick)) {
      return Optional.empty();
    }
    return Optional.of(tick);
  }

  private Optional<Instant> deadline(Instant tick) {
    return Optional.ofNullable(pass.spec.startingDeadlineSeconds()).map(tick::plusSeconds);
  }

  void skip(Instant tick, String why) {
    pass.status.countMissed(1);
    if (timestamp(tick).equals(pass.status.getPendingTickTime())) {
      pass.status.setPendingTickTime(null);
    }
    pass.events.normal(
        pass.schedule, Reasons.TICK_SKIPPED, "Skipped the tick at " + tick + ": " + why);
    pass.log("skipped the tick at {}: {}", tick, why);
  }

  private String zoneName() {
    return pass.spec.timeZone() == null || pass.spec.timeZone().isBlank()
        ? "UTC"
        : pass.spec.timeZone();
  }
}
