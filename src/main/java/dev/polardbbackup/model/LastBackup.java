package dev.polardbbackup.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** A schedule's most recent successful backup; kept after retention deletes the object. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LastBackup(
    @JsonPropertyDescription("The PolarDBBackup's name.") String name,
    @JsonPropertyDescription("The PolarDB BackupId.") String backupId,
    @JsonPropertyDescription("When it completed (RFC 3339).") String time) {}
