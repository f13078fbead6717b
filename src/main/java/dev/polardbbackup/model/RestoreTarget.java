package dev.polardbbackup.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Where a restore goes, in exactly one of two ways: a new cluster cloned from the source
 * (CreateDBCluster), or databases and tables restored into the source cluster itself under new
 * names (RestoreTable).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RestoreTarget(
    @JsonPropertyDescription("A new, billed cluster cloned from the source.") NewCluster newCluster,
    @Size(min = 1, max = 100)
        @JsonPropertyDescription(
            "Databases (and optionally some of their tables) to restore into the source cluster"
                + " itself, each under a new name.")
        List<DatabaseRestore> tables) {

  /** A database name as RestoreTable's TableMeta takes it. */
  public static final String NAME_PATTERN = "^[A-Za-z0-9_$-]{1,64}$";

  public static RestoreTarget ofNewCluster(NewCluster newCluster) {
    return new RestoreTarget(newCluster, null);
  }

  public static RestoreTarget ofTables(List<DatabaseRestore> tables) {
    return new RestoreTarget(null, tables);
  }

  public boolean restoresTables() {
    return newCluster == null && tables != null;
  }

  /** One database to restore; with no tables listed, all of its tables. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record DatabaseRestore(
      @Required
          @Size(max = 64)
          @Pattern(NAME_PATTERN)
          @JsonPropertyDescription("The database in the backup.")
          String name,
      @Required
          @Size(max = 64)
          @Pattern(NAME_PATTERN)
          @JsonPropertyDescription("The name it is restored under; it must not exist yet.")
          String newName,
      @Size(max = 1000)
          @JsonPropertyDescription("Only these tables of the database. Absent: all of them.")
          List<TableRestore> tables) {}

  /** One table of a database to restore. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record TableRestore(
      @Required
          @Size(max = 64)
          @Pattern(NAME_PATTERN)
          @JsonPropertyDescription("The table in the backup.")
          String name,
      @Size(max = 64)
          @Pattern(NAME_PATTERN)
          @JsonPropertyDescription("The name it is restored under. Default: its own name.")
          String newName) {

    public String effectiveNewName() {
      return newName == null ? name : newName;
    }
  }

  void problems(List<String> problems) {
    int ways = (newCluster != null ? 1 : 0) + (tables != null ? 1 : 0);
    if (ways != 1) {
      problems.add(
          "spec.target must name exactly one of newCluster or tables; it names " + ways + ".");
      return;
    }
    if (newCluster != null) {
      newCluster.problems(problems, "spec.target.newCluster");
      return;
    }
    Set<String> newNames = new HashSet<>();
    for (DatabaseRestore database : tables) {
      if (database.newName() != null && !newNames.add(database.newName())) {
        problems.add(
            "spec.target.tables restores more than one database as "
                + database.newName()
                + "; give each a new name of its own.");
      }
      Set<String> tableNames = new HashSet<>();
      if (database.tables() != null) {
        for (TableRestore table : database.tables()) {
          if (table.name() != null && !tableNames.add(table.effectiveNewName())) {
            problems.add(
                "spec.target.tables database "
                    + database.name()
                    + " restores more than one table as "
                    + table.effectiveNewName()
                    + ".");
          }
        }
      }
    }
  }
}
