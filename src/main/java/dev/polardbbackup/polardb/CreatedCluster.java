package dev.polardbbackup.polardb;

/** What {@code CreateDBCluster} answers: the new cluster's id and its billing order. */
public record CreatedCluster(String dbClusterId, String orderId, String resourceGroupId) {}
