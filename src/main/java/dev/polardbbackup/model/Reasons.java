package dev.polardbbackup.model;

/**
 * The reasons used on the {@code Ready} condition, in events and in {@code status.reason}. README
 * explains each and what a user should do about it.
 */
public final class Reasons {
  public static final String PENDING = "Pending";
  public static final String WAITING_FOR_QUOTA = "WaitingForQuota";
  public static final String BACKUP_RUNNING = "BackupRunning";
  public static final String BACKUP_SUCCEEDED = "BackupSucceeded";
  public static final String BACKUP_FAILED = "BackupFailed";
  public static final String BACKUP_NOT_FOUND = "BackupNotFound";
  public static final String INVALID_REQUEST = "InvalidRequest";
  public static final String CLUSTER_NOT_FOUND = "ClusterNotFound";
  public static final String CLUSTER_NOT_READY = "ClusterNotReady";
  public static final String SECRET_NOT_FOUND = "SecretNotFound";
  public static final String SECRET_INVALID = "SecretInvalid";
  public static final String AUTH_FAILED = "AuthFailed";
  public static final String API_THROTTLED = "ApiThrottled";
  public static final String API_UNAVAILABLE = "ApiUnavailable";
  public static final String OUTCOME_UNKNOWN = "OutcomeUnknown";
  public static final String QUEUED = "QueuedBehindOlderBackup";
  public static final String SPEC_CHANGE_IGNORED = "SpecChangeIgnored";
  public static final String CLIENT_TOKEN_MISMATCH = "ClientTokenMismatch";
  public static final String PAUSED = "Paused";
  public static final String ADOPTING = "AdoptingBackup";
  public static final String UNCERTAIN_MATCH = "UncertainMatch";
  public static final String UNCERTAIN_OUTCOME = "UncertainOutcome";
  public static final String BACKUP_STATUS_UNKNOWN = "BackupStatusUnknown";
  public static final String DELETE_REFUSED = "DeleteRefused";
  public static final String BACKUP_LEFT_UNDELETED = "BackupLeftUndeleted";
  public static final String BACKUP_ALREADY_CLAIMED = "BackupAlreadyClaimed";
  public static final String NOT_PERMITTED = "NotPermitted";

  // Succeeded backups, looked at again: the BackupAvailable condition (its type and reasons), and
  // the RetainedAfterClusterDeletion condition (its type and reasons), and their events.
  public static final String BACKUP_AVAILABLE = "BackupAvailable";
  public static final String BACKUP_LISTED = "BackupListed";
  public static final String KEPT_AFTER_CLUSTER_DELETION = "KeptAfterClusterDeletion";
  public static final String BACKUP_GONE = "BackupGone";
  public static final String RETAINED_AFTER_CLUSTER_DELETION = "RetainedAfterClusterDeletion";
  public static final String DELETED_WITH_CLUSTER = "DeletedWithCluster";
  public static final String ONLY_LATEST_KEPT = "OnlyLatestKept";
  public static final String ALL_KEPT = "AllKept";
  public static final String POLICY_UNREADABLE = "PolicyUnreadable";

  // Schedules: the Ready and Stalled conditions, and events.
  public static final String SCHEDULED = "Scheduled";
  public static final String SUSPENDED = "Suspended";
  public static final String INVALID_SCHEDULE = "InvalidSchedule";
  public static final String QUOTA_FULL = "QuotaFull";
  public static final String LAST_BACKUP_FAILED = "LastBackupFailed";
  public static final String CREATE_FAILED = "CreateFailed";
  public static final String NAME_CONFLICT = "NameConflict";
  public static final String BACKUP_CREATED = "BackupCreated";
  public static final String TICK_DEFERRED = "TickDeferred";
  public static final String TICK_SKIPPED = "TickSkipped";
  public static final String SCHEDULE_CHANGED = "ScheduleChanged";
  public static final String RETENTION_DELETED = "RetentionDeleted";
  public static final String ROTATED_FOR_QUOTA = "RotatedForQuota";

  // Backup policies: the Ready and InSync conditions, and events. NotPermitted, SecretNotFound,
  // SecretInvalid, AuthFailed, ClusterNotFound, InvalidRequest, ApiThrottled, ApiUnavailable and
  // Paused above apply to them too.
  public static final String POLICY_IN_SYNC = "PolicyInSync";
  public static final String POLICY_DRIFTED = "PolicyDrifted";
  public static final String POLICY_APPLIED = "PolicyApplied";
  public static final String INVALID_SPEC = "InvalidSpec";
  public static final String POLICY_CONFLICT = "PolicyConflict";

  // Restores (PolarDBRestore): the Ready condition's reasons, and events. Pending, InvalidSpec,
  // NotPermitted, SecretNotFound, SecretInvalid, AuthFailed, ClusterNotFound, InvalidRequest,
  // ApiThrottled, ApiUnavailable, OutcomeUnknown, SpecChangeIgnored and Paused above apply too.
  public static final String SOURCE_NOT_READY = "SourceNotReady";
  public static final String SOURCE_FAILED = "SourceFailed";
  public static final String WAITING_FOR_CAPACITY = "WaitingForCapacity";
  public static final String CLUSTER_CREATING = "ClusterCreating";
  public static final String TABLES_RESTORING = "TablesRestoring";
  public static final String RESTORE_SUCCEEDED = "RestoreSucceeded";
  public static final String RESTORE_FAILED = "RestoreFailed";
  public static final String CLUSTER_DELETING = "ClusterDeleting";
  public static final String CLUSTER_DELETED = "ClusterDeleted";
  public static final String CLUSTER_RETAINED = "ClusterRetained";
  public static final String TTL_EXPIRED = "TtlExpired";
  public static final String RESOURCE_DELETED = "ResourceDeleted";
  // A clone's DatabasesListed condition.
  public static final String ALL_LISTED = "AllListed";
  public static final String DATABASES_MISSING = "DatabasesMissing";
  public static final String CLONE_NOT_LISTABLE = "CloneNotListable";
  public static final String LIST_FAILED = "ListFailed";
  public static final String CLUSTER_FOUND_BY_TAG = "ClusterFoundByTag";
  public static final String CLUSTER_LEFT_UNDELETED = "ClusterLeftUndeleted";
  // Schedules' restore drills (spec.verify): events, and DrillFailed as a Stalled reason.
  public static final String DRILL_STARTED = "DrillStarted";
  public static final String DRILL_SUCCEEDED = "DrillSucceeded";
  public static final String DRILL_FAILED = "DrillFailed";
  public static final String DRILL_SKIPPED = "DrillSkipped";
  public static final String DRILL_CLONE_DELETED = "DrillCloneDeleted";

  private Reasons() {}
}
