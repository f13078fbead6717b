package dev.polardbbackup.emulator;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restoring inside a cluster, API version 2017-08-01: DescribeMetaList (the databases and tables a
 * backup set or a point in time can give back) and RestoreTable (bring some of them back under new
 * names). RestoreTable has no ClientToken: a repeat of a restore that worked is refused with {@code
 * InvalidDBName.Duplicate}, since its new names now exist. Not thread-safe: used under the
 * emulator's lock.
 */
final class RestoreActions {
  static final Set<String> ACTIONS = Set.of("DescribeMetaList", "RestoreTable");

  /** RestoreTime reaches back this far (documented). */
  static final Duration RESTORE_TIME_REACH = Duration.ofDays(7);

  private static final Logger LOG = LoggerFactory.getLogger(RestoreActions.class);

  private final Clusters clusters;
  private final Backups backups;
  private final Schemas schemas;
  private final ClusterCreations creations;
  private final Faults faults;
  private final boolean metaListNeedsBackupOrTime;

  RestoreActions(
      Clusters clusters,
      Backups backups,
      Schemas schemas,
      ClusterCreations creations,
      Faults faults,
      boolean metaListNeedsBackupOrTime) {
    this.clusters = clusters;
    this.backups = backups;
    this.schemas = schemas;
    this.creations = creations;
    this.faults = faults;
    this.metaListNeedsBackupOrTime = metaListNeedsBackupOrTime;
  }

  ObjectNode run(String action, Params params, Instant now, String requestId) {
    return switch (action) {
      case "DescribeMetaList" -> describeMetaList(params, now);
      case "RestoreTable" -> restoreTable(params, now, requestId);
      default -> throw new IllegalArgumentException("not a restore action: " + action);
    };
  }

  /**
   * Databases (each with its tables), or with {@code GetDbName} that one database: as of the backup
   * set or the restore time, or as the cluster is now when neither is sent (unless the stricter
   * reading is chosen, see {@link PolarDbEmulator.Builder#metaListNeedsBackupOrTime}).
   */
  private ObjectNode describeMetaList(Params params, Instant now) {
    Clusters.Cluster cluster = clusters.lookup(params.required("DBClusterId"), 404);
    int pageSize = PolarDbActions.pageParam(params, "PageSize", 30);
    if (!PolarDbActions.PAGE_SIZES.contains(pageSize)) {
      throw ApiError.malformed(400, "PageSize", "Use 30, 50 or 100.");
    }
    int pageNumber = PolarDbActions.pageParam(params, "PageNumber", 1);
    if (pageNumber < 1) {
      throw ApiError.malformed(400, "PageNumber", "PageNumber starts at 1.");
    }
    Instant asOf = source(params, cluster.id(), now, !metaListNeedsBackupOrTime).orElse(now);
    Map<String, List<String>> databases = schemas.at(cluster.id(), asOf);
    String only = params.optional("GetDbName").orElse(null);
    List<String> names =
        databases.keySet().stream().filter(db -> only == null || only.equals(db)).toList();
    int from = (int) Math.min((long) (pageNumber - 1) * pageSize, names.size());
    List<String> page = names.subList(from, Math.min(from + pageSize, names.size()));

    ObjectNode reply = JsonNodeFactory.instance.objectNode();
    reply.put("DBClusterId", cluster.id());
    ArrayNode items = reply.putArray("Items");
    for (String db : page) {
      ObjectNode item = items.addObject();
      item.put("Database", db);
      databases.get(db).forEach(item.putArray("Tables")::add);
    }
    reply.put("PageNumber", Integer.toString(pageNumber));
    reply.put("PageSize", Integer.toString(pageSize));
    reply.put("TotalRecordCount", Integer.toString(names.size()));
    reply.put("TotalPageCount", Integer.toString((names.size() + pageSize - 1) / pageSize));
    return reply;
  }

