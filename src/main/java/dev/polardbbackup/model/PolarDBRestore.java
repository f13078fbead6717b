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
 * One restore of a PolarDB backup: into a new cluster cloned from it (CreateDBCluster), or as
 * databases and tables of the source cluster under new names (RestoreTable). Acting needs the
 * action Restore on the source cluster.
 */
@Group(PolarDBBackup.GROUP)
@Version(PolarDBBackup.VERSION)
@ShortNames("pdbr")
@AdditionalPrinterColumn(
    name = "Source",
    jsonPath = ".status.source",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "New Cluster",
    jsonPath = ".status.dbClusterId",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Phase",
    jsonPath = ".status.phase",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Reason",
    jsonPath = ".status.reason",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
// A string, not a date: kubectl prints future dates as <invalid>.
@AdditionalPrinterColumn(
    name = "Expires",
    jsonPath = ".status.expiryTime",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1)
@AdditionalPrinterColumn(
    name = "Message",
    jsonPath = ".status.message",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1)
public class PolarDBRestore extends CustomResource<PolarDBRestoreSpec, PolarDBRestoreStatus>
    implements Namespaced {

  public PolarDBRestore() {}

  public PolarDBRestore(String namespace, String name, PolarDBRestoreSpec spec) {
    getMetadata().setNamespace(namespace);
    getMetadata().setName(name);
    setSpec(spec);
  }

  @JsonIgnore
  public boolean isPaused() {
    return PolarDBBackup.pausedByAnnotation(this);
  }

  /** The force-delete annotation, as on PolarDBBackup: the finalizer goes, the cluster stays. */
  @JsonIgnore
  public boolean isForceDeleted() {
    return PolarDBBackup.forceDeletedByAnnotation(this);
  }

  /** Required in the CRD too: an object without a spec is refused by the API server. */
  @Override
  @Required
  public PolarDBRestoreSpec getSpec() {
    return super.getSpec();
  }

  @Override
  protected PolarDBRestoreSpec initSpec() {
    return null;
  }

  @Override
  protected PolarDBRestoreStatus initStatus() {
    return null;
  }
}
