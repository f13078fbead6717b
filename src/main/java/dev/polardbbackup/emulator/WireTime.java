package dev.polardbbackup.emulator;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.time.temporal.ChronoUnit;

/** The two UTC formats PolarDB uses on the wire: seconds in replies, minutes in DescribeBackups. */
final class WireTime {
  private static final DateTimeFormatter SECONDS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss'Z'")
          .withResolverStyle(ResolverStyle.STRICT);
  private static final DateTimeFormatter MINUTES =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm'Z'").withResolverStyle(ResolverStyle.STRICT);

  private WireTime() {}

  static String seconds(Instant instant) {
    return SECONDS.format(
        LocalDateTime.ofInstant(instant.truncatedTo(ChronoUnit.SECONDS), ZoneOffset.UTC));
  }

  /** Parses {@code yyyy-MM-ddTHH:mm:ssZ}; throws {@link DateTimeParseException}. */
  static Instant parseSeconds(String text) {
    return LocalDateTime.parse(text, SECONDS).toInstant(ZoneOffset.UTC);
  }

  /** Parses {@code yyyy-MM-ddTHH:mmZ}; throws {@link DateTimeParseException}. */
  static Instant parseMinutes(String text) {
    return LocalDateTime.parse(text, MINUTES).toInstant(ZoneOffset.UTC);
  }

  static String minutes(Instant instant) {
    return MINUTES.format(LocalDateTime.ofInstant(instant, ZoneOffset.UTC));
  }
}