  private ObjectNode restoreTable(Params params, Instant now, String requestId) {
    Clusters.Cluster cluster = clusters.lookup(params.required("DBClusterId"), 404);
    TableMeta meta = TableMeta.parse(params.required("TableMeta"));
    Instant asOf = source(params, cluster.id(), now, false).orElseThrow();
    Clusters.requireRunning(cluster);
    Map<String, List<String>> then = schemas.at(cluster.id(), asOf);
    Map<String, List<String>> current = schemas.at(cluster.id(), now);
    Map<String, List<String>> added = new LinkedHashMap<>();
    Map<String, String> renamed = new LinkedHashMap<>();
    for (TableMeta.Database db : meta.databases()) {
      List<String> tablesThen = then.get(db.name());
      if (tablesThen == null) {
        // Our reading: Alibaba documents no code for a database the backup does not hold.
        throw new ApiError(
            400, "InvalidDBName.NotFound", "The database " + db.name() + " is not in the backup.");
      }
      if (current.containsKey(db.newName()) || added.containsKey(db.newName())) {
        throw new ApiError(
            400, "InvalidDBName.Duplicate", "The database " + db.newName() + " already exists.");
      }
      List<String> tables = new ArrayList<>();
      for (TableMeta.Table t : db.tables().isEmpty() ? all(tablesThen) : db.tables()) {
        if (!tablesThen.contains(t.name())) {
          throw new ApiError(
              400,
              "InvalidTableName.NotFound",
              "The table " + db.name() + "." + t.name() + " is not in the backup.");
        }
        tables.add(t.newName());
      }
      added.put(db.newName(), tables);
      renamed.put(db.name(), db.newName());
    }
    faults.checkCapacity("RestoreTable");
    schemas.add(cluster.id(), added, now);
    creations.restored(
        new TableRestoreRecord(
            cluster.id(),
            params.optional("BackupId").orElse(null),
            params.optional("BackupId").isPresent() ? null : asOf,
            renamed,
            now,
            requestId));
    LOG.info("RestoreTable cluster={} databases={} RequestId={}", cluster.id(), renamed, requestId);
    return JsonNodeFactory.instance.objectNode();
  }

  /**
   * The moment the request restores from: a successful backup set's consistent time, or a {@code
   * RestoreTime} within the last 7 days that a backup covers. Empty when neither is sent and {@code
   * optional}; otherwise their absence is MissingBackupId. With both, BackupId wins (our reading).
   */
  private Optional<Instant> source(Params params, String clusterId, Instant now, boolean optional) {
    Optional<String> backupId = params.optional("BackupId");
    if (backupId.isPresent()) {
      return Optional.of(BackupSets.usable(backups, clusterId, backupId.get(), now).createdAt);
    }
    Optional<String> text = params.optional("RestoreTime");
    if (text.isEmpty()) {
      if (optional) {
        return Optional.empty();
      }
      throw new ApiError(400, "MissingBackupId", "BackupId or RestoreTime is mandatory.");
    }
    Instant time;
    try {
      time = WireTime.parseMinutes(text.get());
    } catch (DateTimeParseException e) {
      throw restoreTimeRefused(text.get() + " is not yyyy-MM-ddTHH:mmZ in UTC");
    }
    if (time.isAfter(now) || time.isBefore(now.minus(RESTORE_TIME_REACH))) {
      // Our reading: the docs give no separate code for a well-formed time out of reach.
      throw restoreTimeRefused(text.get() + " is not within the last 7 days");
    }
    Optional<Instant> begin = PolicyActions.recoveryBegin(backups, clusterId, now);
    if (begin.isEmpty() || time.isBefore(begin.get())) {
      throw new ApiError(
          404, "InvalidBackup.NotFound", "No backup covers the RestoreTime " + text.get() + ".");
    }
    return Optional.of(time);
  }

  private static ApiError restoreTimeRefused(String why) {
    return new ApiError(
        400, "InvalidRestoreTime.Format", "The specified RestoreTime is not valid: " + why + ".");
  }

  private static List<TableMeta.Table> all(List<String> tables) {
    return tables.stream().map(t -> new TableMeta.Table(t, t)).toList();
  }
}
