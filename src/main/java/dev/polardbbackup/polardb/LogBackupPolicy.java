package dev.polardbbackup.polardb;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A cluster's log backup policy ({@code DescribeLogBackupPolicy}), or the changes to make to it
 * ({@code ModifyLogBackupPolicy}). Strings as on the wire, null when unknown or to be left alone;
 * an empty region in a reply is read as null.
 *
 * @param logBackupRetentionPeriod days: 3-7300, or -1 (for ever)
 * @param logBackupAnotherRegionRegion the region of cross-region log copies
 * @param logBackupAnotherRegionRetentionPeriod days: 0 (off), 30-7300, or -1
 * @param enableBackupLog read-only, always {@code "1"} in a reply; never sent
 */
public record LogBackupPolicy(
    String logBackupRetentionPeriod,
    String logBackupAnotherRegionRegion,
    String logBackupAnotherRegionRetentionPeriod,
    String enableBackupLog) {

  private static final LogBackupPolicy EMPTY = new LogBackupPolicy(null, null, null, null);

  public static LogBackupPolicy empty() {
    return EMPTY;
  }

  /** True when there is nothing to send (the read-only {@code enableBackupLog} does not count). */
  public boolean isEmpty() {
    return parameters().isEmpty();
  }

  /** The fields set, under the names {@code ModifyLogBackupPolicy} is sent. */
  public Map<String, String> parameters() {
    Map<String, String> p = new LinkedHashMap<>();
    if (logBackupRetentionPeriod != null) {
      p.put("LogBackupRetentionPeriod", logBackupRetentionPeriod);
    }
    if (logBackupAnotherRegionRegion != null) {
      p.put("LogBackupAnotherRegionRegion", logBackupAnotherRegionRegion);
    }
    if (logBackupAnotherRegionRetentionPeriod != null) {
      p.put("LogBackupAnotherRegionRetentionPeriod", logBackupAnotherRegionRetentionPeriod);
    }
    return p;
  }

  /** The fields set here that differ from {@code observed}: what a Modify call must send. */
  public LogBackupPolicy changesFrom(LogBackupPolicy observed) {
    return new LogBackupPolicy(
        PolicyValues.change(logBackupRetentionPeriod, observed.logBackupRetentionPeriod, false),
        PolicyValues.change(
            logBackupAnotherRegionRegion, observed.logBackupAnotherRegionRegion, false),
        PolicyValues.change(
            logBackupAnotherRegionRetentionPeriod,
            observed.logBackupAnotherRegionRetentionPeriod,
            false),
        null);
  }

  public LogBackupPolicy withLogBackupRetentionPeriod(String v) {
    return new LogBackupPolicy(
        v, logBackupAnotherRegionRegion, logBackupAnotherRegionRetentionPeriod, enableBackupLog);
  }

  public LogBackupPolicy withLogBackupAnotherRegionRegion(String v) {
    return new LogBackupPolicy(
        logBackupRetentionPeriod, v, logBackupAnotherRegionRetentionPeriod, enableBackupLog);
  }

  public LogBackupPolicy withLogBackupAnotherRegionRetentionPeriod(String v) {
    return new LogBackupPolicy(
        logBackupRetentionPeriod, logBackupAnotherRegionRegion, v, enableBackupLog);
  }
}
