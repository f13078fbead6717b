package dev.polardbbackup.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The unsigned {@code /_emulator/} endpoints that let a test or a person drive the emulator from
 * outside the JVM: read the ledger, add clusters, inject faults, make backups fail, and do what a
 * DBA does in the console behind the operator's back: make or delete a manual backup, change a
 * cluster's backup policy, delete a cluster; and steer restores: how long a new cluster is
 * Creating, and when the zone is out of stock.
 */
final class AdminEndpoints {
  static final String PREFIX = "/_emulator/";

  record Reply(int status, ObjectNode body) {}

  private final PolarDbEmulator emulator;
  private final ObjectMapper json;

  AdminEndpoints(PolarDbEmulator emulator, ObjectMapper json) {
    this.emulator = emulator;
    this.json = json;
  }

  Reply handle(String method, String path, String rawQuery, byte[] body) {
    String endpoint = path.substring(PREFIX.length());
    try {
      return switch (method + " " + endpoint) {
        case "GET healthz" -> new Reply(200, message("ok").put("status", "ok"));
        case "GET ledger" -> new Reply(200, ledger(ApiRequest.decodeForm(rawQuery).get("calls")));
        case "POST clusters" -> cluster(read(body));
        case "POST faults" -> fault(read(body));
        case "DELETE faults" -> {
          emulator.clearFaults();
          yield new Reply(200, message("faults cleared"));
        }
        case "POST backup-outcome" -> outcome(read(body));
        case "POST backup-duration" -> duration(read(body));
        case "POST cluster-creation-duration" -> creationDuration(read(body));
        case "POST insufficient-capacity" -> shortOfCapacity(read(body));
        case "POST backups" -> consoleBackup(read(body));
        case "DELETE backups" -> deleteBackup(ApiRequest.decodeForm(rawQuery));
        case "DELETE clusters" -> deleteCluster(ApiRequest.decodeForm(rawQuery));
        case "GET backup-policy" -> policy(required(ApiRequest.decodeForm(rawQuery)));
        case "POST backup-policy" -> changePolicy(read(body));
        default -> new Reply(404, message("no such endpoint: " + method + " " + path));
      };
    } catch (IllegalArgumentException e) {
      return new Reply(400, message(e.getMessage()));
    }
  }

  ObjectNode message(String text) {
    return JsonNodeFactory.instance.objectNode().put("message", text);
  }

  private ObjectNode ledger(String withCalls) {
    Ledger ledger = emulator.ledger();
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    ArrayNode backups = out.putArray("backups");
    for (BackupRecord b : ledger.backups()) {
      ObjectNode item = backups.addObject();
      item.put("backupId", b.backupId());
      item.put("backupJobId", b.backupJobId());
      item.put("dbClusterId", b.dbClusterId());
      item.put("clientToken", b.clientToken());
      item.put("origin", b.origin().wireName());
      item.put("createdAt", b.createdAt().toString());
      item.put("status", b.status());
      item.put("deleted", b.deleted());
      item.put("detached", b.detached());
    }
    ArrayNode clusters = out.putArray("clusters");
    for (ClusterRecord c : ledger.clusters()) {
      ObjectNode item = clusters.addObject();
      item.put("dbClusterId", c.dbClusterId());
      item.put("orderId", c.orderId());
      item.put("clientToken", c.clientToken());
      item.put("source", c.sourceDbClusterId());
      item.put("cloneDataPoint", c.cloneDataPoint());
      item.put("createdAt", c.createdAt().toString());
      item.put("deleted", c.deleted());
      item.put("deletedAt", c.deletedAt() == null ? null : c.deletedAt().toString());
      c.tags().forEach(item.putObject("tags")::put);
    }
    ArrayNode restores = out.putArray("tableRestores");
    for (TableRestoreRecord r : ledger.tableRestores()) {
      ObjectNode item = restores.addObject();
      item.put("dbClusterId", r.dbClusterId());
      item.put("backupId", r.backupId());
      item.put("restoreTime", r.restoreTime() == null ? null : r.restoreTime().toString());
      r.databases().forEach(item.putObject("databases")::put);
      item.put("restoredAt", r.restoredAt().toString());
      item.put("requestId", r.requestId());
    }
    ObjectNode clustersByToken = out.putObject("clustersByClientToken");
    ledger.clustersByClientToken().forEach(clustersByToken::put);
    ObjectNode inFlight = out.putObject("inFlight");
    emulator.inFlight().forEach(inFlight::put);
    ObjectNode byAction = out.putObject("callsByAction");
    ledger.callsByAction().forEach(byAction::put);
    ObjectNode byToken = out.putObject("backupsByClientToken");
    ledger.backupsByClientToken().forEach(byToken::put);
    if ("true".equalsIgnoreCase(withCalls)) {
      ArrayNode calls = out.putArray("calls");
      for (ApiCall c : ledger.calls()) {
        ObjectNode item = calls.addObject();
        item.put("at", c.at().toString());
        item.put("action", c.action());
        item.put("dbClusterId", c.dbClusterId());
        item.put("httpStatus", c.httpStatus());
        item.put("code", c.code());
        item.put("requestId", c.requestId());
      }
    }
    return out;
  }

