package dev.polardbbackup.polardb;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reading PolarDB's JSON replies into the client's values. Scalars arrive as strings or numbers and
 * are read leniently; only a field an action promises ({@link #requiredText}) fails the reply.
 */
final class Replies {

  private Replies() {}

  /** A 2xx reply without the fields an action promises. */
  static final class MalformedReply extends RuntimeException {
    MalformedReply(String message) {
      super(message);
    }
  }

  static List<BackupTask> parseTasks(JsonNode reply) {
    List<BackupTask> tasks = new ArrayList<>();
    for (JsonNode job : items(reply, "BackupJob")) {
      tasks.add(
          new BackupTask(
              requiredText(job, "BackupJobId"),
              text(job, "BackupProgressStatus").orElse(""),
              text(job, "Process").map(Replies::percent).orElse(0),
              text(job, "JobMode").orElse(""),
              text(job, "StartTime").flatMap(Replies::instant),
              text(job, "TaskAction").orElse("")));
    }
    return tasks;
  }

  static BackupPage parseBackupPage(JsonNode reply, DescribeBackupsQuery query) {
    List<Backup> backups = new ArrayList<>();
    for (JsonNode b : items(reply, "Backup")) {
      backups.add(
          new Backup(
              requiredText(b, "BackupId"),
              text(b, "DBClusterId").orElse(query.dbClusterId()),
              text(b, "BackupStatus").orElse(""),
              text(b, "BackupMode").orElse(""),
              text(b, "BackupStartTime").flatMap(Replies::instant),
              text(b, "BackupEndTime").flatMap(Replies::instant),
              text(b, "BackupSetSize").flatMap(Replies::number),
              text(b, "ConsistentTime").flatMap(Replies::number).map(Instant::ofEpochSecond)));
    }
    int total =
        text(reply, "TotalRecordCount")
            .flatMap(Replies::number)
            .orElse((long) backups.size())
            .intValue();
    // The page is the one we asked for, whatever PageNumber the reply echoes: an endpoint that
    // always echoes 1 would otherwise never reach the end.
    return new BackupPage(List.copyOf(backups), total, query.pageNumber(), query.pageSize());
  }

  /** One page of DescribeDBClusters, with the total the reply claims (its page size if absent). */
  record ClusterPage(List<ListedCluster> clusters, int totalRecordCount) {}

  static ClusterPage parseClusterPage(JsonNode reply) {
    List<ListedCluster> clusters = new ArrayList<>();
    for (JsonNode c : items(reply, "DBCluster")) {
      java.util.Map<String, String> tags = new java.util.LinkedHashMap<>();
      for (JsonNode tag : list(c.path("Tags"), "Tag")) {
        text(tag, "Key").ifPresent(k -> tags.put(k, text(tag, "Value").orElse("")));
      }
      clusters.add(
          new ListedCluster(
              requiredText(c, "DBClusterId"),
              text(c, "DBClusterStatus").orElse(""),
              text(c, "RegionId").orElse(""),
              tags));
    }
    int total =
        text(reply, "TotalRecordCount")
            .flatMap(Replies::number)
            .orElse((long) clusters.size())
            .intValue();
    return new ClusterPage(List.copyOf(clusters), total);
  }

  /**
   * DescribeBackupPolicy: the level-1 period, window and frequency in either spelling, the {@code
   * DataLevel1*} one first; a reply with neither period is not a policy.
   */
  static BackupPolicy parseBackupPolicy(JsonNode reply) {
    String period = either(reply, "DataLevel1BackupPeriod", "PreferredBackupPeriod");
    if (period == null) {
      throw new MalformedReply("missing DataLevel1BackupPeriod and PreferredBackupPeriod");
    }
    return new BackupPolicy(
        period,
        either(reply, "DataLevel1BackupTime", "PreferredBackupTime"),
        either(reply, "DataLevel1BackupRetentionPeriod", "BackupRetentionPeriod"),
        either(reply, "DataLevel1BackupFrequency", "BackupFrequency"),
        setting(reply, "DataLevel2BackupPeriod"),
        setting(reply, "DataLevel2BackupRetentionPeriod"),
        setting(reply, "DataLevel2BackupAnotherRegionRegion"),
        setting(reply, "DataLevel2BackupAnotherRegionRetentionPeriod"),
        setting(reply, "BackupRetentionPolicyOnClusterDeletion"));
  }

  static LogBackupPolicy parseLogBackupPolicy(JsonNode reply) {
    return new LogBackupPolicy(
        requiredText(reply, "LogBackupRetentionPeriod"),
        setting(reply, "LogBackupAnotherRegionRegion"),
        setting(reply, "LogBackupAnotherRegionRetentionPeriod"),
        setting(reply, "EnableBackupLog"));
  }

  /** Either end may be empty or absent (no backup yet), with or without seconds. */
  static RecoveryWindow parseRecoveryWindow(JsonNode reply) {
    return new RecoveryWindow(
        text(reply, "RecoveryBeginTime").flatMap(Replies::instant),
        text(reply, "RecoveryEndTime").flatMap(Replies::instant));
  }

  static ClusterAttribute parseClusterAttribute(JsonNode reply, String dbClusterId) {
    JsonNode writer = reply.path("DBNodes");
    writer = writer.isArray() ? writer.path(0) : writer.path("DBNode").path(0);
    return new ClusterAttribute(
        text(reply, "DBClusterId").orElse(dbClusterId),
        requiredText(reply, "DBClusterStatus"),
        text(reply, "LockMode").orElse(""),
        text(reply, "RegionId").orElse(""),
        text(reply, "CreationTime").flatMap(Replies::instant),
        text(reply, "DBClusterDescription").orElse(""),
        text(reply, "DBType").orElse(""),
        text(reply, "DBVersion").orElse(""),
        text(writer, "DBNodeClass").orElse(""),
        text(reply, "ZoneIds").orElse(""),
        text(reply, "VPCId").orElse(""),
        text(reply, "VSwitchId").orElse(""));
  }

  /**
   * DescribeMetaList: {@code Items[]} of {@code Database} and {@code Tables[]}, tolerating an
   * {@code Items} that wraps its list in an object, as other PolarDB replies do.
   */
  static MetaPage parseMetaPage(JsonNode reply, MetaListQuery query) {
    List<DatabaseMeta> databases = new ArrayList<>();
    for (JsonNode item : list(reply.path("Items"), "MetaItems")) {
      List<String> tables = new ArrayList<>();
      for (JsonNode table : list(item.path("Tables"), "Table")) {
        tables.add(table.asText());
      }
      databases.add(new DatabaseMeta(requiredText(item, "Database"), tables));
    }
    int total =
        text(reply, "TotalRecordCount")
            .flatMap(Replies::number)
            .orElse((long) databases.size())
            .intValue();
    return new MetaPage(databases, total, query.pageNumber(), query.pageSize());
  }

  /** DescribeDBClusterEndpoints: one value per address of each endpoint. */
  static List<ClusterEndpoint> parseEndpoints(JsonNode reply) {
    List<ClusterEndpoint> endpoints = new ArrayList<>();
    for (JsonNode endpoint : list(reply.path("Items"), "DBEndpoint")) {
      for (JsonNode address : list(endpoint.path("AddressItems"), "Address")) {
        endpoints.add(
            new ClusterEndpoint(
                text(endpoint, "DBEndpointId").orElse(""),
                text(endpoint, "EndpointType").orElse(""),
                requiredText(address, "ConnectionString"),
                text(address, "Port").flatMap(Replies::number).orElse(0L).intValue(),
                text(address, "NetType").orElse("")));
      }
    }
    return endpoints;
  }

  /** A JSON list, or the same list wrapped as {@code {"<name>": [...]}}; empty when absent. */
  private static List<JsonNode> list(JsonNode node, String wrapper) {
    JsonNode items = node.isObject() ? node.path(wrapper) : node;
    List<JsonNode> out = new ArrayList<>();
    if (items.isArray()) {
      items.forEach(out::add);
    }
    return out;
  }

  private static String either(JsonNode reply, String preferred, String other) {
    String value = setting(reply, preferred);
    return value != null ? value : setting(reply, other);
  }

  private static String setting(JsonNode reply, String field) {
    return PolicyValues.orNull(text(reply, field).orElse(null));
  }

  /** {@code Items.<name>[]}, tolerating a missing {@code Items} on an empty page. */
  private static List<JsonNode> items(JsonNode reply, String name) {
    JsonNode list = reply.path("Items").path(name);
    List<JsonNode> out = new ArrayList<>();
    if (list.isArray()) {
      list.forEach(out::add);
    } else if (list.isObject()) {
      out.add(list);
    }
    return out;
  }

  static Optional<String> text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value == null || value.isNull() || value.isContainerNode()
        ? Optional.empty()
        : Optional.of(value.asText());
  }

  static String requiredText(JsonNode node, String field) {
    return text(node, field)
        .filter(v -> !v.isEmpty())
        .orElseThrow(() -> new MalformedReply("missing " + field));
  }

  private static Optional<Long> number(String text) {
    try {
      return text.isBlank() ? Optional.empty() : Optional.of(Long.parseLong(text.trim()));
    } catch (NumberFormatException e) {
      try {
        return Optional.of((long) Double.parseDouble(text.trim()));
      } catch (NumberFormatException notANumber) {
        return Optional.empty();
      }
    }
  }

  private static int percent(String text) {
    return number(text).map(n -> (int) Math.max(0, Math.min(100, n))).orElse(0);
  }

  /** UTC times as PolarDB writes them: with or without seconds. */
  static Optional<Instant> instant(String text) {
    String t = text.trim();
    if (t.isEmpty()) {
      return Optional.empty();
    }
    if (t.matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}Z")) {
      t = t.substring(0, t.length() - 1) + ":00Z";
    }
    try {
      return Optional.of(Instant.parse(t));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  static Optional<Duration> retryAfter(String header) {
    if (header == null) {
      return Optional.empty();
    }
    return number(header).filter(ms -> ms >= 0).map(Duration::ofMillis);
  }
}
