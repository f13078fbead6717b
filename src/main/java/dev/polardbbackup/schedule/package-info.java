/**
 * The controller for {@code PolarDBBackupSchedule}: cron ticks in a time zone, one child {@code
 * PolarDBBackup} per tick, retention and quota-aware rotation. It never calls PolarDB; its children
 * do, through the backup lifecycle, which it knows only as the Kubernetes resource it creates.
 */
package dev.polardbbackup.schedule;
