/**
 * The {@code polardbbackup.dev/v1alpha1} resource model: {@link
 * dev.polardbbackup.model.PolarDBBackup} with its spec and status. The CRD YAML under {@code crds/}
 * is generated from these classes. Status transitions live on {@link
 * dev.polardbbackup.model.PolarDBBackupStatus} so that no other code can move a phase backwards.
 */
package dev.polardbbackup.model;
