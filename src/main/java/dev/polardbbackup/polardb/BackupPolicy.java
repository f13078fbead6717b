package dev.polardbbackup.polardb;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A cluster's automatic backup policy ({@code DescribeBackupPolicy}), or the changes to make to it
 * ({@code ModifyBackupPolicy}). Every field is a string as on the wire, null when unknown or (for
 * changes) to be left alone. PolarDB answers an unset cross-region region with an empty string; it
 * is read as null.
 *
 * <p>The level-1 period, window and frequency have an older spelling ({@code
 * PreferredBackupPeriod}, {@code PreferredBackupTime}, {@code BackupFrequency}); a reply is read in
 * either, preferring the {@code DataLevel1*} name when both are present. The level-1 retention is
 * read from {@code DataLevel1BackupRetentionPeriod}, else from the {@code BackupRetentionPeriod}
 * some older replies carry.
 *
 * @param dataLevel1BackupPeriod weekdays, comma-separated, at least two ({@code Monday,Friday})
 * @param dataLevel1BackupTime a one-hour UTC window on the hour ({@code 14:00Z-15:00Z})
 * @param dataLevel1BackupRetentionPeriod days (3-14; some readings allow up to 30)
 * @param dataLevel1BackupFrequency {@code Normal}, {@code 2/24H}, {@code 3/24H} or {@code 4/24H}
 * @param dataLevel2BackupPeriod weekdays of the level-2 copies, at least two
 * @param dataLevel2BackupRetentionPeriod days: 0 (off), 30-7300, or -1 (for ever)
 * @param dataLevel2BackupAnotherRegionRegion the region of cross-region level-2 copies
 * @param dataLevel2BackupAnotherRegionRetentionPeriod days: 0 (off), 30-7300, or -1
 * @param backupRetentionPolicyOnClusterDeletion {@code ALL}, {@code LATEST} or {@code NONE} (the
 *     default: deleting the cluster deletes its backup sets)
 */
