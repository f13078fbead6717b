package dev.polardbbackup.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** The last "back up now" annotation a schedule acted on, and the backup it made. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BackupNowTrigger(
    @JsonPropertyDescription(
            "The value of the polardbbackup.dev/backup-now annotation acted on; the same value"
                + " again makes nothing.")
        String trigger,
    @JsonPropertyDescription("The PolarDBBackup made for it (or found, or skipped for a conflict).")
        String backupName,
    @JsonPropertyDescription("When the schedule acted on it (RFC 3339).") String time) {}
