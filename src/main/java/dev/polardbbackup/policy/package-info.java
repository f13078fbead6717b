/**
 * The controller for {@code PolarDBBackupPolicy}: keeps one cluster's automatic backup policy (and
 * its log backup policy) as the resource says, or only reports the differences, through the cloud
 * access rules of {@code access}. It uses the resource model and the PolarDB client.
 */
package dev.polardbbackup.policy;
