package dev.polardbbackup.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CronScheduleTest {

  private static CronSchedule cron(String expression, String zone) {
    CronSchedule.Parsed parsed = CronSchedule.parse(expression, zone);
    assertTrue(parsed.schedule().isPresent(), () -> "not parsed: " + parsed.problem());
    return parsed.schedule().get();
  }

  private static Instant at(String iso) {
    return Instant.parse(iso);
  }

  @Test
  void nightlyInUtcByDefault() {
    CronSchedule nightly = cron("0 2 * * *", null);
    assertEquals(
        Optional.of(at("2030-01-01T02:00:00Z")), nightly.nextAfter(at("2030-01-01T01:59:59Z")));
    assertEquals(
        Optional.of(at("2030-01-02T02:00:00Z")), nightly.nextAfter(at("2030-01-01T02:00:00Z")));
  }

  @Test
  void timeZoneMovesTheTicks() {
    CronSchedule shanghai = cron("0 2 * * *", "Asia/Shanghai");
    // 02:00 in Shanghai (UTC+8) is 18:00 UTC the day before.
    assertEquals(
        Optional.of(at("2030-01-01T18:00:00Z")), shanghai.nextAfter(at("2030-01-01T12:00:00Z")));
  }

  @Test
  void latestTickIncludesOneExactlyNow() {
    CronSchedule hourly = cron("0 * * * *", null);
    assertEquals(
        Optional.of(at("2030-01-01T05:00:00Z")),
        hourly.latestAtOrBefore(at("2030-01-01T05:00:00Z")));
    assertEquals(
        Optional.of(at("2030-01-01T05:00:00Z")),
        hourly.latestAtOrBefore(at("2030-01-01T05:59:59Z")));
  }

  @Test
  void countsTicksInAWindowUpToACap() {
    CronSchedule hourly = cron("@hourly", null);
    assertEquals(
        4, hourly.countBetween(at("2030-01-01T01:30:00Z"), at("2030-01-01T05:00:00Z"), 100));
    assertEquals(2, hourly.countBetween(at("2030-01-01T01:30:00Z"), at("2030-01-01T05:00:00Z"), 2));
  }

  @Test
  void dayOfMonthAndDayOfWeekMeanEitherAsInCrontab() {
    CronSchedule firstOrMonday = cron("0 0 1 * 1", null);
    // 2030-01-28 is a Monday; 2030-02-01 a Friday (the 1st).
    assertEquals(
        Optional.of(at("2030-02-01T00:00:00Z")),
        firstOrMonday.nextAfter(at("2030-01-28T00:00:00Z")));
  }

  @Test
  void springForwardRunsATickInTheGapRightAfterIt() {
    // 2030-03-10 02:30 does not exist in New York: clocks go from 02:00 EST to 03:00 EDT.
    CronSchedule ny = cron("30 2 * * *", "America/New_York");
    assertEquals(
        Optional.of(at("2030-03-10T07:30:00Z")), // 03:30 EDT
        ny.nextAfter(at("2030-03-09T12:00:00Z")));
  }

  @Test
  void fallBackRunsARepeatedTimeOnce() {
    // 2030-11-03 01:30 happens twice in New York; the backup runs at the first one only.
    CronSchedule ny = cron("30 1 * * *", "America/New_York");
    Instant first = ny.nextAfter(at("2030-11-02T12:00:00Z")).orElseThrow();
    assertEquals(at("2030-11-03T05:30:00Z"), first); // 01:30 EDT
    assertEquals(at("2030-11-04T06:30:00Z"), ny.nextAfter(first).orElseThrow()); // next day, EST
    assertEquals(Optional.of(first), ny.latestAtOrBefore(at("2030-11-03T06:45:00Z")));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "0 2 * *|      |must have 5 fields",
        "0 0 2 * * *|  |must have 5 fields",
        "61 * * * *|   |not valid cron",
        "0 0 30 2 *|   |never fires",
        "0 2 * * *|Mars/Olympus|not an IANA time zone",
      })
  void rejectsWhatIsNotACronScheduleWithAReason(String expression, String zone, String problem) {
    CronSchedule.Parsed parsed = CronSchedule.parse(expression, zone);
    assertTrue(parsed.schedule().isEmpty());
    assertTrue(parsed.problem().contains(problem), parsed.problem());
  }
}
