package dev.polardbbackup.polardb;

import java.util.Map;

/**
 * One cluster as {@code DescribeDBClusters} lists it: enough to tell which cluster a tag names.
 *
 * @param status {@code DBClusterStatus}, as listed (empty when the reply leaves it out)
 * @param tags the cluster's tags, key to value
 */
public record ListedCluster(
    String dbClusterId, String status, String regionId, Map<String, String> tags) {

  public ListedCluster {
    tags = Map.copyOf(tags);
  }
}
