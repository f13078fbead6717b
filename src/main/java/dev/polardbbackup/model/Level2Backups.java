package dev.polardbbackup.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/**
 * The cluster's level-2 backups: copies of level-1 backups kept longer, optionally also in another
 * region. A field left out is left as PolarDB has it.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Level2Backups(
    @Size(min = 2, max = 7)
        @JsonPropertyDescription(
            "The days of the week to make level-2 copies on, at least two different ones"
                + " (DataLevel2BackupPeriod).")
        List<Weekday> backupPeriod,
    @Min(-1)
        @Max(7300)
        @JsonPropertyDescription(
            "Days to keep level-2 copies: 0 (off), 30 to 7300, or -1 (for ever)"
                + " (DataLevel2BackupRetentionPeriod).")
        Integer retentionDays,
    @Size(max = 64)
        @Pattern(PolarDBBackupSpec.REGION_ID_PATTERN)
        @JsonPropertyDescription(
            "Another region to copy level-2 backups to, e.g. cn-shanghai"
                + " (DataLevel2BackupAnotherRegionRegion).")
        String anotherRegion,
    @Min(-1)
        @Max(7300)
        @JsonPropertyDescription(
            "Days to keep the copies in anotherRegion: 0 (off), 30 to 7300, or -1 (for ever)"
                + " (DataLevel2BackupAnotherRegionRetentionPeriod).")
        Integer anotherRegionRetentionDays) {}
