package dev.polardbbackup.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;

/**
 * A cluster's backup policy as PolarDB last reported it, in the shape of the spec. Every field is
 * as PolarDB gave it (weekdays and the deletion retention as strings, not checked against the
 * spec's enums) and absent where PolarDB gave nothing.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EffectivePolicy(
    @JsonPropertyDescription("Level-1 backups.") Level1 level1,
    @JsonPropertyDescription("Level-2 backups.") Level2 level2,
    @JsonPropertyDescription("Log backups.") Logs logBackups,
    @JsonPropertyDescription("ALL, LATEST or NONE: what is kept when the cluster is deleted.")
        String retentionOnClusterDeletion) {

  private static final String DAYS_OFF_OR_FOREVER = "Days; 0 is off, -1 is for ever.";

  /** Level-1 backups as reported. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Level1(
      @JsonPropertyDescription("Weekdays, e.g. Monday.") List<String> backupPeriod,
      @JsonPropertyDescription("e.g. 18:00Z-19:00Z.") String backupWindow,
      @JsonPropertyDescription("Days.") Integer retentionDays,
      @JsonPropertyDescription("Normal, 2/24H, 3/24H or 4/24H.") String frequency) {}

  /** Level-2 backups as reported. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Level2(
      @JsonPropertyDescription("Weekdays, e.g. Monday.") List<String> backupPeriod,
      @JsonPropertyDescription(DAYS_OFF_OR_FOREVER) Integer retentionDays,
      @JsonPropertyDescription("Absent when there are no cross-region copies.")
          String anotherRegion,
      @JsonPropertyDescription(DAYS_OFF_OR_FOREVER) Integer anotherRegionRetentionDays) {}

  /** Log backups as reported. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Logs(
      @JsonPropertyDescription("Days; -1 is for ever.") Integer retentionDays,
      @JsonPropertyDescription("Absent when there are no cross-region copies.")
          String anotherRegion,
      @JsonPropertyDescription(DAYS_OFF_OR_FOREVER) Integer anotherRegionRetentionDays) {}
}
