package dev.polardbbackup.schedule;

import java.time.Duration;

/**
 * How the schedule controller keeps time. The defaults suit real clusters; tests shrink them.
 *
 * @param recheck longest wait between two looks at a schedule, whatever the next tick (a guard
 *     against clock jumps; a look makes no PolarDB call)
 * @param missedTickGrace how late a tick may be seen and still count as on time; a later one was
 *     missed while the operator was not running, and the catch-up policy decides
 * @param rotationWait how long a tick waits for the backup deleted to free a quota slot to be gone
 *     before it starts anyway
 * @param errorRetry after a failed Kubernetes call (the tick stays due meanwhile)
 * @param drillTimeout how long a restore drill may take to get its clone Running before it fails
 *     (and its clone, if any, is deleted)
 */
public record ScheduleSettings(
    Duration recheck,
    Duration missedTickGrace,
    Duration rotationWait,
    Duration errorRetry,
    Duration drillTimeout) {
  static final Duration DRILL_TIMEOUT = Duration.ofHours(6);

  public ScheduleSettings(
      Duration recheck, Duration missedTickGrace, Duration rotationWait, Duration errorRetry) {
    this(recheck, missedTickGrace, rotationWait, errorRetry, DRILL_TIMEOUT);
  }

  public static ScheduleSettings defaults() {
    return new ScheduleSettings(
        Duration.ofMinutes(5),
        Duration.ofMinutes(1),
        Duration.ofMinutes(2),
        Duration.ofSeconds(15),
        DRILL_TIMEOUT);
  }
}
