package dev.polardbbackup.emulator;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The five PolarDB backup actions, API version 2017-08-01: parameter rules, state changes and reply
 * shapes. Scalars in replies are strings, as on the real wire. Not thread-safe: used under the
 * emulator's lock.
 */
final class PolarDbActions {
  static final String VERSION = "2017-08-01";
  static final Set<String> ACTIONS =
      Set.of(
          "CreateBackup",
          "DescribeBackupTasks",
          "DescribeBackups",
          "DeleteBackup",
          "DescribeDBClusterAttribute");

  private static final Logger LOG = LoggerFactory.getLogger(PolarDbActions.class);
  // Sets the next listing leaves out once (see PolarDbEmulator.omitFromNextListing).
  private final Set<String> omittedOnce = new java.util.HashSet<>();
  static final Set<Integer> PAGE_SIZES = Set.of(30, 50, 100);
  private static final Set<String> BACKUP_MODES = Set.of("Manual", "Automated");
  // "Running" is not documented but is what an unfinished backup shows, so it filters too.
  private static final Set<String> BACKUP_STATUSES =
      Set.of(Backup.SUCCESS, Backup.FAILED, Backup.RUNNING);

  /** Parameters that say how a request was sent, not what it asks for. */
  private static final Set<String> PROTOCOL_PARAMS =
      Set.of(
          "Action",
          "Version",
          "Format",
          "AccessKeyId",
          "Signature",
          "SignatureMethod",
          "SignatureVersion",
          "SignatureNonce",
          "SignatureType",
          "Timestamp",
          "SecurityToken",
          "RegionId",
          "ClientToken");

  private final Clusters clusters;
  private final Backups backups;
  private final Ids ids;
  private final Supplier<Duration> backupDuration;
  private final Readings readings;
  private final ClusterCreations creations;

  /**
   * How the emulator answers where Alibaba's docs are silent or ambiguous; each is explained on the
   * {@link PolarDbEmulator.Builder} method of the same name.
   */
  record Readings(
      PolarDbEmulator.QuotaCheckOrder quotaCheckOrder,
      Duration taskListingLag,
      Duration taskRetention,
      boolean deleteFailedBackups) {}

  PolarDbActions(
      Clusters clusters,
      Backups backups,
      Ids ids,
      Supplier<Duration> backupDuration,
      Readings readings,
      ClusterCreations creations) {
    this.creations = creations;
    this.clusters = clusters;
    this.backups = backups;
    this.ids = ids;
    this.backupDuration = backupDuration;
    this.readings = readings;
  }

  ObjectNode run(String action, Params params, Instant now, String requestId) {
    return switch (action) {
      case "CreateBackup" -> createBackup(params, now, requestId);
      case "DescribeBackupTasks" -> describeBackupTasks(params, now);
      case "DescribeBackups" -> describeBackups(params, now);
      case "DeleteBackup" -> deleteBackup(params, now, requestId);
      case "DescribeDBClusterAttribute" -> describeDbClusterAttribute(params);
      default -> throw new IllegalArgumentException("not a PolarDB action: " + action);
    };
  }

