package dev.polardbbackup.emulator;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The fields of a cluster's automatic backup policy and log backup policy, their defaults and the
 * rules a value must pass. Every value is a string, as on the wire. The level-1 period, window and
 * frequency have two spellings; the state is kept under the newer {@code DataLevel1*} names.
 */
final class PolicyFields {
  static final String L1_PERIOD = "DataLevel1BackupPeriod";
  static final String L1_TIME = "DataLevel1BackupTime";
  static final String L1_RETENTION = "DataLevel1BackupRetentionPeriod";
  static final String L1_FREQUENCY = "DataLevel1BackupFrequency";
  static final String L2_PERIOD = "DataLevel2BackupPeriod";
  static final String L2_RETENTION = "DataLevel2BackupRetentionPeriod";
  static final String L2_REGION = "DataLevel2BackupAnotherRegionRegion";
  static final String L2_REGION_RETENTION = "DataLevel2BackupAnotherRegionRetentionPeriod";
  static final String ON_DELETION = "BackupRetentionPolicyOnClusterDeletion";
  static final String LOG_RETENTION = "LogBackupRetentionPeriod";
  static final String LOG_REGION = "LogBackupAnotherRegionRegion";
  static final String LOG_REGION_RETENTION = "LogBackupAnotherRegionRetentionPeriod";
  static final String ENABLE_BACKUP_LOG = "EnableBackupLog";

  /** The older spelling of a level-1 field, and the newer one it stands for. */
  static final Map<String, String> LEGACY =
      Map.of(
          "PreferredBackupPeriod", L1_PERIOD,
          "PreferredBackupTime", L1_TIME,
          "BackupFrequency", L1_FREQUENCY);

  static final List<String> DATA =
      List.of(
          L1_PERIOD,
          L1_TIME,
          L1_RETENTION,
          L1_FREQUENCY,
          L2_PERIOD,
          L2_RETENTION,
          L2_REGION,
          L2_REGION_RETENTION,
          ON_DELETION);

  static final List<String> LOG = List.of(LOG_RETENTION, LOG_REGION, LOG_REGION_RETENTION);

  static final String ALL = "ALL";
  static final String LATEST = "LATEST";
  static final String NONE = "NONE";

  private static final List<String> WEEK =
      List.of("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday");
  private static final Set<String> FREQUENCIES = Set.of("Normal", "2/24H", "3/24H", "4/24H");
  private static final Set<String> ON_DELETION_VALUES = Set.of(ALL, LATEST, NONE);
  private static final Pattern WINDOW =
      Pattern.compile("([01][0-9]|2[0-3]):([0-5][0-9])Z-([01][0-9]|2[0-3]):([0-5][0-9])Z");
  private static final Pattern NUMBER = Pattern.compile("-1|0|[1-9][0-9]{0,5}");

  /** Regions a cross-region copy may go to: Alibaba Cloud's public regions with PolarDB. */
  static final Set<String> REGIONS =
      Set.of(
          "cn-hangzhou",
          "cn-shanghai",
          "cn-beijing",
          "cn-qingdao",
          "cn-zhangjiakou",
          "cn-huhehaote",
          "cn-wulanchabu",
          "cn-shenzhen",
          "cn-heyuan",
          "cn-guangzhou",
          "cn-chengdu",
          "cn-hongkong",
          "cn-hangzhou-finance",
          "cn-shanghai-finance-1",
          "cn-beijing-finance-1",
          "cn-shenzhen-finance-1",
          "ap-northeast-1",
          "ap-northeast-2",
          "ap-southeast-1",
          "ap-southeast-3",
          "ap-southeast-5",
          "ap-southeast-6",
          "ap-southeast-7",
          "ap-south-1",
          "eu-central-1",
          "eu-west-1",
          "us-east-1",
          "us-west-1",
          "me-east-1",
          "me-central-1");

  private PolicyFields() {}

