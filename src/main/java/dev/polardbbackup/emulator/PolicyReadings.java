package dev.polardbbackup.emulator;

import java.util.Objects;

/**
 * How the emulator answers the backup-policy actions where Alibaba's docs disagree or are silent.
 * The operator must be right under every combination; {@link #defaults()} is the most common
 * reading.
 *
 * @param level1RetentionMaxDays the longest {@code DataLevel1BackupRetentionPeriod} accepted: 14
 *     per the API reference and SDK docs (the default), 30 per Alibaba's Terraform provider. The
 *     shortest is 3 in both.
 * @param describeNames which spelling of the level-1 period, window and frequency {@code
 *     DescribeBackupPolicy} answers with; default {@link Names#BOTH}
 * @param legacyNamesInModify whether {@code ModifyBackupPolicy} accepts {@code
 *     PreferredBackupPeriod}, {@code PreferredBackupTime} and {@code BackupFrequency} (default
 *     true). False is the newer docs' reading that {@code PreferredBackupPeriod} "is not supported"
 *     in regions with cross-region backup: each legacy name is refused with {@code
 *     Invalid<Name>.Malformed}.
 * @param modifyRequiresBackupWindow whether every {@code ModifyBackupPolicy} must carry the level-1
 *     period and window (in either spelling), as older docs mark {@code PreferredBackupPeriod} and
 *     {@code PreferredBackupTime} required; default false (newer docs: every field optional). A
 *     missing one is refused with {@code MissingPreferredBackupPeriod} or {@code
 *     MissingPreferredBackupTime}.
 */
public record PolicyReadings(
    int level1RetentionMaxDays,
    Names describeNames,
    boolean legacyNamesInModify,
    boolean modifyRequiresBackupWindow) {

  /**
   * The field names {@code DescribeBackupPolicy} uses for the level-1 period, time and frequency.
   */
  public enum Names {
    /** {@code PreferredBackupPeriod}, {@code PreferredBackupTime}, {@code BackupFrequency}. */
    LEGACY,
    /**
     * {@code DataLevel1BackupPeriod}, {@code DataLevel1BackupTime}, {@code
     * DataLevel1BackupFrequency}.
     */
    DATA_LEVEL_1,
    /** Both sets, with the same values. */
    BOTH
  }

  public PolicyReadings {
    Objects.requireNonNull(describeNames, "describeNames");
    if (level1RetentionMaxDays < 3) {
      throw new IllegalArgumentException(
          "level1RetentionMaxDays must be at least 3 (the shortest retention): "
              + level1RetentionMaxDays);
    }
  }

  /** 3-14 days, both spellings in Describe, both accepted in Modify, no field required. */
  public static PolicyReadings defaults() {
    return new PolicyReadings(14, Names.BOTH, true, false);
  }

  public PolicyReadings withLevel1RetentionMaxDays(int days) {
    return new PolicyReadings(days, describeNames, legacyNamesInModify, modifyRequiresBackupWindow);
  }

  public PolicyReadings withDescribeNames(Names names) {
    return new PolicyReadings(
        level1RetentionMaxDays, names, legacyNamesInModify, modifyRequiresBackupWindow);
  }

  public PolicyReadings withLegacyNamesInModify(boolean accepted) {
    return new PolicyReadings(
        level1RetentionMaxDays, describeNames, accepted, modifyRequiresBackupWindow);
  }

  public PolicyReadings withModifyRequiresBackupWindow(boolean required) {
    return new PolicyReadings(level1RetentionMaxDays, describeNames, legacyNamesInModify, required);
  }
}