  private ObjectNode createBackup(Params params, Instant now, String requestId) {
    String clusterId = params.required("DBClusterId");
    String token = params.optional("ClientToken").orElse(null);
    if (token != null && (token.length() > 64 || !isAscii(token))) {
      throw new ApiError(
          400,
          "InvalidClientToken.Malformed",
          "The specified parameter ClientToken is not valid: at most 64 ASCII characters.");
    }
    String fingerprint = fingerprint(params);
    boolean quotaFirst = readings.quotaCheckOrder() == PolarDbEmulator.QuotaCheckOrder.QUOTA_FIRST;
    if (!quotaFirst) {
      // A retry is answered before the cluster and quota are looked at again: the first call
      // already passed those checks, and a retry must not be refused because it filled the quota.
      Optional<Backup> earlier = backups.replay(token, fingerprint, now);
      if (earlier.isPresent()) {
        return reply("BackupJobId", earlier.get().backupJobId);
      }
    }
    Clusters.Cluster cluster = clusters.lookup(clusterId, 404);
    Clusters.requireRunning(cluster);
    if (quotaFirst) {
      // The other reading: a retry passes the checks of a new request first, so a full quota
      // refuses it even when the backup filling it is the one its own first call made.
      backups.checkQuota(clusterId, now);
      Optional<Backup> earlier = backups.replay(token, fingerprint, now);
      if (earlier.isPresent()) {
        return reply("BackupJobId", earlier.get().backupJobId);
      }
    }
    Backup backup =
        backups.create(
            clusterId,
            token,
            fingerprint,
            BackupRecord.Origin.API,
            now,
            backupDuration.get(),
            clusters.nextFailureReason(clusterId),
            clusters.nextEndStatus(clusterId),
            ids);
    LOG.info(
        "CreateBackup cluster={} BackupJobId={} BackupId={} RequestId={}",
        clusterId,
        backup.backupJobId,
        backup.backupId,
        requestId);
    return reply("BackupJobId", backup.backupJobId);
  }

  /**
   * A manual backup made in the console: no ClientToken, but the same cluster and quota checks as
   * CreateBackup, and listed the same way afterwards.
   */
  Backup createConsoleBackup(String clusterId, Instant now) {
    Clusters.Cluster cluster = clusters.lookup(clusterId, 404);
    Clusters.requireRunning(cluster);
    Backup backup =
        backups.create(
            clusterId,
            null,
            null,
            BackupRecord.Origin.CONSOLE,
            now,
            backupDuration.get(),
            clusters.nextFailureReason(clusterId),
            clusters.nextEndStatus(clusterId),
            ids);
    LOG.info(
        "Console backup cluster={} BackupJobId={} BackupId={}",
        clusterId,
        backup.backupJobId,
        backup.backupId);
    return backup;
  }

  private ObjectNode describeBackupTasks(Params params, Instant now) {
    String clusterId = params.required("DBClusterId");
    // Documented quirk: DescribeBackupTasks answers an unknown cluster with 400, not 404.
    clusters.lookup(clusterId, 400);
    String jobId = params.optional("BackupJobId").orElse(null);
    String mode = backupMode(params);
    ArrayNode jobs = JsonNodeFactory.instance.arrayNode();
    for (Backup b : backups.ofCluster(clusterId)) {
      boolean listed =
          !now.isBefore(b.createdAt.plus(readings.taskListingLag()))
              && now.isBefore(b.endsAt().plus(readings.taskRetention()));
      if (!listed
          || (jobId != null && !jobId.equals(b.backupJobId))
          || (mode != null && !mode.equals("Manual"))) {
        continue;
      }
      ObjectNode job = jobs.addObject();
      job.put("BackupJobId", b.backupJobId);
      job.put("BackupProgressStatus", b.progressStatus(now));
      job.put("Process", Integer.toString(b.percent(now)));
      job.put("JobMode", "Manual");
      job.put("StartTime", WireTime.seconds(b.createdAt));
      job.put("TaskAction", "TempBackupTask");
    }
    ObjectNode reply = JsonNodeFactory.instance.objectNode();
    reply.putObject("Items").set("BackupJob", jobs);
    return reply;
  }

