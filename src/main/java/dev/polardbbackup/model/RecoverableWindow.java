package dev.polardbbackup.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * The span the cluster can be restored to from its level-1 backups, as {@code
 * DescribeLocalAvailableRecoveryTime} reports it.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RecoverableWindow(
    @JsonPropertyDescription("The earliest time the cluster can be restored to (RFC 3339).")
        String begin,
    @JsonPropertyDescription("The latest time the cluster can be restored to (RFC 3339).")
        String end) {}
