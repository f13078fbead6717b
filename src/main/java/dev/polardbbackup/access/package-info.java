/**
 * Who may act on which PolarDB cluster, and with which credentials: {@link
 * dev.polardbbackup.access.CloudAccess} decides for one object and one reconcile from the
 * PolarDBAccessGrants ({@link dev.polardbbackup.access.AccessGrants}) or the object's own Secret,
 * read one at a time ({@link dev.polardbbackup.access.SecretReader}, {@link
 * dev.polardbbackup.access.SecretCredentials}). Every lifecycle that calls PolarDB uses it; it
 * knows no lifecycle.
 */
package dev.polardbbackup.access;