  private ObjectNode describeBackups(Params params, Instant now) {
    String clusterId = params.required("DBClusterId");
    Instant start = minuteTime(params, "StartTime");
    Instant end = minuteTime(params, "EndTime");
    if (!end.isAfter(start)) {
      throw ApiError.malformed(400, "EndTime", "EndTime must be later than StartTime.");
    }
    String backupId = params.optional("BackupId").orElse(null);
    String status = params.optional("BackupStatus").orElse(null);
    if (status != null && !BACKUP_STATUSES.contains(status)) {
      throw ApiError.malformed(400, "BackupStatus", "Use Success or Failed.");
    }
    String mode = backupMode(params);
    int pageSize = pageParam(params, "PageSize", 30);
    if (!PAGE_SIZES.contains(pageSize)) {
      throw ApiError.malformed(400, "PageSize", "Use 30, 50 or 100.");
    }
    int pageNumber = pageParam(params, "PageNumber", 1);
    if (pageNumber < 1) {
      throw ApiError.malformed(400, "PageNumber", "PageNumber starts at 1.");
    }
    clusters.lookup(clusterId, 404);

    // The window compares BackupStartTime with minute-precision bounds, both inclusive; a client
    // that wants "up to now" must round EndTime up.
    List<Backup> matching = new ArrayList<>();
    for (Backup b : backups.ofCluster(clusterId)) {
      if (b.deleted()
          || b.detached()
          || b.createdAt.isBefore(start)
          || b.createdAt.isAfter(end)
          || (backupId != null && !backupId.equals(b.backupId))
          || (status != null && !status.equals(b.status(now)))
          || (mode != null && !mode.equals("Manual"))) {
        continue;
      }
      if (backupId == null && omittedOnce.remove(b.backupId)) {
        continue;
      }
      matching.add(b);
    }
    int from = (int) Math.min((long) (pageNumber - 1) * pageSize, matching.size());
    List<Backup> page = matching.subList(from, Math.min(from + pageSize, matching.size()));
    ArrayNode items = JsonNodeFactory.instance.arrayNode();
    page.forEach(b -> items.add(backupItem(b, now)));

    ObjectNode reply = JsonNodeFactory.instance.objectNode();
    reply.putObject("Items").set("Backup", items);
    reply.put("TotalRecordCount", Integer.toString(matching.size()));
    reply.put("PageNumber", Integer.toString(pageNumber));
    reply.put("PageRecordCount", Integer.toString(page.size()));
    return reply;
  }

  void omitFromNextListing(String backupId) {
    omittedOnce.add(backupId);
  }

  static ObjectNode backupItem(Backup b, Instant now) {
    String status = b.status(now);
    ObjectNode item = JsonNodeFactory.instance.objectNode();
    item.put("BackupId", b.backupId);
    item.put("DBClusterId", b.dbClusterId);
    item.put("BackupStatus", status);
    item.put("BackupMode", "Manual");
    item.put("BackupMethod", "Snapshot");
    item.put("BackupType", "FullBackup");
    item.put("BackupsLevel", "Level-1");
    item.put("BackupStartTime", WireTime.seconds(b.createdAt));
    if (b.done(now)) {
      item.put("BackupEndTime", WireTime.seconds(b.endsAt()));
    }
    item.put("BackupSetSize", Backup.SUCCESS.equals(status) ? Long.toString(b.setSize) : "0");
    if (Backup.SUCCESS.equals(status)) {
      // The snapshot is consistent as of its start.
      item.put("ConsistentTime", Long.toString(b.createdAt.getEpochSecond()));
    }
    item.put("IsAvail", Backup.SUCCESS.equals(status) ? "1" : "0");
    return item;
  }

  private ObjectNode deleteBackup(Params params, Instant now, String requestId) {
    String clusterId = params.required("DBClusterId");
    String list = params.required("BackupId");
    Clusters.Cluster cluster = clusters.lookup(clusterId, 404);
    Clusters.requireRunning(cluster);
    List<Backup> doomed = new ArrayList<>();
    for (String id : list.split(",")) {
      String backupId = id.trim();
      Backup b = backups.find(clusterId, backupId).filter(x -> !x.deleted()).orElse(null);
      if (b == null) {
        throw new ApiError(
            400,
            "InvalidBackupSetID.NotFound",
            "Specified backup set ID " + backupId + " does not exist.");
      }
      // The docs say a deletable backup is in Success. A running one is refused with this code
      // (our choice; the real code is undocumented). A failed one is refused too unless the other
      // reading is chosen, in which case it may be deleted (else it holds a quota slot for ever).
      if (!b.done(now)) {
        throw new ApiError(
            403,
            "OperationDenied.BackupStatus",
            "The operation is not permitted due to status of backup " + backupId + " (Running).");
      }
      if (Backup.FAILED.equals(b.status(now)) && !readings.deleteFailedBackups()) {
        throw new ApiError(
            403,
            "IncorrectBackupSetState",
            "The backup set "
                + backupId
                + " is in status Failed; only a backup set in Success can be deleted.");
      }
      doomed.add(b);
    }
    // All or nothing: one bad id in the list deletes none of them.
    doomed.forEach(Backup::delete);
    doomed.forEach(
        b ->
            LOG.info(
                "DeleteBackup cluster={} BackupId={} RequestId={}",
                clusterId,
                b.backupId,
                requestId));
    return JsonNodeFactory.instance.objectNode();
  }

