package dev.polardbbackup.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * The deletion of a cluster the operator made: why, when DeleteDBCluster was first and last sent
 * (written before the call), and when the cluster was seen gone.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ClusterDeletion(
    @JsonPropertyDescription("TtlExpired, or ResourceDeleted (deletionPolicy Delete).")
        String reason,
    @JsonPropertyDescription("When DeleteDBCluster was first sent.") String firstSent,
    @JsonPropertyDescription("When DeleteDBCluster was last sent.") String lastSent,
    @JsonPropertyDescription("When the cluster was first seen gone.") String deletedTime) {}
