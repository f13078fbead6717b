package dev.polardbbackup.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.kubernetes.api.model.LabelSelector;
import java.util.List;

/**
 * Which namespaces may act, with which cloud identity, on which clusters, and how. A PolarDBBackup
 * that names no credentialsSecretRef acts only through a grant that covers all four.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PolarDBAccessGrantSpec(
    @Required
        @JsonPropertyDescription(
            "The namespaces this grant is for. {} selects every namespace; a namespace's name can"
                + " be selected with the label kubernetes.io/metadata.name (the operator adds"
                + " that label itself on Kubernetes older than 1.21).")
        LabelSelector namespaceSelector,
    @Required
        @Size(min = 1)
        @JsonPropertyDescription(
            "The PolarDB clusters the selected namespaces may act on: region and cluster-id"
                + " patterns where '*' is any text.")
        List<ClusterPattern> clusters,
    @Required
        @Size(min = 1)
        @JsonPropertyDescription(
            "What they may do: Backup (make backups), Adopt (take an existing backup set under"
                + " management), Delete (delete cloud backups; every object with deletionPolicy"
                + " Delete needs it), Policy (read and change a cluster's automatic backup policy"
                + " through a PolarDBBackupPolicy), Restore (create clusters from the cluster's"
                + " backups, restore its tables, and delete the clusters a PolarDBRestore or a"
                + " schedule's restore drill made).")
        List<GrantedAction> actions,
    @JsonPropertyDescription(
            "The cloud identity to act with. Absent: the operator's own (environment, RRSA or"
                + " instance role).")
        GrantCredentials credentials) {

  /** True when this grant lends the operator's own identity. */
  public boolean lendsOperatorIdentity() {
    return credentials == null;
  }
}
