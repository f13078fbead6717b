package dev.polardbbackup.model;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * Cluster-scoped: lets the namespaces it selects use a cloud identity (the operator's own, or an
 * AccessKey in the operator's namespace) for the actions it lists on the clusters it names. Only a
 * cluster admin should be able to write these; tenants need only read them, if at all.
 */
@Group(PolarDBBackup.GROUP)
@Version(PolarDBBackup.VERSION)
@ShortNames("pdbgrant")
@AdditionalPrinterColumn(
    name = "Actions",
    jsonPath = ".spec.actions",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Secret",
    jsonPath = ".spec.credentials.secretName",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class PolarDBAccessGrant extends CustomResource<PolarDBAccessGrantSpec, Void> {

  public PolarDBAccessGrant() {}

  public PolarDBAccessGrant(String name, PolarDBAccessGrantSpec spec) {
    getMetadata().setName(name);
    setSpec(spec);
  }

  @Override
  @Required
  public PolarDBAccessGrantSpec getSpec() {
    return super.getSpec();
  }

  @Override
  protected PolarDBAccessGrantSpec initSpec() {
    return null;
  }
}
