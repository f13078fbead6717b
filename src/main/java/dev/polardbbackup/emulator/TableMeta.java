package dev.polardbbackup.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * RestoreTable's {@code TableMeta}: a JSON array of databases to restore, each with the tables to
 * bring back and the names to give them, e.g. {@code
 * [{"name":"db","type":"db","newname":"db_restored","tables":[{"name":"t","type":"table",
 * "newname":"t"}]}]}. A missing {@code newname} keeps the name.
 */
record TableMeta(List<Database> databases) {
  private static final ObjectMapper JSON = new ObjectMapper();

  record Database(String name, String newName, List<Table> tables) {}

  record Table(String name, String newName) {}

  /** Throws {@code InvalidTableMeta.Malformed} (our reading) for anything but the shape above. */
  static TableMeta parse(String text) {
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (IOException e) {
      throw malformed("it is not JSON");
    }
    if (root == null || !root.isArray() || root.isEmpty()) {
      throw malformed("it must be a non-empty JSON array of databases");
    }
    List<Database> databases = new ArrayList<>();
    for (JsonNode db : root) {
      String name = name(db, "db");
      List<Table> tables = new ArrayList<>();
      for (JsonNode table : db.path("tables")) {
        String tableName = name(table, "table");
        tables.add(new Table(tableName, table.path("newname").asText(tableName)));
      }
      databases.add(new Database(name, db.path("newname").asText(name), List.copyOf(tables)));
    }
    return new TableMeta(List.copyOf(databases));
  }

  private static String name(JsonNode node, String type) {
    String name = node.path("name").asText("");
    if (name.isEmpty() || !type.equals(node.path("type").asText(type))) {
      throw malformed("each entry needs a name and type " + type);
    }
    return name;
  }

  private static ApiError malformed(String why) {
    return ApiError.malformed(400, "TableMeta", why + ".");
  }
}
