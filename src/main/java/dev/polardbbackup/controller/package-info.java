/**
 * The controller for {@code PolarDBBackup}: a JOSDK reconciler that reads as the backup's lifecycle
 * (accept, start with an idempotent ClientToken, wait for quota, follow progress, finish) and a
 * cleaner that keeps or deletes the cloud backup. It uses the resource model and the PolarDB
 * client; it never talks HTTP itself.
 */
package dev.polardbbackup.controller;
