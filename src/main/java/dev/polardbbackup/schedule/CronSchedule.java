package dev.polardbbackup.schedule;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A 5-field cron expression read in a time zone: the ticks of a schedule. Ticks are whole minutes.
 */
final class CronSchedule {
  // cron-utils' UNIX definition has no nicknames; these are what crontab(5) and CronJob accept.
  private static final Map<String, String> NICKNAMES =
      Map.of(
          "@yearly", "0 0 1 1 *",
          "@annually", "0 0 1 1 *",
          "@monthly", "0 0 1 * *",
          "@weekly", "0 0 * * 0",
          "@daily", "0 0 * * *",
          "@midnight", "0 0 * * *",
          "@hourly", "0 * * * *");

  private final ExecutionTime execution;
  private final ZoneId zone;

  private CronSchedule(ExecutionTime execution, ZoneId zone) {
    this.execution = execution;
    this.zone = zone;
  }

  /** A parsed schedule, or why it is not one, in words for the user. */
  record Parsed(Optional<CronSchedule> schedule, String problem) {}

  static Parsed parse(String expression, String timeZone) {
    ZoneId zone;
    try {
      zone = timeZone == null || timeZone.isBlank() ? ZoneOffset.UTC : ZoneId.of(timeZone);
    } catch (DateTimeException e) {
      return invalid("timeZone '" + timeZone + "' is not an IANA time zone such as Asia/Shanghai");
    }
    if (expression == null || expression.isBlank()) {
      return invalid("schedule is empty");
    }
    String text = expression.trim();
    String cron = NICKNAMES.getOrDefault(text.toLowerCase(Locale.ROOT), text);
    if (cron.split("\\s+").length != 5) {
      return invalid(
          "schedule '" + text + "' must have 5 fields: minute hour day-of-month month day-of-week");
    }
    try {
      var parser = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
      var parsed = parser.parse(cron).validate();
      var execution = ExecutionTime.forCron(parsed);
      var schedule = new CronSchedule(execution, zone);
      if (schedule.nextAfter(Instant.EPOCH).isEmpty()) {
        return invalid("schedule '" + text + "' never fires");
      }
      return new Parsed(Optional.of(schedule), null);
    } catch (IllegalArgumentException e) {
      return invalid("schedule '" + text + "' is not valid cron: " + e.getMessage());
    }
  }

  private static Parsed invalid(String problem) {
    return new Parsed(Optional.empty(), problem);
  }

  /** The first tick strictly after {@code time}. */
  Optional<Instant> nextAfter(Instant time) {
    Optional<LocalDateTime> wall = Optional.of(wall(time));
    while (true) {
      wall =
          wall.flatMap(w -> execution.nextExecution(w.atZone(ZoneOffset.UTC)))
              .map(ZonedDateTime::toLocalDateTime);
      if (wall.isEmpty() || instant(wall.get()).isAfter(time)) {
        return wall.map(this::instant);
      }
    }
  }

  /** The latest tick at or before {@code time}. */
  Optional<Instant> latestAtOrBefore(Instant time) {
    LocalDateTime minute = wall(time);
    Optional<LocalDateTime> wall =
        execution.isMatch(minute.atZone(ZoneOffset.UTC)) ? Optional.of(minute) : previous(minute);
    while (wall.isPresent() && instant(wall.get()).isAfter(time)) {
      wall = previous(wall.get());
    }
    return wall.map(this::instant);
  }

  /** How many ticks lie in (after, upTo], counting no further than {@code cap}. */
  int countBetween(Instant after, Instant upTo, int cap) {
    int count = 0;
    Optional<Instant> tick = nextAfter(after);
    while (tick.isPresent() && !tick.get().isAfter(upTo) && count < cap) {
      count++;
      tick = nextAfter(tick.get());
    }
    return count;
  }

  private Optional<LocalDateTime> previous(LocalDateTime wall) {
    return execution.lastExecution(wall.atZone(ZoneOffset.UTC)).map(ZonedDateTime::toLocalDateTime);
  }

  /**
   * Cron matches wall-clock times, as crontab does: a time in a spring-forward gap runs right after
   * the gap (not never), and a time repeated at fall-back runs once (at its first occurrence).
   */
  private Instant instant(LocalDateTime wall) {
    return ZonedDateTime.ofLocal(wall, zone, null).toInstant();
  }

  private LocalDateTime wall(Instant time) {
    return LocalDateTime.ofInstant(time.truncatedTo(ChronoUnit.MINUTES), zone);
  }
}
