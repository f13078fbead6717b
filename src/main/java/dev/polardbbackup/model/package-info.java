/**
 * The {@code polardbbackup.dev/v1alpha1} resource model: {@link
 * dev.polardbbackup.model.PolarDBBackup}, {@link dev.polardbbackup.model.PolarDBBackupSchedule},
 * {@link dev.polardbbackup.model.PolarDBAccessGrant}, {@link
 * dev.polardbbackup.model.PolarDBBackupPolicy} and {@link dev.polardbbackup.model.PolarDBRestore},
 * with their specs and statuses. The CRD YAML under {@code crds/} is generated from these classes.
 * Status transitions live on {@link dev.polardbbackup.model.PolarDBBackupStatus} and {@link
 * dev.polardbbackup.model.PolarDBRestoreStatus} so that no other code can move a phase backwards.
 */
package dev.polardbbackup.model;