  private Reply cluster(JsonNode body) {
    String id = text(body, "dbClusterId", null);
    emulator.addCluster(
        id, text(body, "regionId", "cn-hangzhou"), text(body, "status", Clusters.RUNNING));
    return new Reply(200, message("cluster " + id + " saved"));
  }

  private Reply fault(JsonNode body) {
    String action = text(body, "action", Faults.EVERY_ACTION);
    FaultSpec spec =
        new FaultSpec(
            Duration.ofMillis(body.path("latencyMs").asLong(0)),
            body.path("throttleRate").asDouble(0),
            body.path("serverErrorRate").asDouble(0),
            body.path("lostResponseRate").asDouble(0));
    emulator.setFault(action, spec);
    return new Reply(200, message("fault set for " + action));
  }

  private Reply outcome(JsonNode body) {
    String id = text(body, "dbClusterId", null);
    if (body.path("fail").asBoolean(false)) {
      emulator.failBackups(id, text(body, "reason", "backup failed"));
      return new Reply(200, message("new backups of " + id + " will fail"));
    }
    emulator.succeedBackups(id);
    return new Reply(200, message("new backups of " + id + " will succeed"));
  }

  /** Refused as PolarDB would refuse it, with the error's status and its code in the message. */
  private Reply consoleBackup(JsonNode body) {
    String id = text(body, "dbClusterId", null);
    try {
      Backup backup = emulator.console().makeBackup(id);
      ObjectNode made = JsonNodeFactory.instance.objectNode();
      made.put("backupId", backup.backupId);
      made.put("backupJobId", backup.backupJobId);
      return new Reply(200, made);
    } catch (ApiError e) {
      return new Reply(e.status(), message(e.code() + ": " + e.getMessage()));
    }
  }

  /** {@code ?dbClusterId=...&backupId=...}: the set is deleted whatever its status. */
  private Reply deleteBackup(Map<String, String> query) {
    String id = required(query);
    String backupId = query.get("backupId");
    if (backupId == null || backupId.isBlank()) {
      throw new IllegalArgumentException("backupId is required");
    }
    return refusable(
        () -> {
          emulator.console().removeBackup(id, backupId);
          return new Reply(200, message("backup set " + backupId + " of " + id + " deleted"));
        });
  }

