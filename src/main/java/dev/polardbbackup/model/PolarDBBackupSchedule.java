package dev.polardbbackup.model;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** Creates a PolarDBBackup on every tick of a cron schedule and deletes the oldest ones. */
@Group(PolarDBBackup.GROUP)
@Version(PolarDBBackup.VERSION)
@ShortNames("pdbbs")
@AdditionalPrinterColumn(
    name = "Cluster",
    jsonPath = ".spec.template.dbClusterId",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Schedule",
    jsonPath = ".spec.schedule",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Suspended",
    jsonPath = ".spec.suspend",
    type = AdditionalPrinterColumn.Type.BOOLEAN)
@AdditionalPrinterColumn(
    name = "Last Success",
    jsonPath = ".status.lastSuccessfulBackup.time",
    type = AdditionalPrinterColumn.Type.DATE)
// A string, not a date: kubectl prints future dates as <invalid>.
@AdditionalPrinterColumn(
    name = "Next",
    jsonPath = ".status.nextScheduleTime",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Last Drill",
    jsonPath = ".status.lastVerifiedRestore.outcome",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1)
@AdditionalPrinterColumn(
    name = "Active",
    jsonPath = ".status.active[*]",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1)
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class PolarDBBackupSchedule
    extends CustomResource<PolarDBBackupScheduleSpec, PolarDBBackupScheduleStatus>
    implements Namespaced {

  /**
   * Annotating a schedule with a new value of this makes one extra backup from its template at
   * once, named after the value; the cron ticks are not affected.
   */
  public static final String BACKUP_NOW_ANNOTATION = PolarDBBackup.GROUP + "/backup-now";

  public PolarDBBackupSchedule() {}

  public PolarDBBackupSchedule(String namespace, String name, PolarDBBackupScheduleSpec spec) {
    getMetadata().setNamespace(namespace);
    getMetadata().setName(name);
    setSpec(spec);
  }

  /** The value of {@value #BACKUP_NOW_ANNOTATION}, if set and not blank. */
  @JsonIgnore
  public java.util.Optional<String> backupNowTrigger() {
    var annotations = getMetadata().getAnnotations();
    String value = annotations == null ? null : annotations.get(BACKUP_NOW_ANNOTATION);
    return value == null || value.isBlank()
        ? java.util.Optional.empty()
        : java.util.Optional.of(value.trim());
  }

  @JsonIgnore
  public boolean isPaused() {
    return PolarDBBackup.pausedByAnnotation(this);
  }

  /** Required in the CRD too: an object without a spec is refused by the API server. */
  @Override
  @Required
  public PolarDBBackupScheduleSpec getSpec() {
    return super.getSpec();
  }

  @Override
  protected PolarDBBackupScheduleSpec initSpec() {
    return null;
  }

  @Override
  protected PolarDBBackupScheduleStatus initStatus() {
    return null;
  }
}
