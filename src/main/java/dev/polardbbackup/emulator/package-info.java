/**
 * A stand-alone emulator of the slice of Alibaba Cloud's PolarDB OpenAPI (version 2017-08-01) that
 * backup tooling uses: CreateBackup, DescribeBackupTasks, DescribeBackups, DeleteBackup and
 * DescribeDBClusterAttribute; the automatic backup policy (DescribeBackupPolicy,
 * ModifyBackupPolicy, DescribeLogBackupPolicy, ModifyLogBackupPolicy,
 * DescribeLocalAvailableRecoveryTime) and DescribeDetachedBackups (what a deleted cluster left);
 * restore: CreateDBCluster (a clone as of now, a backup set or a point in time; Creating, then
 * Running), DeleteDBCluster, DescribeDBClusterEndpoints, DescribeDBClusters (filtered by tags),
 * DescribeMetaList and RestoreTable, over databases and tables invented per cluster from the seed;
 * plus STS AssumeRoleWithOIDC (2015-04-01). It verifies V1 and V3 signatures with {@code
 * dev.polardbbackup.signing}, keeps backups, quotas and ClientTokens the way the real service is
 * documented to, and injects latency, throttling, server errors and lost replies from a seeded
 * random under an injected {@link java.time.Clock}, recording every call in a {@link
 * dev.polardbbackup.emulator.Ledger}. A test can also make a manual backup as a DBA would in the
 * console, outside any ClientToken; the ledger marks each backup's origin. Through {@link
 * dev.polardbbackup.emulator.Console} it can also change a cluster's backup policy, delete a backup
 * set, or delete a cluster, whose backup sets then vanish or stay (detached) by its {@code
 * BackupRetentionPolicyOnClusterDeletion}. Where the docs are silent (quota or token first, how
 * long a token is remembered, when a new job is listed, whether a failed set can be deleted, the
 * policy readings of {@link dev.polardbbackup.emulator.PolicyReadings}) the builder chooses the
 * reading. It knows nothing of the operator and could be published alone.
 *
 * <p>Error codes it answers with (HTTP status, code), following Alibaba's naming:
 *
 * <ul>
 *   <li>Routing: 400 {@code MissingAction}, 404 {@code InvalidAction.NotFound}, 400 {@code
 *       MissingVersion}, 400 {@code InvalidVersion}.
 *   <li>Authentication: 400 {@code IncompleteSignature} (no signature, a missing signing header or
 *       parameter, SignedHeaders leaving out host or an x-acs-* header, an unsupported
 *       SignatureMethod), 404 {@code InvalidAccessKeyId.NotFound}, 400 {@code
 *       InvalidAccessKeyId.Inactive}, 400 {@code SignatureDoesNotMatch} (also for a wrong
 *       x-acs-content-sha256), 400 {@code InvalidTimeStamp.Format}, 400 {@code
 *       InvalidTimeStamp.Expired} (more than 15 minutes off), 400 {@code SignatureNonceUsed}
 *       (within 15 minutes), 400 {@code InvalidSecurityToken.Malformed} (unknown, or missing with
 *       an STS key), 400 {@code InvalidSecurityToken.Expired}, 400 {@code
 *       InvalidSecurityToken.MismatchWithAccessKey}, 403 {@code Forbidden.RAM} (with {@code
 *       AccessDeniedDetail}).
 *   <li>Parameters: 400 {@code Missing<Name>} (for example {@code MissingDBClusterId}), 400 {@code
 *       Invalid<Name>.Malformed} (StartTime, EndTime, PageSize, PageNumber, BackupStatus,
 *       BackupMode, and each backup-policy field, in the spelling sent), 400 {@code
 *       InvalidClientToken.Malformed}, 400 {@code IdempotentParameterMismatch}.
 *   <li>Backup policy: 400 {@code InvalidDataLevel2AnotherRegionRegion.NotFound}, 400 {@code
 *       InvalidLogBackupAnotherRegionRegion.NotFound} (our name), 403 {@code IncorrectBackupPolicy}
 *       (a cross-region retention without a region), 400 {@code MissingPreferredBackupPeriod} and
 *       {@code MissingPreferredBackupTime} (only when Modify is read as requiring them).
 *   <li>Clusters: {@code InvalidDBClusterId.Malformed} and {@code InvalidDBClusterId.NotFound}
 *       (404, but 400 in DescribeBackupTasks), 403 {@code OperationDenied.DBClusterStatus} (also
 *       for the Modify policy actions).
 *   <li>Backups: 403 {@code BackupTimesExceeded}, 400 {@code InvalidBackupSetID.NotFound}, 403
 *       {@code OperationDenied.BackupStatus} (deleting a running backup; our choice, the real code
 *       is undocumented), 403 {@code IncorrectBackupSetState} (deleting a failed backup set, unless
 *       failed sets may be deleted).
 *   <li>Restore: 400 {@code Invalid<Name>.Malformed} for DBType, PayType, CreationOption,
 *       CloneDataPoint, ClusterNetworkType, DBClusterDescription, Tag, TableMeta; 400 {@code
 *       InvalidCreationOption.NotSupported} (an option the emulator does not model), 400 {@code
 *       InvalidCloneDataPoint.OutOfRange} (our name: a time outside the recoverable window), 400
 *       {@code InvalidBackupSetID.NotFound}, 400 {@code IncorrectBackupSetState}, 400 {@code
 *       InvalidRestoreTime.Format} (also for a time outside the last 7 days), 404 {@code
 *       InvalidBackup.NotFound} (no backup covers the time), 400 {@code InvalidDBName.Duplicate},
 *       400 {@code InvalidDBName.NotFound} and {@code InvalidTableName.NotFound} (our names), 400
 *       {@code MissingBackupId} (neither BackupId nor RestoreTime), 400 {@code
 *       InsufficientResourceCapacity} (when a test asks for it).
 *   <li>STS: 400 {@code MissingRoleArn}, 400 {@code MissingOIDCProviderArn}, 400 {@code
 *       InvalidParameter.OIDCToken}, 400 {@code InvalidParameter.RoleSessionName}, 400 {@code
 *       InvalidParameter.DurationSeconds}, 403 {@code NoPermission}.
 *   <li>Injected: 400 {@code Throttling.User} (some with {@code x-acs-retry-after: 1000}, or a
 *       given count of them with a given retry-after), 503 {@code ServiceUnavailable}, 500 {@code
 *       InternalError}, and no reply at all.
 * </ul>
 */
package dev.polardbbackup.emulator;
