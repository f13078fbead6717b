package dev.polardbbackup.model;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** The cloud identity a grant lends: an AccessKey in a Secret of the operator's own namespace. */
public record GrantCredentials(
    @Required
        @Size(min = 1, max = 253)
        @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
        @JsonPropertyDescription(
            "Name of a Secret in the operator's namespace with keys accessKeyId, accessKeySecret"
                + " and optionally securityToken. Tenants never read it; the operator calls"
                + " PolarDB with it on their behalf.")
        String secretName) {}
