package dev.polardbbackup.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Where a restored cluster takes connections (its primary endpoint). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ClusterEndpoint(
    @JsonPropertyDescription("The connection string, e.g. pc-xxx.rwlb.rds.aliyuncs.com.")
        String connectionString,
    @JsonPropertyDescription("The port, e.g. 3306.") Integer port) {}
