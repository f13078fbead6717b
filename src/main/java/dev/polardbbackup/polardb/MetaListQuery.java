package dev.polardbbackup.polardb;

import java.util.Optional;

/**
 * Parameters of {@code DescribeMetaList}: the databases (or, with {@code dbName}, one database's
 * tables) a backup set or a point in time can give back; without a point, the cluster's own.
 *
 * @param pageSize 30, 50 or 100
 */
public record MetaListQuery(
    String dbClusterId,
    Optional<RestorePoint> point,
    Optional<String> dbName,
    int pageSize,
    int pageNumber) {

  public MetaListQuery {
    if (pageSize != 30 && pageSize != 50 && pageSize != 100) {
      throw new IllegalArgumentException("PageSize must be 30, 50 or 100, was " + pageSize);
    }
    if (pageNumber < 1) {
      throw new IllegalArgumentException("PageNumber starts at 1, was " + pageNumber);
    }
  }

  /** Every database the point can give back, first page of 100. */
  public static MetaListQuery of(String dbClusterId, RestorePoint point) {
    return new MetaListQuery(dbClusterId, Optional.of(point), Optional.empty(), 100, 1);
  }

  public MetaListQuery page(int number) {
    return new MetaListQuery(dbClusterId, point, dbName, pageSize, number);
  }
}
