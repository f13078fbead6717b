package dev.polardbbackup.polardb;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Objects;

/**
 * A {@code RestoreTable}: databases (and tables in them) brought back into the same cluster under
 * new names. It has no ClientToken: a repeat of one that worked is refused with {@code
 * InvalidDBName.Duplicate}, because its new names exist by then.
 */
public record TableRestore(String dbClusterId, RestorePoint point, List<Database> databases) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A database to restore as {@code newName}; no tables means all of them. */
  public record Database(String name, String newName, List<Table> tables) {
    public Database {
      tables = List.copyOf(tables);
    }
  }

  public record Table(String name, String newName) {}

  public TableRestore {
    Objects.requireNonNull(dbClusterId, "dbClusterId");
    Objects.requireNonNull(point, "point");
    if (databases.isEmpty()) {
      throw new IllegalArgumentException("a table restore needs at least one database");
    }
    databases = List.copyOf(databases);
  }

  /** The {@code TableMeta} parameter: {@code [{"name","type":"db","newname","tables":[...]}]}. */
  String tableMeta() {
    ArrayNode meta = JSON.createArrayNode();
    for (Database db : databases) {
      ObjectNode entry = meta.addObject();
      entry.put("name", db.name()).put("type", "db").put("newname", db.newName());
      ArrayNode tables = entry.putArray("tables");
      db.tables()
          .forEach(
              t ->
                  tables
                      .addObject()
                      .put("name", t.name())
                      .put("type", "table")
                      .put("newname", t.newName()));
    }
    return meta.toString();
  }
}
