package dev.polardbbackup.schedule;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.DateTimeException;
import java.time.Duration;
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

  /**
   * How far apart the ticks are, as one figure: the longest gap between consecutive ticks from the
   * one before the latest tick at or before {@code now} through the next {@value #GAPS_LOOKED_AT}
   * gaps. An uneven schedule reads its longest gap all the time (a weekdays-only schedule reads 72
   * hours, also on Tuesday), so that an alert on "no success for twice the interval" never fires
   * over a quiet weekend. Empty when the schedule has fewer than two ticks to compare.
   */
  Optional<Duration> interval(Instant now) {
    Optional<Instant> latest = latestAtOrBefore(now);
    Optional<Instant> tick =
        latest
            .flatMap(t -> latestAtOrBefore(t.minusSeconds(60)))
            .or(() -> latest)
            .or(() -> nextAfter(now));
    Duration longest = null;
    for (int i = 0; i < GAPS_LOOKED_AT && tick.isPresent(); i++) {
      Optional<Instant> next = nextAfter(tick.get());
      if (next.isEmpty()) {
        break;
      }
      Duration gap = Duration.between(tick.get(), next.get());
      longest = longest == null || gap.compareTo(longest) > 0 ? gap : longest;
      tick = next;
    }
    return Optional.ofNullable(longest);
  }

  private static final int GAPS_LOOKED_AT = 8;

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
