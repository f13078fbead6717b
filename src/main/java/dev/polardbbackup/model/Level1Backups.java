package dev.polardbbackup.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/**
 * The cluster's level-1 backups: the snapshots PolarDB takes in the cluster's own region. A field
 * left out is left as PolarDB has it.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Level1Backups(
    @Size(min = 2, max = 7)
        @JsonPropertyDescription(
            "The days of the week to back up on, at least two different ones"
                + " (DataLevel1BackupPeriod). PolarDB backs up every day when frequency is not"
                + " Normal.")
        List<Weekday> backupPeriod,
    @Pattern(BACKUP_WINDOW_PATTERN)
        @JsonPropertyDescription(
            "When the backup starts: one hour, on the hour, in UTC, e.g. 18:00Z-19:00Z"
                + " (DataLevel1BackupTime).")
        String backupWindow,
    @Min(3)
        @Max(30)
        @JsonPropertyDescription(
            "Days to keep level-1 backups (DataLevel1BackupRetentionPeriod). PolarDB documents"
                + " both 3-14 and 3-30; which applies is PolarDB's to decide, and it refuses a"
                + " value outside its range.")
        Integer retentionDays,
    @Pattern("^(Normal|2/24H|3/24H|4/24H)$")
        @JsonPropertyDescription(
            "Normal (one backup a day) or 2/24H, 3/24H, 4/24H (one every 2, 3 or 4 hours)"
                + " (DataLevel1BackupFrequency).")
        String frequency) {

  public static final String BACKUP_WINDOW_PATTERN =
      "^([01][0-9]|2[0-3]):00Z-([01][0-9]|2[0-3]):00Z$";
}
