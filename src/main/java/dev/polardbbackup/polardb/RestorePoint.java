package dev.polardbbackup.polardb;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a restore inside a cluster restores from: a backup set ({@code BackupId}) or a moment
 * ({@code RestoreTime}, UTC to the minute, within the last 7 days); exactly one of the two.
 */
public record RestorePoint(Optional<String> backupId, Optional<Instant> restoreTime) {
  private static final DateTimeFormatter MINUTES =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm'Z'").withZone(ZoneOffset.UTC);

  public RestorePoint {
    Objects.requireNonNull(backupId, "backupId");
    Objects.requireNonNull(restoreTime, "restoreTime");
    if (backupId.isPresent() == restoreTime.isPresent()) {
      throw new IllegalArgumentException("give exactly one of a BackupId and a RestoreTime");
    }
  }

  public static RestorePoint backup(String backupId) {
    return new RestorePoint(Optional.of(backupId), Optional.empty());
  }

  /** The time is sent to the minute (truncated): the API has no seconds here. */
  public static RestorePoint time(Instant restoreTime) {
    return new RestorePoint(Optional.empty(), Optional.of(restoreTime));
  }

  /** {@code BackupId} or {@code RestoreTime}, as sent. */
  Map<String, String> parameters() {
    return backupId.isPresent()
        ? Map.of("BackupId", backupId.get())
        : Map.of("RestoreTime", MINUTES.format(restoreTime.get().truncatedTo(ChronoUnit.MINUTES)));
  }
}
