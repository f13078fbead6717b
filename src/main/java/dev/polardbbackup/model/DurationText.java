package dev.polardbbackup.model;

import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;

/**
 * The durations users write in specs: whole numbers of days, hours and minutes, e.g. 7d, 36h, 1d12h
 * or 90m (a schedule's retention maxAge, a restore's ttl, a drill's interval).
 */
public final class DurationText {
  /** What the CRD schema accepts. */
  public static final String PATTERN = "^([0-9]{1,6}[dhm])+$";

  private static final java.util.regex.Pattern PART =
      java.util.regex.Pattern.compile("([0-9]{1,6})([dhm])");

  private DurationText() {}

  /** The duration, or empty when the text is absent, zero or not of the form above. */
  public static Optional<Duration> parse(String text) {
    if (text == null || !text.matches(PATTERN)) {
      return Optional.empty();
    }
    Duration total = Duration.ZERO;
    Matcher m = PART.matcher(text);
    while (m.find()) {
      long n = Long.parseLong(m.group(1));
      total =
          total.plus(
              switch (m.group(2)) {
                case "d" -> Duration.ofDays(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofMinutes(n);
              });
    }
    return total.isZero() ? Optional.empty() : Optional.of(total);
  }
}
