/**
 * The controller for {@code PolarDBBackup}: a JOSDK reconciler that reads as the backup's lifecycle
 * (accept, check the grant, start with an idempotent ClientToken, wait for quota, follow progress,
 * finish) and a cleaner that keeps or deletes the cloud backup, with what only backups use: the
 * per-cluster queue, shared looks and claims, set matching, poll timing and the Secret finalizer.
 * It uses the resource model and the PolarDB client; it never talks HTTP itself.
 */
package dev.polardbbackup.backup;
