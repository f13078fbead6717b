package dev.polardbbackup.emulator;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Each cluster's automatic backup policy and log backup policy, kept under the newer field names. A
 * cluster gets {@link PolicyFields#defaults()} the first time its policy is read. Not thread-safe:
 * used under the emulator's lock.
 */
final class BackupPolicies {
  private final Map<String, Map<String, String>> byCluster = new HashMap<>();
  private final PolicyReadings readings;

  BackupPolicies(PolicyReadings readings) {
    this.readings = readings;
  }

  PolicyReadings readings() {
    return readings;
  }

  /** The cluster's policy, newer names only; a copy. */
  Map<String, String> of(String dbClusterId) {
    return new LinkedHashMap<>(live(dbClusterId));
  }

  /**
   * Applies changes keyed by the parameter names as sent (either spelling): all of them or, when
   * any value is refused, none. The same field sent in both spellings must carry the same value.
   */
  void apply(String dbClusterId, Map<String, String> sent) {
    Map<String, String> checked = new LinkedHashMap<>();
    Map<String, String> sentAs = new HashMap<>();
    sent.forEach(
        (name, value) -> {
          String field = PolicyFields.LEGACY.getOrDefault(name, name);
          String kept = PolicyFields.check(field, name, value, readings.level1RetentionMaxDays());
          String earlier = checked.put(field, kept);
          if (earlier != null && !earlier.equals(kept)) {
            throw ApiError.malformed(
                400, name, "It conflicts with " + sentAs.get(field) + " in the same request.");
          }
          sentAs.put(field, name);
        });
    Map<String, String> next = of(dbClusterId);
    next.putAll(checked);
    requireRegionFor(next, PolicyFields.L2_REGION_RETENTION, PolicyFields.L2_REGION);
    requireRegionFor(next, PolicyFields.LOG_REGION_RETENTION, PolicyFields.LOG_REGION);
    byCluster.put(dbClusterId, next);
  }

  /** The cluster is gone; a new cluster with its id starts from the defaults. */
  void forget(String dbClusterId) {
    byCluster.remove(dbClusterId);
  }

  /**
   * A cross-region copy needs a region to go to (our reading; the docs list 403 {@code
   * IncorrectBackupPolicy} without saying when).
   */
  private static void requireRegionFor(
      Map<String, String> policy, String retention, String region) {
    if (!"0".equals(policy.get(retention)) && policy.get(region).isEmpty()) {
      throw new ApiError(
          403,
          "IncorrectBackupPolicy",
          retention + " is not 0 but no " + region + " is set: a copy needs a region to go to.");
    }
  }

  private Map<String, String> live(String dbClusterId) {
    return byCluster.computeIfAbsent(dbClusterId, id -> PolicyFields.defaults());
  }
}
