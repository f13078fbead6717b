package dev.polardbbackup.model;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * The automatic backup policy of one PolarDB cluster, as code: level-1 and level-2 backups, log
 * backups, cross-region copies and what survives deleting the cluster. Deleting this resource
 * leaves the cluster's policy as it is.
 */
@Group(PolarDBBackup.GROUP)
@Version(PolarDBBackup.VERSION)
@ShortNames("pdbbp")
@AdditionalPrinterColumn(
    name = "Cluster",
    jsonPath = ".spec.dbClusterId",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Mode",
    jsonPath = ".spec.managementPolicy",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Ready",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].status",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Reason",
    jsonPath = ".status.reason",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "On Deletion",
    jsonPath = ".status.effective.retentionOnClusterDeletion",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Last Sync",
    jsonPath = ".status.lastSyncTime",
    type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class PolarDBBackupPolicy
    extends CustomResource<PolarDBBackupPolicySpec, PolarDBBackupPolicyStatus>
    implements Namespaced {

  public PolarDBBackupPolicy() {}

  public PolarDBBackupPolicy(String namespace, String name, PolarDBBackupPolicySpec spec) {
    getMetadata().setNamespace(namespace);
    getMetadata().setName(name);
    setSpec(spec);
  }

  @JsonIgnore
  public boolean isPaused() {
    return PolarDBBackup.pausedByAnnotation(this);
  }

  /** Required in the CRD too: an object without a spec is refused by the API server. */
  @Override
  @Required
  public PolarDBBackupPolicySpec getSpec() {
    return super.getSpec();
  }

  @Override
  protected PolarDBBackupPolicySpec initSpec() {
    return null;
  }

  @Override
  protected PolarDBBackupPolicyStatus initStatus() {
    return null;
  }
}
