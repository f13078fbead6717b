package dev.polardbbackup.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.model.BackupTemplate;
import dev.polardbbackup.model.LastBackup;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupSchedule;
import dev.polardbbackup.model.PolarDBBackupScheduleSpec;
import dev.polardbbackup.model.PolarDBBackupScheduleStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The figures the alert on "no success for twice the interval" rests on. */
class ScheduleReadingTest {
  private static final Instant TUESDAY_NOON = Instant.parse("2030-01-01T12:00:00Z");

  private static PolarDBBackupSchedule schedule(String cron) {
    var schedule =
        new PolarDBBackupSchedule(
            "team-a",
            "nightly",
            PolarDBBackupScheduleSpec.of(cron, new BackupTemplate("pc-1", "cn-hangzhou", null)));
    schedule.getMetadata().setCreationTimestamp("2029-12-01T00:00:00Z");
    return schedule;
  }

  @ParameterizedTest(name = "{0} -> {1}s")
  @CsvSource({
    "'* * * * *', 60",
    "'@hourly', 3600",
    "'0 2 * * *', 86400",
    "'0 */6 * * *', 21600",
    // Uneven: the longest gap counts, the weekend for weekdays-only, the long day for 02:00,20:00.
    "'0 2 * * 1-5', 259200",
    "'0 2,20 * * *', 64800",
    "'@weekly', 604800",
  })
  void theIntervalIsTheLongestGapBetweenTicks(String cron, long seconds) {
    ScheduleReading reading = ScheduleReading.of(schedule(cron), TUESDAY_NOON);

    assertEquals(Optional.of(Duration.ofSeconds(seconds)), reading.interval());
  }

  @Test
  void aWeekdaysScheduleReadsItsWeekendGapOnMondayMorningToo() {
    // Monday 2030-01-07 03:00 UTC: the latest tick was Monday 02:00, the one before Friday 02:00.
    ScheduleReading reading =
        ScheduleReading.of(schedule("0 2 * * 1-5"), Instant.parse("2030-01-07T03:00:00Z"));

    assertEquals(Optional.of(Duration.ofHours(72)), reading.interval());
  }

  @Test
  void aScheduleNotExpectedToRunHasNoInterval() {
    var suspended = schedule("0 2 * * *");
    suspended.setSpec(
        new PolarDBBackupScheduleSpec(
            "0 2 * * *", null, suspended.getSpec().template(), true, null, null, null, null, null));
    var paused = schedule("0 2 * * *");
    paused.getMetadata().setAnnotations(Map.of(PolarDBBackup.PAUSED_ANNOTATION, "true"));
    var invalid = schedule("0 25 * * *");

    assertEquals(Optional.empty(), ScheduleReading.of(suspended, TUESDAY_NOON).interval());
    assertEquals(Optional.empty(), ScheduleReading.of(paused, TUESDAY_NOON).interval());
    assertEquals(Optional.empty(), ScheduleReading.of(invalid, TUESDAY_NOON).interval());
  }

  @Test
  void lastSuccessCreationAndStallComeFromTheObject() {
    var schedule = schedule("0 2 * * *");
    var status = new PolarDBBackupScheduleStatus();
    status.setLastSuccessfulBackup(new LastBackup("nightly-1", "b-1", "2030-01-01T02:10:00Z"));
    status.setCondition(
        PolarDBBackupScheduleStatus.STALLED, true, "QuotaFull", "no slot", TUESDAY_NOON);
    schedule.setStatus(status);

    ScheduleReading reading = ScheduleReading.of(schedule, TUESDAY_NOON);

    assertEquals("team-a", reading.namespace());
    assertEquals("nightly", reading.name());
    assertEquals(Optional.of(Instant.parse("2030-01-01T02:10:00Z")), reading.lastSuccess());
    assertEquals(Optional.of(Instant.parse("2029-12-01T00:00:00Z")), reading.created());
    assertTrue(reading.stalled());
  }

  @Test
  void aFreshScheduleHasNoSuccessAndIsNotStalled() {
    ScheduleReading reading = ScheduleReading.of(schedule("0 2 * * *"), TUESDAY_NOON);

    assertEquals(Optional.empty(), reading.lastSuccess());
    assertFalse(reading.stalled());
  }
}