public record BackupPolicy(
    String dataLevel1BackupPeriod,
    String dataLevel1BackupTime,
    String dataLevel1BackupRetentionPeriod,
    String dataLevel1BackupFrequency,
    String dataLevel2BackupPeriod,
    String dataLevel2BackupRetentionPeriod,
    String dataLevel2BackupAnotherRegionRegion,
    String dataLevel2BackupAnotherRegionRetentionPeriod,
    String backupRetentionPolicyOnClusterDeletion) {

  private static final BackupPolicy EMPTY =
      new BackupPolicy(null, null, null, null, null, null, null, null, null);

  /** No field set: a start for building changes with the {@code with*} methods. */
  public static BackupPolicy empty() {
    return EMPTY;
  }

  public boolean isEmpty() {
    return equals(EMPTY);
  }

  /**
   * The fields set, under the names {@code ModifyBackupPolicy} is sent: the {@code DataLevel1*}
   * spelling, which the newer API reference uses and which is accepted where the older {@code
   * PreferredBackup*} names are not (regions with cross-region backup).
   */
  public Map<String, String> parameters() {
    Map<String, String> p = new LinkedHashMap<>();
    put(p, "DataLevel1BackupPeriod", dataLevel1BackupPeriod);
    put(p, "DataLevel1BackupTime", dataLevel1BackupTime);
    put(p, "DataLevel1BackupRetentionPeriod", dataLevel1BackupRetentionPeriod);
    put(p, "DataLevel1BackupFrequency", dataLevel1BackupFrequency);
    put(p, "DataLevel2BackupPeriod", dataLevel2BackupPeriod);
    put(p, "DataLevel2BackupRetentionPeriod", dataLevel2BackupRetentionPeriod);
    put(p, "DataLevel2BackupAnotherRegionRegion", dataLevel2BackupAnotherRegionRegion);
    put(
        p,
        "DataLevel2BackupAnotherRegionRetentionPeriod",
        dataLevel2BackupAnotherRegionRetentionPeriod);
    put(p, "BackupRetentionPolicyOnClusterDeletion", backupRetentionPolicyOnClusterDeletion);
    return p;
  }

  /**
   * The fields set here (the wanted policy) that differ from {@code observed}: what a Modify call
   * must send, empty when nothing differs. Weekday lists compare as sets.
   */
  public BackupPolicy changesFrom(BackupPolicy observed) {
    return new BackupPolicy(
        PolicyValues.change(dataLevel1BackupPeriod, observed.dataLevel1BackupPeriod, true),
        PolicyValues.change(dataLevel1BackupTime, observed.dataLevel1BackupTime, false),
        PolicyValues.change(
            dataLevel1BackupRetentionPeriod, observed.dataLevel1BackupRetentionPeriod, false),
        PolicyValues.change(dataLevel1BackupFrequency, observed.dataLevel1BackupFrequency, false),
        PolicyValues.change(dataLevel2BackupPeriod, observed.dataLevel2BackupPeriod, true),
        PolicyValues.change(
            dataLevel2BackupRetentionPeriod, observed.dataLevel2BackupRetentionPeriod, false),
        PolicyValues.change(
            dataLevel2BackupAnotherRegionRegion,
            observed.dataLevel2BackupAnotherRegionRegion,
            false),
        PolicyValues.change(
            dataLevel2BackupAnotherRegionRetentionPeriod,
            observed.dataLevel2BackupAnotherRegionRetentionPeriod,
            false),
        PolicyValues.change(
            backupRetentionPolicyOnClusterDeletion,
            observed.backupRetentionPolicyOnClusterDeletion,
            false));
  }

  /**
   * These changes plus the level-1 period and window from {@code observed} where they are not set
   * here. Older docs mark both required in every {@code ModifyBackupPolicy}; sending them as they
   * are is harmless where they are optional.
   */
  public BackupPolicy withBackupWindowFrom(BackupPolicy observed) {
    return withDataLevel1BackupPeriod(
            dataLevel1BackupPeriod != null
                ? dataLevel1BackupPeriod
                : observed.dataLevel1BackupPeriod)
        .withDataLevel1BackupTime(
            dataLevel1BackupTime != null ? dataLevel1BackupTime : observed.dataLevel1BackupTime);
  }

  public BackupPolicy withDataLevel1BackupPeriod(String v) {
    return new BackupPolicy(
        v,
        dataLevel1BackupTime,
        dataLevel1BackupRetentionPeriod,
        dataLevel1BackupFrequency,
        dataLevel2BackupPeriod,
        dataLevel2BackupRetentionPeriod,
        dataLevel2BackupAnotherRegionRegion,
        dataLevel2BackupAnotherRegionRetentionPeriod,
        backupRetentionPolicyOnClusterDeletion);
  }

  public BackupPolicy withDataLevel1BackupTime(String v) {
    return new BackupPolicy(
        dataLevel1BackupPeriod,
        v,
        dataLevel1BackupRetentionPeriod,
        dataLevel1BackupFrequency,
        dataLevel2BackupPeriod,
        dataLevel2BackupRetentionPeriod,
        dataLevel2BackupAnotherRegionRegion,
        dataLevel2BackupAnotherRegionRetentionPeriod,
        backupRetentionPolicyOnClusterDeletion);
  }

  public BackupPolicy withDataLevel1BackupRetentionPeriod(String v) {
    return new BackupPolicy(
        dataLevel1BackupPeriod,
        dataLevel1BackupTime,
        v,
        dataLevel1BackupFrequency,
        dataLevel2BackupPeriod,
        dataLevel2BackupRetentionPeriod,
        dataLevel2BackupAnotherRegionRegion,
        dataLevel2BackupAnotherRegionRetentionPeriod,
        backupRetentionPolicyOnClusterDeletion);
  }

  public BackupPolicy withDataLevel1BackupFrequency(String v) {
    return new BackupPolicy(
        dataLevel1BackupPeriod,
        dataLevel1BackupTime,
        dataLevel1BackupRetentionPeriod,
        v,
        dataLevel2BackupPeriod,
        dataLevel2BackupRetentionPeriod,
        dataLevel2BackupAnotherRegionRegion,
        dataLevel2BackupAnotherRegionRetentionPeriod,
        backupRetentionPolicyOnClusterDeletion);
  }

  public BackupPolicy withDataLevel2BackupPeriod(String v) {
    return new BackupPolicy(
        dataLevel1BackupPeriod,
        dataLevel1BackupTime,
        dataLevel1BackupRetentionPeriod,
        dataLevel1BackupFrequency,
        v,
        dataLevel2BackupRetentionPeriod,
        dataLevel2BackupAnotherRegionRegion,
        dataLevel2BackupAnotherRegionRetentionPeriod,
        backupRetentionPolicyOnClusterDeletion);
  }

  public BackupPolicy withDataLevel2BackupRetentionPeriod(String v) {
    return new BackupPolicy(
        dataLevel1BackupPeriod,
        dataLevel1BackupTime,
        dataLevel1BackupRetentionPeriod,
        dataLevel1BackupFrequency,
        dataLevel2BackupPeriod,
        v,
        dataLevel2BackupAnotherRegionRegion,
        dataLevel2BackupAnotherRegionRetentionPeriod,
        backupRetentionPolicyOnClusterDeletion);
  }

  public BackupPolicy withDataLevel2BackupAnotherRegionRegion(String v) {
    return new BackupPolicy(
        dataLevel1BackupPeriod,
        dataLevel1BackupTime,
        dataLevel1BackupRetentionPeriod,
        dataLevel1BackupFrequency,
        dataLevel2BackupPeriod,
        dataLevel2BackupRetentionPeriod,
        v,
        dataLevel2BackupAnotherRegionRetentionPeriod,
        backupRetentionPolicyOnClusterDeletion);
  }

  public BackupPolicy withDataLevel2BackupAnotherRegionRetentionPeriod(String v) {
    return new BackupPolicy(
        dataLevel1BackupPeriod,
        dataLevel1BackupTime,
        dataLevel1BackupRetentionPeriod,
        dataLevel1BackupFrequency,
        dataLevel2BackupPeriod,
        dataLevel2BackupRetentionPeriod,
        dataLevel2BackupAnotherRegionRegion,
        v,
        backupRetentionPolicyOnClusterDeletion);
  }

  public BackupPolicy withBackupRetentionPolicyOnClusterDeletion(String v) {
    return new BackupPolicy(
        dataLevel1BackupPeriod,
        dataLevel1BackupTime,
        dataLevel1BackupRetentionPeriod,
        dataLevel1BackupFrequency,
        dataLevel2BackupPeriod,
        dataLevel2BackupRetentionPeriod,
        dataLevel2BackupAnotherRegionRegion,
        dataLevel2BackupAnotherRegionRetentionPeriod,
        v);
  }

  private static void put(Map<String, String> p, String name, String value) {
    if (value != null) {
      p.put(name, value);
    }
  }
}
