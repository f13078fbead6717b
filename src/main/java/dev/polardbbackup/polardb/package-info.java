/**
 * A small typed client for the PolarDB OpenAPI (RPC style, version {@code 2017-08-01}) over okhttp:
 * manual backups, cluster attributes, and the automatic backup policy (level-1 and level-2 backups,
 * log backups, what survives deleting the cluster, the recoverable window). It comes with V3
 * request signing, Alibaba's credential chain (explicit key pair, environment, RRSA via STS {@code
 * AssumeRoleWithOIDC}) and errors turned into classified values ({@link
 * dev.polardbbackup.polardb.FailureKind}) that callers decide retries from. It knows nothing of
 * Kubernetes.
 */
package dev.polardbbackup.polardb;
