package dev.polardbbackup.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** The last restore drill a schedule finished, its clone deleted. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VerifiedRestore(
    @JsonPropertyDescription("When the drill finished (RFC 3339).") String time,
    @JsonPropertyDescription("The PolarDB BackupId restored.") String backupId,
    @JsonPropertyDescription("Succeeded or Failed.") DrillOutcome outcome,
    @JsonPropertyDescription("Why, in one word (DrillSucceeded, DrillFailed, ...).") String reason,
    @JsonPropertyDescription("What happened, for a person.") String message,
    @JsonPropertyDescription("The clone's DBClusterId, when one was made.") String cloneDbClusterId,
    @JsonPropertyDescription("Seconds from CreateDBCluster to the clone Running.")
        Long cloneSeconds) {}
