package dev.polardbbackup.polardb;

import java.util.List;

/** One page of {@code DescribeMetaList}. */
public record MetaPage(
    List<DatabaseMeta> databases, int totalRecordCount, int pageNumber, int pageSize) {

  public MetaPage {
    databases = List.copyOf(databases);
  }

  public boolean hasMore() {
    return (long) pageNumber * pageSize < totalRecordCount && !databases.isEmpty();
  }
}
