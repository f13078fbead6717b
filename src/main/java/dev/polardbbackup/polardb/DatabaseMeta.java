package dev.polardbbackup.polardb;

import java.util.List;

/** One database {@code DescribeMetaList} lists, with the tables it holds. */
public record DatabaseMeta(String name, List<String> tables) {

  public DatabaseMeta {
    tables = List.copyOf(tables);
  }
}