  /**
   * A new cluster's policy (the docs give only some defaults: level-2 off, NONE on deletion; the
   * period and window are ours): backups on Monday, Wednesday and Friday between 18:00 and 19:00
   * UTC (02:00 in Beijing), level-1 kept 7 days at Normal frequency, no level-2 or cross-region
   * copies, log backups kept 7 days.
   */
  static Map<String, String> defaults() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put(L1_PERIOD, "Monday,Wednesday,Friday");
    p.put(L1_TIME, "18:00Z-19:00Z");
    p.put(L1_RETENTION, "7");
    p.put(L1_FREQUENCY, "Normal");
    p.put(L2_PERIOD, "Monday,Wednesday,Friday");
    p.put(L2_RETENTION, "0");
    p.put(L2_REGION, "");
    p.put(L2_REGION_RETENTION, "0");
    p.put(ON_DELETION, NONE);
    p.put(LOG_RETENTION, "7");
    p.put(LOG_REGION, "");
    p.put(LOG_REGION_RETENTION, "0");
    return p;
  }

  /**
   * The value to keep for {@code field} (a newer name), or an ApiError naming the parameter as it
   * was sent ({@code sentAs}, which may be the older spelling).
   */
  static String check(String field, String sentAs, String value, int level1RetentionMaxDays) {
    return switch (field) {
      case L1_PERIOD, L2_PERIOD -> weekdays(sentAs, value);
      case L1_TIME -> window(sentAs, value);
      case L1_FREQUENCY -> oneOf(sentAs, value, FREQUENCIES, "Use Normal, 2/24H, 3/24H or 4/24H.");
      case ON_DELETION -> oneOf(sentAs, value, ON_DELETION_VALUES, "Use ALL, LATEST or NONE.");
      case L1_RETENTION -> days(sentAs, value, 3, level1RetentionMaxDays, false, false);
      case L2_RETENTION, L2_REGION_RETENTION, LOG_REGION_RETENTION ->
          days(sentAs, value, 30, 7300, true, true);
      case LOG_RETENTION -> days(sentAs, value, 3, 7300, false, true);
      case L2_REGION, LOG_REGION -> region(field, value);
      default -> throw new IllegalArgumentException("not a policy field: " + field);
    };
  }

  private static String weekdays(String sentAs, String value) {
    Set<String> days = new LinkedHashSet<>();
    for (String day : value.split(",", -1)) {
      if (!WEEK.contains(day) || !days.add(day)) {
        throw ApiError.malformed(
            400, sentAs, "Use distinct days Monday to Sunday separated by commas.");
      }
    }
    if (days.size() < 2) {
      throw ApiError.malformed(400, sentAs, "Select at least two days.");
    }
    // Kept in week order whatever the order sent, as a set of days would be.
    return WEEK.stream().filter(days::contains).collect(Collectors.joining(","));
  }

  private static String window(String sentAs, String value) {
    Matcher m = WINDOW.matcher(value);
    if (!m.matches()
        || !m.group(2).equals("00")
        || !m.group(4).equals("00")
        || (Integer.parseInt(m.group(3)) - Integer.parseInt(m.group(1)) + 24) % 24 != 1) {
      throw ApiError.malformed(
          400, sentAs, "Use hh:mmZ-hh:mmZ in UTC, one hour on the hour, e.g. 14:00Z-15:00Z.");
    }
    return value;
  }

  private static String oneOf(String sentAs, String value, Set<String> allowed, String why) {
    if (!allowed.contains(value)) {
      throw ApiError.malformed(400, sentAs, why);
    }
    return value;
  }

  private static String days(
      String sentAs, String value, int min, int max, boolean zeroIsOff, boolean minusOneForever) {
    String range =
        (zeroIsOff ? "0 (off), " : "")
            + min
            + " to "
            + max
            + (minusOneForever ? " or -1 (for ever)" : "")
            + " days.";
    if (!NUMBER.matcher(value).matches()) {
      throw ApiError.malformed(400, sentAs, "Use " + range);
    }
    int days = Integer.parseInt(value);
    boolean ok =
        (days >= min && days <= max) || (zeroIsOff && days == 0) || (minusOneForever && days == -1);
    if (!ok) {
      throw ApiError.malformed(400, sentAs, "Use " + range);
    }
    return value;
  }

  /**
   * An unknown region is NotFound. The docs name the level-2 code without "Backup"; the log one is
   * built the same way (our choice, it is undocumented).
   */
  private static String region(String field, String value) {
    if (!REGIONS.contains(value)) {
      String code =
          field.equals(L2_REGION)
              ? "InvalidDataLevel2AnotherRegionRegion.NotFound"
              : "InvalidLogBackupAnotherRegionRegion.NotFound";
      throw new ApiError(400, code, "The specified region " + value + " does not exist.");
    }
    return value;
  }
}
