package dev.polardbbackup.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;

/**
 * The cluster's log backups, which point-in-time recovery needs (always on in PolarDB; only how
 * long they are kept and where can change). A field left out is left as PolarDB has it.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LogBackups(
    @Min(-1)
        @Max(7300)
        @JsonPropertyDescription(
            "Days to keep log backups: 3 to 7300, or -1 (for ever) (LogBackupRetentionPeriod).")
        Integer retentionDays,
    @Size(max = 64)
        @Pattern(PolarDBBackupSpec.REGION_ID_PATTERN)
        @JsonPropertyDescription(
            "Another region to copy log backups to, e.g. cn-shanghai"
                + " (LogBackupAnotherRegionRegion).")
        String anotherRegion,
    @Min(-1)
        @Max(7300)
        @JsonPropertyDescription(
            "Days to keep the copies in anotherRegion: 0 (off), 30 to 7300, or -1 (for ever)"
                + " (LogBackupAnotherRegionRetentionPeriod).")
        Integer anotherRegionRetentionDays) {}
