package dev.polardbbackup.emulator;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The automatic backup policy actions, API version 2017-08-01: DescribeBackupPolicy,
 * ModifyBackupPolicy, DescribeLogBackupPolicy, ModifyLogBackupPolicy and
 * DescribeLocalAvailableRecoveryTime; and DescribeDetachedBackups, which lists what the policy's
 * {@code BackupRetentionPolicyOnClusterDeletion} kept of a deleted cluster. Every value in a reply
 * is a string. Not thread-safe: used under the emulator's lock.
 */
final class PolicyActions {
  static final Set<String> ACTIONS =
      Set.of(
          "DescribeBackupPolicy",
          "ModifyBackupPolicy",
          "DescribeLogBackupPolicy",
          "ModifyLogBackupPolicy",
          "DescribeLocalAvailableRecoveryTime",
          "DescribeDetachedBackups");

  private static final Logger LOG = LoggerFactory.getLogger(PolicyActions.class);

  private final Clusters clusters;
  private final Backups backups;
  private final BackupPolicies policies;

  PolicyActions(Clusters clusters, Backups backups, BackupPolicies policies) {
    this.clusters = clusters;
    this.backups = backups;
    this.policies = policies;
  }

  ObjectNode run(String action, Params params, Instant now, String requestId) {
    return switch (action) {
      case "DescribeBackupPolicy" -> describeBackupPolicy(params);
      case "ModifyBackupPolicy" -> modifyBackupPolicy(params, requestId);
      case "DescribeLogBackupPolicy" -> describeLogBackupPolicy(params);
      case "ModifyLogBackupPolicy" -> modifyLogBackupPolicy(params, requestId);
      case "DescribeLocalAvailableRecoveryTime" -> describeRecoveryTime(params, now);
      case "DescribeDetachedBackups" -> describeDetachedBackups(params, now);
      default -> throw new IllegalArgumentException("not a backup policy action: " + action);
    };
  }

  private ObjectNode describeBackupPolicy(Params params) {
    String clusterId = clusters.lookup(params.required("DBClusterId"), 404).id();
    Map<String, String> policy = policies.of(clusterId);
    ObjectNode reply = JsonNodeFactory.instance.objectNode();
    PolicyReadings.Names names = policies.readings().describeNames();
    if (names != PolicyReadings.Names.DATA_LEVEL_1) {
      PolicyFields.LEGACY.forEach((legacy, field) -> reply.put(legacy, policy.get(field)));
    }
    for (String field : PolicyFields.DATA) {
      if (names != PolicyReadings.Names.LEGACY || !PolicyFields.LEGACY.containsValue(field)) {
        reply.put(field, policy.get(field));
      }
    }
    reply.put("BackupPolicyLevel", "Normal");
    return reply;
  }

  private ObjectNode modifyBackupPolicy(Params params, String requestId) {
    Clusters.Cluster cluster = clusters.lookup(params.required("DBClusterId"), 404);
    Map<String, String> sent = sent(params, PolicyFields.DATA);
    for (String legacy : PolicyFields.LEGACY.keySet()) {
      Optional<String> value = params.optional(legacy);
      if (value.isPresent() && !policies.readings().legacyNamesInModify()) {
        throw ApiError.malformed(
            400, legacy, "Use " + PolicyFields.LEGACY.get(legacy) + " in this region.");
      }
      value.ifPresent(v -> sent.put(legacy, v));
    }
    if (policies.readings().modifyRequiresBackupWindow()) {
      requireEither(params, "PreferredBackupPeriod");
      requireEither(params, "PreferredBackupTime");
    }
    Clusters.requireRunning(cluster);
    policies.apply(cluster.id(), sent);
    LOG.info("ModifyBackupPolicy cluster={} fields={} RequestId={}", cluster.id(), sent, requestId);
    return JsonNodeFactory.instance.objectNode();
  }

  private ObjectNode describeLogBackupPolicy(Params params) {
    String clusterId = clusters.lookup(params.required("DBClusterId"), 404).id();
    Map<String, String> policy = policies.of(clusterId);
    ObjectNode reply = JsonNodeFactory.instance.objectNode();
    PolicyFields.LOG.forEach(field -> reply.put(field, policy.get(field)));
    reply.put(PolicyFields.ENABLE_BACKUP_LOG, "1");
    return reply;
  }

