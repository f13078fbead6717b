package dev.polardbbackup.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * What to back up. The whole spec is immutable: one resource is one backup, and a changed cluster
 * id would orphan the backup already made.
 */
@ValidationRule(
    value = "self == oldSelf",
    message = "spec is immutable; create a new PolarDBBackup instead")
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PolarDBBackupSpec(
    @Required
        @Size(max = 64)
        @Pattern(CLUSTER_ID_PATTERN)
        @JsonPropertyDescription("The PolarDB cluster to back up, e.g. pc-bp1abcdefghij1234.")
        String dbClusterId,
    @Required
        @Size(max = 64)
        @Pattern(REGION_ID_PATTERN)
        @JsonPropertyDescription("The cluster's region, e.g. cn-hangzhou.")
        String regionId,
    @Default("Retain")
        @JsonPropertyDescription(
            "Retain (default) keeps the PolarDB backup when this resource is deleted; Delete"
                + " deletes it too.")
        DeletionPolicy deletionPolicy,
    @JsonPropertyDescription(
            "Credentials for this backup. When absent the operator's own credentials are used.")
        SecretReference credentialsSecretRef,
    @Size(max = 64)
        @Pattern("^[A-Za-z0-9-]{1,64}$")
        @JsonPropertyDescription(
            "Adopt this existing backup set of the cluster instead of creating one: no"
                + " CreateBackup call; status comes from DescribeBackups; deletionPolicy applies.")
        String backupId) {

  public static final String CLUSTER_ID_PATTERN = "^pc-[a-z0-9]{1,61}$";
  public static final String REGION_ID_PATTERN = "^[a-z]{2}(-[a-z0-9]+)+$";

  public PolarDBBackupSpec(String dbClusterId, String regionId) {
    this(dbClusterId, regionId, DeletionPolicy.Retain, null, null);
  }

  public PolarDBBackupSpec(
      String dbClusterId,
      String regionId,
      DeletionPolicy deletionPolicy,
      SecretReference credentialsSecretRef) {
    this(dbClusterId, regionId, deletionPolicy, credentialsSecretRef, null);
  }

  /** True when this resource adopts an existing backup rather than creating one. */
  public boolean adopts() {
    return backupId != null && !backupId.isBlank();
  }

  /** The deletion policy, defaulted where an API server did not apply the schema default. */
  public DeletionPolicy effectiveDeletionPolicy() {
    return deletionPolicy == null ? DeletionPolicy.Retain : deletionPolicy;
  }
}
