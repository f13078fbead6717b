package dev.polardbbackup.schedule;

import dev.polardbbackup.model.Conditions;
import dev.polardbbackup.model.LastBackup;
import dev.polardbbackup.model.PolarDBBackupSchedule;
import dev.polardbbackup.model.PolarDBBackupScheduleSpec;
import dev.polardbbackup.model.PolarDBBackupScheduleStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * What whoever watches the operator needs to know of one schedule, read from the object alone: how
 * often it should make a backup, when one last succeeded, and whether it is stalled. The
 * application turns these into metrics, so that an alert can compare the age of the last success
 * with the schedule's own interval instead of a fixed number of hours.
 *
 * @param interval the longest gap between the schedule's ticks; empty while it is not expected to
 *     make backups (suspended, paused, or its cron expression is invalid)
 * @param lastSuccess when its most recent successful backup completed, if any did
 * @param created when the schedule was created: the age to compare before its first success
 */
public record ScheduleReading(
    String namespace,
    String name,
    Optional<Duration> interval,
    Optional<Instant> lastSuccess,
    Optional<Instant> created,
    boolean stalled) {

  public static ScheduleReading of(PolarDBBackupSchedule schedule, Instant now) {
    PolarDBBackupScheduleSpec spec = schedule.getSpec();
    PolarDBBackupScheduleStatus status = schedule.getStatus();
    Optional<Duration> interval =
        spec == null || spec.suspended() || schedule.isPaused()
            ? Optional.empty()
            : CronSchedule.parse(spec.schedule(), spec.timeZone())
                .schedule()
                .flatMap(cron -> cron.interval(now));
    Optional<Instant> lastSuccess =
        Optional.ofNullable(status)
            .map(PolarDBBackupScheduleStatus::getLastSuccessfulBackup)
            .map(LastBackup::time)
            .flatMap(Conditions::instant);
    boolean stalled =
        status != null
            && status
                .condition(PolarDBBackupScheduleStatus.STALLED)
                .filter(c -> "True".equals(c.getStatus()))
                .isPresent();
    return new ScheduleReading(
        schedule.getMetadata().getNamespace(),
        schedule.getMetadata().getName(),
        interval,
        lastSuccess,
        Conditions.instant(schedule.getMetadata().getCreationTimestamp()),
        stalled);
  }
}