  private ObjectNode modifyLogBackupPolicy(Params params, String requestId) {
    Clusters.Cluster cluster = clusters.lookup(params.required("DBClusterId"), 404);
    Map<String, String> sent = sent(params, PolicyFields.LOG);
    // Log backups cannot be turned off: the field is read-only, so only its one value passes.
    params
        .optional(PolicyFields.ENABLE_BACKUP_LOG)
        .filter(v -> !v.equals("1"))
        .ifPresent(
            v -> {
              throw ApiError.malformed(
                  400, PolicyFields.ENABLE_BACKUP_LOG, "Log backups are always enabled (1).");
            });
    Clusters.requireRunning(cluster);
    policies.apply(cluster.id(), sent);
    LOG.info(
        "ModifyLogBackupPolicy cluster={} fields={} RequestId={}", cluster.id(), sent, requestId);
    return JsonNodeFactory.instance.objectNode();
  }

  /**
   * From the consistent time of the cluster's earliest successful backup set still kept to now, to
   * the second; both empty while the cluster has none. The real service derives the window from its
   * level-1 and log backups; the emulator has only the manual ones.
   */
  private ObjectNode describeRecoveryTime(Params params, Instant now) {
    String clusterId = clusters.lookup(params.required("DBClusterId"), 404).id();
    Optional<Instant> earliest = recoveryBegin(backups, clusterId, now);
    ObjectNode reply = JsonNodeFactory.instance.objectNode();
    reply.put("DBClusterId", clusterId);
    reply.put("RecoveryBeginTime", earliest.map(WireTime::seconds).orElse(""));
    reply.put("RecoveryEndTime", earliest.isPresent() ? WireTime.seconds(now) : "");
    return reply;
  }

  /**
   * Where the cluster's recoverable window starts (it ends now): the consistent time of its
   * earliest successful backup set still kept; empty while it has none. CreateDBCluster and
   * RestoreTable accept a point in time only inside this window.
   */
  static Optional<Instant> recoveryBegin(Backups backups, String clusterId, Instant now) {
    return backups.ofCluster(clusterId).stream()
        .filter(b -> !b.deleted() && Backup.SUCCESS.equals(b.status(now)))
        .map(b -> b.createdAt)
        .min(Comparator.naturalOrder());
  }

  /**
   * The backup sets of a deleted cluster that its retention kept, with the parameters and reply of
   * DescribeBackups. A cluster id that was never deleted (or kept nothing) has none: the cluster is
   * not looked up, since it is gone.
   */
  private ObjectNode describeDetachedBackups(Params params, Instant now) {
    String clusterId = params.required("DBClusterId");
    Instant start = PolarDbActions.minuteTime(params, "StartTime");
    Instant end = PolarDbActions.minuteTime(params, "EndTime");
    if (!end.isAfter(start)) {
      throw ApiError.malformed(400, "EndTime", "EndTime must be later than StartTime.");
    }
    int pageSize = PolarDbActions.pageParam(params, "PageSize", 30);
    if (!PolarDbActions.PAGE_SIZES.contains(pageSize)) {
      throw ApiError.malformed(400, "PageSize", "Use 30, 50 or 100.");
    }
    int pageNumber = PolarDbActions.pageParam(params, "PageNumber", 1);
    if (pageNumber < 1) {
      throw ApiError.malformed(400, "PageNumber", "PageNumber starts at 1.");
    }
    String backupId = params.optional("BackupId").orElse(null);
    List<Backup> kept =
        backups.ofCluster(clusterId).stream()
            .filter(b -> b.detached() && !b.deleted())
            .filter(b -> backupId == null || backupId.equals(b.backupId))
            .filter(b -> !b.createdAt.isBefore(start) && !b.createdAt.isAfter(end))
            .toList();
    int from = (int) Math.min((long) (pageNumber - 1) * pageSize, kept.size());
    List<Backup> page = kept.subList(from, Math.min(from + pageSize, kept.size()));
    ObjectNode reply = JsonNodeFactory.instance.objectNode();
    ArrayNode items = reply.putObject("Items").putArray("Backup");
    page.forEach(b -> items.add(PolarDbActions.backupItem(b, now)));
    reply.put("TotalRecordCount", Integer.toString(kept.size()));
    reply.put("PageNumber", Integer.toString(pageNumber));
    reply.put("PageRecordCount", Integer.toString(page.size()));
    return reply;
  }

  private static Map<String, String> sent(Params params, List<String> fields) {
    Map<String, String> sent = new LinkedHashMap<>();
    fields.forEach(f -> params.optional(f).ifPresent(v -> sent.put(f, v)));
    return sent;
  }

  private static void requireEither(Params params, String legacy) {
    if (params.optional(legacy).isEmpty()
        && params.optional(PolicyFields.LEGACY.get(legacy)).isEmpty()) {
      throw ApiError.missing(legacy);
    }
  }
}
