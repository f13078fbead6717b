package dev.polardbbackup.policy;

import dev.polardbbackup.model.EffectivePolicy;
import dev.polardbbackup.model.Level1Backups;
import dev.polardbbackup.model.Level2Backups;
import dev.polardbbackup.model.LogBackups;
import dev.polardbbackup.model.PolarDBBackupPolicySpec;
import dev.polardbbackup.model.Weekday;
import dev.polardbbackup.polardb.BackupPolicy;
import dev.polardbbackup.polardb.LogBackupPolicy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The spec of a PolarDBBackupPolicy in PolarDB's terms, and back: what to ask for (only the fields
 * the spec sets), what PolarDB has (for status), and one readable line per field that differs.
 */
final class WantedPolicy {
  /** The spec's name of each field, by the API's name, for lines a user reads. */
  private static final Map<String, String> SPEC_NAMES =
      Map.ofEntries(
          Map.entry("DataLevel1BackupPeriod", "level1.backupPeriod"),
          Map.entry("DataLevel1BackupTime", "level1.backupWindow"),
          Map.entry("DataLevel1BackupRetentionPeriod", "level1.retentionDays"),
          Map.entry("DataLevel1BackupFrequency", "level1.frequency"),
          Map.entry("DataLevel2BackupPeriod", "level2.backupPeriod"),
          Map.entry("DataLevel2BackupRetentionPeriod", "level2.retentionDays"),
          Map.entry("DataLevel2BackupAnotherRegionRegion", "level2.anotherRegion"),
          Map.entry(
              "DataLevel2BackupAnotherRegionRetentionPeriod", "level2.anotherRegionRetentionDays"),
          Map.entry("BackupRetentionPolicyOnClusterDeletion", "retentionOnClusterDeletion"),
          Map.entry("LogBackupRetentionPeriod", "logBackups.retentionDays"),
          Map.entry("LogBackupAnotherRegionRegion", "logBackups.anotherRegion"),
          Map.entry(
              "LogBackupAnotherRegionRetentionPeriod", "logBackups.anotherRegionRetentionDays"));

  private WantedPolicy() {}

  /** The automatic backup policy fields the spec sets; the others are left as PolarDB has them. */
  static BackupPolicy backup(PolarDBBackupPolicySpec spec) {
    BackupPolicy p = BackupPolicy.empty();
    Level1Backups l1 = spec.level1();
    if (l1 != null) {
      p = p.withDataLevel1BackupPeriod(weekdays(l1.backupPeriod()));
      p = p.withDataLevel1BackupTime(l1.backupWindow());
      p = p.withDataLevel1BackupRetentionPeriod(text(l1.retentionDays()));
      p = p.withDataLevel1BackupFrequency(l1.frequency());
    }
    Level2Backups l2 = spec.level2();
    if (l2 != null) {
      p = p.withDataLevel2BackupPeriod(weekdays(l2.backupPeriod()));
      p = p.withDataLevel2BackupRetentionPeriod(text(l2.retentionDays()));
      p = p.withDataLevel2BackupAnotherRegionRegion(l2.anotherRegion());
      p = p.withDataLevel2BackupAnotherRegionRetentionPeriod(text(l2.anotherRegionRetentionDays()));
    }
    if (spec.retentionOnClusterDeletion() != null) {
      p = p.withBackupRetentionPolicyOnClusterDeletion(spec.retentionOnClusterDeletion().name());
    }
    return p;
  }

  /** The log backup policy fields the spec sets. */
  static LogBackupPolicy log(PolarDBBackupPolicySpec spec) {
    LogBackupPolicy p = LogBackupPolicy.empty();
    LogBackups logs = spec.logBackups();
    if (logs != null) {
      p = p.withLogBackupRetentionPeriod(text(logs.retentionDays()));
      p = p.withLogBackupAnotherRegionRegion(logs.anotherRegion());
      p = p.withLogBackupAnotherRegionRetentionPeriod(text(logs.anotherRegionRetentionDays()));
    }
    return p;
  }

  /**
   * One line per field of {@code changes} (the wanted values that differ), naming the spec's field,
   * the wanted value and PolarDB's, e.g. {@code level1.retentionDays: wanted 7, PolarDB has 14}.
   */
  static List<String> differences(
      BackupPolicy changes,
      BackupPolicy observed,
      LogBackupPolicy logChanges,
      LogBackupPolicy observedLog) {
    List<String> lines = new ArrayList<>();
    Map<String, String> has = new java.util.HashMap<>(observed.parameters());
    has.putAll(observedLog.parameters());
    Map<String, String> wanted = new java.util.LinkedHashMap<>(changes.parameters());
    wanted.putAll(logChanges.parameters());
    wanted.forEach(
        (name, value) ->
            lines.add(
                SPEC_NAMES.getOrDefault(name, name)
                    + ": wanted "
                    + value
                    + ", PolarDB has "
                    + (has.get(name) == null ? "none" : has.get(name))));
    return lines;
  }

  /** The policy as PolarDB reports it, in the spec's shape, for status. */
  static EffectivePolicy effective(BackupPolicy p, LogBackupPolicy log) {
    return new EffectivePolicy(
        new EffectivePolicy.Level1(
            list(p.dataLevel1BackupPeriod()),
            p.dataLevel1BackupTime(),
            number(p.dataLevel1BackupRetentionPeriod()),
            p.dataLevel1BackupFrequency()),
        new EffectivePolicy.Level2(
            list(p.dataLevel2BackupPeriod()),
            number(p.dataLevel2BackupRetentionPeriod()),
            p.dataLevel2BackupAnotherRegionRegion(),
            number(p.dataLevel2BackupAnotherRegionRetentionPeriod())),
        new EffectivePolicy.Logs(
            number(log.logBackupRetentionPeriod()),
            log.logBackupAnotherRegionRegion(),
            number(log.logBackupAnotherRegionRetentionPeriod())),
        p.backupRetentionPolicyOnClusterDeletion());
  }

  private static String weekdays(List<Weekday> days) {
    return days == null
        ? null
        : days.stream().distinct().map(Weekday::name).collect(Collectors.joining(","));
  }

  private static String text(Integer n) {
    return n == null ? null : n.toString();
  }

  private static List<String> list(String commaSeparated) {
    return commaSeparated == null || commaSeparated.isBlank()
        ? null
        : Arrays.stream(commaSeparated.split(",")).map(String::trim).toList();
  }

  /** A number as PolarDB wrote it; a value that is not one is left out rather than guessed. */
  private static Integer number(String text) {
    if (text == null) {
      return null;
    }
    try {
      return Integer.valueOf(text.trim());
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
