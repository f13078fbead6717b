package dev.polardbbackup.model;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** A PolarDBBackup in the referring resource's own namespace. */
public record BackupReference(
    @Required
        @Size(min = 1, max = 253)
        @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
        @JsonPropertyDescription(
            "Name of a PolarDBBackup in the same namespace; it must have Succeeded.")
        String name) {}