  /** Seeded clusters get these; a cluster CreateDBCluster made reports what it was asked for. */
  private static final String DEFAULT_NODE_CLASS = "polar.mysql.x4.medium";

  private ObjectNode describeDbClusterAttribute(Params params) {
    Clusters.Cluster cluster = clusters.lookup(params.required("DBClusterId"), 404);
    Map<String, String> asked =
        creations.find(cluster.id()).map(ClusterCreations.Order::attributes).orElse(Map.of());
    ObjectNode reply = JsonNodeFactory.instance.objectNode();
    reply.put("DBClusterId", cluster.id());
    reply.put("DBClusterDescription", asked.getOrDefault("DBClusterDescription", cluster.id()));
    reply.put("DBClusterStatus", cluster.status());
    reply.put("LockMode", "Unlock");
    reply.put("RegionId", cluster.regionId());
    reply.put("ZoneIds", asked.getOrDefault("ZoneId", cluster.regionId() + "-i"));
    reply.put("CreationTime", WireTime.seconds(cluster.creationTime()));
    reply.put("Engine", asked.getOrDefault("DBType", "MySQL"));
    reply.put("DBType", asked.getOrDefault("DBType", "MySQL"));
    reply.put("DBVersion", asked.getOrDefault("DBVersion", "8.0"));
    reply.put("PayType", asked.getOrDefault("PayType", "Postpaid"));
    reply.put("Category", "Normal");
    reply.put("Expired", "false");
    reply.put("DBClusterNetworkType", "VPC");
    reply.put("VPCId", asked.getOrDefault("VPCId", "vpc-emulator"));
    reply.put("VSwitchId", asked.getOrDefault("VSwitchId", "vsw-emulator"));
    creations
        .find(cluster.id())
        .ifPresent(order -> reply.put("ResourceGroupId", order.resourceGroupId()));
    ObjectNode node = reply.putArray("DBNodes").addObject();
    node.put("DBNodeId", cluster.id().replaceFirst("^pc-", "pi-"));
    node.put("DBNodeClass", asked.getOrDefault("DBNodeClass", DEFAULT_NODE_CLASS));
    node.put("DBNodeRole", "Writer");
    node.put("DBNodeStatus", cluster.status());
    return reply;
  }

  static Instant minuteTime(Params params, String name) {
    String text = params.required(name);
    try {
      return WireTime.parseMinutes(text);
    } catch (DateTimeParseException e) {
      throw ApiError.malformed(400, name, "Use yyyy-MM-ddTHH:mmZ in UTC.");
    }
  }

  private static String backupMode(Params params) {
    String mode = params.optional("BackupMode").orElse(null);
    if (mode != null && !BACKUP_MODES.contains(mode)) {
      throw ApiError.malformed(400, "BackupMode", "Use Manual or Automated.");
    }
    return mode;
  }

  static int pageParam(Params params, String name, int absent) {
    String text = params.optional(name).orElse(null);
    if (text == null) {
      return absent;
    }
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw ApiError.malformed(400, name, "Not a number.");
    }
  }

  /** The request's own parameters, for telling a retry from a different request with one token. */
  static String fingerprint(Params params) {
    Map<String, String> own = new TreeMap<>(params.values());
    own.keySet().removeAll(PROTOCOL_PARAMS);
    return own.toString();
  }

  static boolean isAscii(String text) {
    return StandardCharsets.US_ASCII.newEncoder().canEncode(text);
  }

  private static ObjectNode reply(String field, String value) {
    ObjectNode reply = JsonNodeFactory.instance.objectNode();
    reply.put(field, value);
    return reply;
  }
}
