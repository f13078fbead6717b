package dev.polardbbackup.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** The spec of every PolarDBBackup a schedule creates. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BackupTemplate(
    @Required
        @Size(max = 64)
        @Pattern(PolarDBBackupSpec.CLUSTER_ID_PATTERN)
        @JsonPropertyDescription("The PolarDB cluster to back up, e.g. pc-bp1abcdefghij1234.")
        String dbClusterId,
    @Required
        @Size(max = 64)
        @Pattern(PolarDBBackupSpec.REGION_ID_PATTERN)
        @JsonPropertyDescription("The cluster's region, e.g. cn-hangzhou.")
        String regionId,
    @Default("Retain")
        @JsonPropertyDescription(
            "What happens to the PolarDB backup when its PolarDBBackup is deleted, by retention"
                + " or by hand: Retain (default) keeps it, Delete deletes it too. Retention only"
                + " frees the cluster's manual-backup slots with Delete.")
        DeletionPolicy deletionPolicy,
    @JsonPropertyDescription(
            "Credentials for the backups. When absent the operator's own credentials are used.")
        SecretReference credentialsSecretRef) {

  public BackupTemplate(String dbClusterId, String regionId, DeletionPolicy deletionPolicy) {
    this(dbClusterId, regionId, deletionPolicy, null);
  }

  public DeletionPolicy effectiveDeletionPolicy() {
    return deletionPolicy == null ? DeletionPolicy.Retain : deletionPolicy;
  }

  /** The spec of one backup made from this template. */
  public PolarDBBackupSpec toBackupSpec() {
    return new PolarDBBackupSpec(
        dbClusterId, regionId, effectiveDeletionPolicy(), credentialsSecretRef);
  }
}
