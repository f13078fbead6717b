package dev.polardbbackup.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import java.time.Duration;
import java.util.Optional;

/**
 * Which of a schedule's backups to keep. The oldest beyond the limits are deleted; each one's
 * deletionPolicy decides whether its PolarDB backup goes too.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Retention(
    // Two, not three: two kept plus the one being made fit the cluster's three manual slots.
    @Default("2")
        @Min(1)
        @Max(1000)
        @JsonPropertyDescription(
            "How many successful backups to keep (default 2: with the one being made, the"
                + " cluster's 3 manual-backup slots).")
        Integer keepLast,
    @Default("1")
        @Min(0)
        @Max(1000)
        @JsonPropertyDescription("How many failed backups to keep for inspection (default 1).")
        Integer keepFailed,
    @Pattern(MAX_AGE_PATTERN)
        @JsonPropertyDescription(
            "Also delete successful backups older than this, e.g. 168h or 30d (units d, h, m)."
                + " The newest successful backup is never deleted for its age.")
        String maxAge,
    @Default("false")
        @JsonPropertyDescription(
            "When a tick would exceed the cluster's manual-backup quota, delete one of this"
                + " schedule's backups first: a failed one, else the oldest successful one if"
                + " retention would delete it anyway once the new one succeeds; never the newest"
                + " successful one. Stops for the day when a deletion freed nothing (the quota"
                + " counts backups per day). Needs deletionPolicy Delete. Default false.")
        Boolean rotateWhenQuotaFull) {

  public static final String MAX_AGE_PATTERN = DurationText.PATTERN;

  public static Retention defaults() {
    return new Retention(null, null, null, null);
  }

  public int effectiveKeepLast() {
    return keepLast == null ? 2 : Math.max(1, keepLast);
  }

  public int effectiveKeepFailed() {
    return keepFailed == null ? 1 : Math.max(0, keepFailed);
  }

  public boolean rotates() {
    return Boolean.TRUE.equals(rotateWhenQuotaFull);
  }

  /** The maximum age, or empty when unset or not of the form 30d, 12h, 1d12h, 90m. */
  public Optional<Duration> maxAgeDuration() {
    return DurationText.parse(maxAge);
  }
}
