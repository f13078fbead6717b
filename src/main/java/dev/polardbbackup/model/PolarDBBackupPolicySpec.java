package dev.polardbbackup.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;

/**
 * The automatic backup policy one cluster should have. Every policy field is optional: a field left
 * out is left as PolarDB has it, so a spec can own only the settings its author cares about.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PolarDBBackupPolicySpec(
    @Required
        @Size(max = 64)
        @Pattern(PolarDBBackupSpec.CLUSTER_ID_PATTERN)
        @JsonPropertyDescription("The PolarDB cluster, e.g. pc-bp1abcdefghij1234.")
        String dbClusterId,
    @Required
        @Size(max = 64)
        @Pattern(PolarDBBackupSpec.REGION_ID_PATTERN)
        @JsonPropertyDescription("The cluster's region, e.g. cn-hangzhou.")
        String regionId,
    @JsonPropertyDescription(
            "Credentials to read and change the policy with. When absent, a PolarDBAccessGrant"
                + " with the action Policy decides which identity may be used.")
        SecretReference credentialsSecretRef,
    @Default("Enforce")
        @JsonPropertyDescription(
            "Enforce (default): a setting that differs from the spec is changed back."
                + " ObserveOnly: differences are reported only; PolarDB is never changed.")
        ManagementPolicy managementPolicy,
    @JsonPropertyDescription("Level-1 backups: when, how often and for how long.")
        Level1Backups level1,
    @JsonPropertyDescription("Level-2 backups: longer-kept copies, optionally in another region.")
        Level2Backups level2,
    @JsonPropertyDescription("Log backups, for point-in-time recovery.") LogBackups logBackups,
    @JsonPropertyDescription(
            "What PolarDB keeps when the cluster is deleted: ALL (every backup set), LATEST (the"
                + " most recent one) or NONE (PolarDB's default: deleting the cluster deletes"
                + " its backup sets, including manual backups such as a PolarDBBackup's).")
        RetentionOnClusterDeletion retentionOnClusterDeletion) {

  private static final java.util.regex.Pattern WINDOW =
      java.util.regex.Pattern.compile(Level1Backups.BACKUP_WINDOW_PATTERN);

  /** The management policy, defaulted where an API server did not apply the schema default. */
  public ManagementPolicy effectiveManagementPolicy() {
    return managementPolicy == null ? ManagementPolicy.Enforce : managementPolicy;
  }

  /**
   * What is wrong with this spec that the CRD schema cannot say (Kubernetes 1.20 has no CEL), one
   * sentence per problem naming the field; empty when nothing is. The reconciler refuses a spec
   * with problems rather than send PolarDB a change it would refuse or half-apply.
   */
  public List<String> problems() {
    List<String> problems = new ArrayList<>();
    if (level1 != null) {
      distinctDays(problems, "spec.level1.backupPeriod", level1.backupPeriod());
      oneHourWindow(problems, "spec.level1.backupWindow", level1.backupWindow());
      days(problems, "spec.level1.retentionDays", level1.retentionDays(), 3, 30, false, false);
    }
    if (level2 != null) {
      distinctDays(problems, "spec.level2.backupPeriod", level2.backupPeriod());
      days(problems, "spec.level2.retentionDays", level2.retentionDays(), 30, 7300, true, true);
      crossRegion(
          problems, "spec.level2", level2.anotherRegion(), level2.anotherRegionRetentionDays());
    }
    if (logBackups != null) {
      days(
          problems,
          "spec.logBackups.retentionDays",
          logBackups.retentionDays(),
          3,
          7300,
          false,
          true);
      crossRegion(
          problems,
          "spec.logBackups",
          logBackups.anotherRegion(),
          logBackups.anotherRegionRetentionDays());
    }
    return problems;
  }

  private static void distinctDays(List<String> problems, String field, List<Weekday> days) {
    if (days == null) {
      return;
    }
    Set<Weekday> seen = EnumSet.noneOf(Weekday.class);
    Set<Weekday> twice = EnumSet.noneOf(Weekday.class);
    for (Weekday day : days) {
      if (day != null && !seen.add(day)) {
        twice.add(day);
      }
    }
    for (Weekday day : twice) {
      problems.add(field + " lists " + day + " more than once; list each day once.");
    }
    if (seen.size() < 2) {
      problems.add(field + " must name at least two different days; it names " + seen.size() + ".");
    }
  }

  /** PolarDB takes only a window of exactly one hour on the hour; 23:00Z-00:00Z is one. */
  private static void oneHourWindow(List<String> problems, String field, String window) {
    if (window == null) {
      return;
    }
    Matcher m = WINDOW.matcher(window);
    if (!m.matches()) {
      problems.add(field + " " + window + " is not a window on the hour such as 18:00Z-19:00Z.");
      return;
    }
    int start = Integer.parseInt(m.group(1));
    int end = Integer.parseInt(m.group(2));
    if (end != (start + 1) % 24) {
      problems.add(
          String.format(
              "%s %s must be exactly one hour long: %02d:00Z-%02d:00Z.",
              field, window, start, (start + 1) % 24));
    }
  }

  /**
   * Days between {@code min} and {@code max}; 0 too with {@code zeroIsOff}, -1 too with {@code
   * forever}. PolarDB's ranges have gaps (1-29, 0-2) that the schema's minimum and maximum cannot
   * express; the whole range is checked so that a spec made in code is held to it as well.
   */
  private static void days(
      List<String> problems,
      String field,
      Integer value,
      int min,
      int max,
      boolean zeroIsOff,
      boolean forever) {
    if (value == null
        || (forever && value == -1)
        || (zeroIsOff && value == 0)
        || (value >= min && value <= max)) {
      return;
    }
    problems.add(
        field
            + " "
            + value
            + " is not allowed: use "
            + (zeroIsOff ? "0 (off), " : "")
            + min
            + " to "
            + max
            + (forever ? ", or -1 (for ever)." : "."));
  }

  private static void crossRegion(
      List<String> problems, String level, String region, Integer retentionDays) {
    days(problems, level + ".anotherRegionRetentionDays", retentionDays, 30, 7300, true, true);
    // 0 turns the copies off, which needs no region; any other retention is for a region.
    if (region == null && retentionDays != null && retentionDays != 0) {
      problems.add(
          level
              + ".anotherRegionRetentionDays is set to "
              + retentionDays
              + " but "
              + level
              + ".anotherRegion is not: name the region the copies go to.");
    }
  }
}
