package dev.polardbbackup.polardb;

/**
 * One address of a cluster endpoint from {@code DescribeDBClusterEndpoints}: where a restored
 * cluster can be reached (for example {@code pc-xxx.rwlb.rds.aliyuncs.com:3306}).
 */
public record ClusterEndpoint(
    String dbEndpointId, String endpointType, String connectionString, int port, String netType) {}
