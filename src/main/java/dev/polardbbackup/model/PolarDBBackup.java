package dev.polardbbackup.model;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** One manual backup of one PolarDB cluster. */
@Group(PolarDBBackup.GROUP)
@Version(PolarDBBackup.VERSION)
@ShortNames("pdbb")
@AdditionalPrinterColumn(
    name = "Cluster",
    jsonPath = ".spec.dbClusterId",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Phase",
    jsonPath = ".status.phase",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Backup",
    jsonPath = ".status.backupId",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Progress",
    jsonPath = ".status.progress",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(
    name = "Reason",
    jsonPath = ".status.reason",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Message",
    jsonPath = ".status.message",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1)
public class PolarDBBackup extends CustomResource<PolarDBBackupSpec, PolarDBBackupStatus>
    implements Namespaced {
  public static final String GROUP = "polardbbackup.dev";
  public static final String VERSION = "v1alpha1";

  /** Set to "true" to let a stuck deletion finish without deleting the cloud backup. */
  public static final String FORCE_DELETE_ANNOTATION = GROUP + "/force-delete";

  /** Set to "true" to pause reconciliation of this object without deleting it. */
  public static final String PAUSED_ANNOTATION = GROUP + "/paused";

  /** The Paused condition's message on a paused backup or restore. */
  public static final String PAUSED_MESSAGE =
      "Reconciliation is paused by the annotation "
          + PAUSED_ANNOTATION
          + "=true; remove it to resume.";

  @JsonIgnore
  public boolean isPaused() {
    return pausedByAnnotation(this);
  }

  @JsonIgnore
  public boolean isForceDeleted() {
    return forceDeletedByAnnotation(this);
  }

  /** True when the object (a backup or a schedule) carries {@value #PAUSED_ANNOTATION}=true. */
  static boolean pausedByAnnotation(HasMetadata resource) {
    return annotatedTrue(resource, PAUSED_ANNOTATION);
  }

  /**
   * True when the object (a backup or a restore) carries {@value #FORCE_DELETE_ANNOTATION}=true.
   */
  static boolean forceDeletedByAnnotation(HasMetadata resource) {
    return annotatedTrue(resource, FORCE_DELETE_ANNOTATION);
  }

  private static boolean annotatedTrue(HasMetadata resource, String annotation) {
    var annotations = resource.getMetadata().getAnnotations();
    return annotations != null && "true".equalsIgnoreCase(annotations.get(annotation));
  }

  public PolarDBBackup() {}

  public PolarDBBackup(String namespace, String name, PolarDBBackupSpec spec) {
    getMetadata().setNamespace(namespace);
    getMetadata().setName(name);
    setSpec(spec);
  }

  /** Required in the CRD too: an object without a spec is refused by the API server. */
  @Override
  @Required
  public PolarDBBackupSpec getSpec() {
    return super.getSpec();
  }

  @Override
  protected PolarDBBackupSpec initSpec() {
    return null;
  }

  @Override
  protected PolarDBBackupStatus initStatus() {
    return null;
  }
}