  /**
   * {@code ?dbClusterId=...[&backupRetentionPolicyOnClusterDeletion=ALL|LATEST|NONE]}; without the
   * second, the cluster's own policy decides which backup sets survive.
   */
  private Reply deleteCluster(Map<String, String> query) {
    String id = required(query);
    String retention = query.get("backupRetentionPolicyOnClusterDeletion");
    return refusable(
        () -> {
          ClusterDeletion deletion =
              emulator
                  .console()
                  .removeCluster(id, retention == null || retention.isBlank() ? null : retention);
          ObjectNode out = message("cluster " + id + " deleted");
          out.put(
              "backupRetentionPolicyOnClusterDeletion",
              deletion.backupRetentionPolicyOnClusterDeletion());
          deletion.keptBackupIds().forEach(out.putArray("kept")::add);
          deletion.deletedBackupIds().forEach(out.putArray("deleted")::add);
          return new Reply(200, out);
        });
  }

  private Reply policy(String dbClusterId) {
    return refusable(
        () -> {
          ObjectNode out = JsonNodeFactory.instance.objectNode().put("dbClusterId", dbClusterId);
          emulator.console().backupPolicy(dbClusterId).forEach(out::put);
          return new Reply(200, out);
        });
  }

  /**
   * {@code {"dbClusterId": ..., "<API field name>": "<value>", ...}}: a change made in the console
   * (drift), checked as ModifyBackupPolicy or ModifyLogBackupPolicy would check it.
   */
  private Reply changePolicy(JsonNode body) {
    String id = text(body, "dbClusterId", null);
    Map<String, String> fields = new LinkedHashMap<>();
    body.fields()
        .forEachRemaining(
            e -> {
              if (!e.getKey().equals("dbClusterId")) {
                fields.put(e.getKey(), e.getValue().asText());
              }
            });
    return refusable(
        () -> {
          emulator.console().changePolicy(id, fields);
          return policy(id);
        });
  }

  private static String required(Map<String, String> query) {
    String id = query.get("dbClusterId");
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException("dbClusterId is required");
    }
    return id;
  }

  /** Refused as PolarDB would refuse it, with the error's status and its code in the message. */
  private Reply refusable(Supplier<Reply> step) {
    try {
      return step.get();
    } catch (ApiError e) {
      return new Reply(e.status(), message(e.code() + ": " + e.getMessage()));
    }
  }

  private Reply duration(JsonNode body) {
    long ms = body.path("durationMs").asLong(-1);
    if (ms < 0) {
      throw new IllegalArgumentException("durationMs (a non-negative number) is required");
    }
    emulator.setBackupDuration(Duration.ofMillis(ms));
    return new Reply(200, message("backups created from now on take " + ms + " ms"));
  }

  private Reply creationDuration(JsonNode body) {
    long ms = body.path("durationMs").asLong(-1);
    if (ms < 0) {
      throw new IllegalArgumentException("durationMs (a non-negative number) is required");
    }
    emulator.setClusterCreationDuration(Duration.ofMillis(ms));
    return new Reply(200, message("clusters created from now on are Creating for " + ms + " ms"));
  }

  /** {@code {"action": "CreateDBCluster"|"RestoreTable", "calls": n}} (n default 1). */
  private Reply shortOfCapacity(JsonNode body) {
    String action = text(body, "action", null);
    int calls = body.path("calls").asInt(1);
    emulator.shortOfCapacityNext(action, calls);
    return new Reply(
        200, message("the next " + calls + " " + action + " get InsufficientResourceCapacity"));
  }

  private JsonNode read(byte[] body) {
    try {
      JsonNode node = json.readTree(body);
      if (node == null || !node.isObject()) {
        throw new IllegalArgumentException("the body must be a JSON object");
      }
      return node;
    } catch (IOException e) {
      throw new IllegalArgumentException("the body is not JSON: " + e.getMessage());
    }
  }

  private static String text(JsonNode body, String field, String absent) {
    JsonNode value = body.get(field);
    if (value == null || value.isNull() || value.asText().isBlank()) {
      if (absent == null) {
        throw new IllegalArgumentException(field + " is required");
      }
      return absent;
    }
    return value.asText();
  }
}
