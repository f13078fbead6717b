package dev.polardbbackup.schedule;

import dev.polardbbackup.model.CatchUpPolicy;
import dev.polardbbackup.model.ConcurrencyPolicy;
import dev.polardbbackup.model.PolarDBBackupScheduleSpec;
import dev.polardbbackup.model.RestoreDrill;
import dev.polardbbackup.model.Retention;

/** A schedule spec with one field changed: the tests' withers, kept out of the model. */
final class ScheduleSpecs {
  private ScheduleSpecs() {}

  static PolarDBBackupScheduleSpec withTimeZone(PolarDBBackupScheduleSpec s, String zone) {
    return new PolarDBBackupScheduleSpec(
        s.schedule(),
        zone,
        s.template(),
        s.suspend(),
        s.concurrencyPolicy(),
        s.startingDeadlineSeconds(),
        s.catchUpPolicy(),
        s.runImmediately(),
        s.retention());
  }

  static PolarDBBackupScheduleSpec withConcurrencyPolicy(
      PolarDBBackupScheduleSpec s, ConcurrencyPolicy policy) {
    return new PolarDBBackupScheduleSpec(
        s.schedule(),
        s.timeZone(),
        s.template(),
        s.suspend(),
        policy,
        s.startingDeadlineSeconds(),
        s.catchUpPolicy(),
        s.runImmediately(),
        s.retention());
  }

  static PolarDBBackupScheduleSpec withStartingDeadlineSeconds(
      PolarDBBackupScheduleSpec s, Long seconds) {
    return new PolarDBBackupScheduleSpec(
        s.schedule(),
        s.timeZone(),
        s.template(),
        s.suspend(),
        s.concurrencyPolicy(),
        seconds,
        s.catchUpPolicy(),
        s.runImmediately(),
        s.retention());
  }

  static PolarDBBackupScheduleSpec withCatchUpPolicy(
      PolarDBBackupScheduleSpec s, CatchUpPolicy policy) {
    return new PolarDBBackupScheduleSpec(
        s.schedule(),
        s.timeZone(),
        s.template(),
        s.suspend(),
        s.concurrencyPolicy(),
        s.startingDeadlineSeconds(),
        policy,
        s.runImmediately(),
        s.retention());
  }

  static PolarDBBackupScheduleSpec withRunImmediately(PolarDBBackupScheduleSpec s, boolean run) {
    return new PolarDBBackupScheduleSpec(
        s.schedule(),
        s.timeZone(),
        s.template(),
        s.suspend(),
        s.concurrencyPolicy(),
        s.startingDeadlineSeconds(),
        s.catchUpPolicy(),
        run,
        s.retention());
  }

  static PolarDBBackupScheduleSpec withRetention(PolarDBBackupScheduleSpec s, Retention value) {
    return new PolarDBBackupScheduleSpec(
        s.schedule(),
        s.timeZone(),
        s.template(),
        s.suspend(),
        s.concurrencyPolicy(),
        s.startingDeadlineSeconds(),
        s.catchUpPolicy(),
        s.runImmediately(),
        value);
  }

  static PolarDBBackupScheduleSpec withVerify(PolarDBBackupScheduleSpec s, RestoreDrill value) {
    return new PolarDBBackupScheduleSpec(
        s.schedule(),
        s.timeZone(),
        s.template(),
        s.suspend(),
        s.concurrencyPolicy(),
        s.startingDeadlineSeconds(),
        s.catchUpPolicy(),
        s.runImmediately(),
        s.retention(),
        value);
  }
}
