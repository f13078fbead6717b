package dev.polardbbackup.emulator;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a person does in PolarDB's console, behind the operator's back: make a manual backup, change
 * a cluster's backup policy (drift), delete a backup set, delete a whole cluster, drop a database.
 * None of it is an API call, so none of it shows among the ledger's calls; its effects do (backup
 * sets deleted or detached).
 *
 * <p>The public methods throw {@link IllegalStateException} when PolarDB would refuse, with a
 * message that starts with the error code, as {@link #createBackup} does.
 */
public final class Console {
  private static final Logger LOG = LoggerFactory.getLogger(PolarDbEmulator.class);

  private final Object lock;
  private final Clock clock;
  private final Clusters clusters;
  private final Backups backups;
  private final BackupPolicies policies;
  private final PolarDbActions actions;
  private final ClusterCreations creations;
  private final Schemas schemas;

  Console(
      Object lock,
      Clock clock,
      Clusters clusters,
      Backups backups,
      BackupPolicies policies,
      PolarDbActions actions,
      ClusterCreations creations,
      Schemas schemas) {
    this.lock = lock;
    this.clock = clock;
    this.clusters = clusters;
    this.backups = backups;
    this.policies = policies;
    this.actions = actions;
    this.creations = creations;
    this.schemas = schemas;
  }

  /**
   * Makes a manual backup the way a DBA would in the console, outside any ClientToken: the cluster
   * must exist and be Running and the manual-backup quota must have room, as for CreateBackup.
   * DescribeBackups and DescribeBackupTasks list it like any manual backup; the ledger marks it
   * {@link BackupRecord.Origin#CONSOLE}.
   *
   * @return the new backup's BackupId
   * @throws IllegalStateException when PolarDB would refuse it; the message starts with the error
   *     code, for example {@code BackupTimesExceeded}
   */
  public String createBackup(String dbClusterId) {
    try {
      return makeBackup(dbClusterId).backupId;
    } catch (ApiError e) {
      throw new IllegalStateException(
          e.code() + ": console backup of " + dbClusterId + " refused: " + e.getMessage());
    }
  }

  /**
   * The cluster's backup and log backup policy under the newer field names (for example {@code
   * DataLevel1BackupRetentionPeriod}, {@code LogBackupRetentionPeriod}), read without an API call.
   */
  public Map<String, String> backupPolicy(String dbClusterId) {
    return refused(
        () -> {
          clusters.lookup(dbClusterId, 404);
          return policies.of(dbClusterId);
        });
  }

  /**
   * Changes policy fields as ModifyBackupPolicy or ModifyLogBackupPolicy would (either spelling of
   * the level-1 names; the same rules and codes), whatever the emulator's {@link PolicyReadings}
   * say about what Modify requires, and whatever the cluster's status.
   *
   * @throws IllegalArgumentException for a name that is no policy field
   */
  public void changeBackupPolicy(String dbClusterId, Map<String, String> fields) {
    refused(
        () -> {
          changePolicy(dbClusterId, fields);
          return null;
        });
  }

  /**
   * Deletes one backup set, whatever its status and whether or not its cluster still exists.
   * Refused with {@code InvalidBackupSetID.NotFound} when there is no such set or it is already
   * deleted.
   */
  public void deleteBackup(String dbClusterId, String backupId) {
    refused(
        () -> {
          removeBackup(dbClusterId, backupId);
          return null;
        });
  }

  /** Deletes the cluster under its own {@code BackupRetentionPolicyOnClusterDeletion}. */
  public ClusterDeletion deleteCluster(String dbClusterId) {
    return deleteCluster(dbClusterId, null);
  }

  /**
   * Deletes the cluster, as DeleteDBCluster does: its backup sets are kept (detached) or deleted by
   * {@code retention}, or by the cluster's own policy when {@code retention} is null. NONE deletes
   * every set, LATEST keeps only the newest successful one, ALL keeps every set not yet deleted.
   * Afterwards every action on the cluster answers {@code InvalidDBClusterId.NotFound}.
   */
  public ClusterDeletion deleteCluster(String dbClusterId, String retention) {
    return refused(() -> removeCluster(dbClusterId, retention));
  }

  /** A DBA drops a database: from now on the cluster no longer holds it (its backups still do). */
  public void dropDatabase(String dbClusterId, String database) {
    synchronized (lock) {
      clusters.lookup(dbClusterId, 404);
      schemas.drop(dbClusterId, database, clock.instant());
    }
  }

  // ---- for the admin endpoints, which answer with PolarDB's status and code ----

  Backup makeBackup(String dbClusterId) {
    Objects.requireNonNull(dbClusterId, "dbClusterId");
    synchronized (lock) {
      return actions.createConsoleBackup(dbClusterId, clock.instant());
    }
  }

  void changePolicy(String dbClusterId, Map<String, String> fields) {
    Objects.requireNonNull(fields, "fields");
    for (String name : fields.keySet()) {
      String field = PolicyFields.LEGACY.getOrDefault(name, name);
      if (!PolicyFields.DATA.contains(field) && !PolicyFields.LOG.contains(field)) {
        throw new IllegalArgumentException("not a backup policy field: " + name);
      }
    }
    synchronized (lock) {
      clusters.lookup(dbClusterId, 404);
      policies.apply(dbClusterId, fields);
    }
    LOG.info("Console changed the backup policy of cluster={}: {}", dbClusterId, fields);
  }

  void removeBackup(String dbClusterId, String backupId) {
    synchronized (lock) {
      Backup b =
          backups
              .find(dbClusterId, backupId)
              .filter(x -> !x.deleted())
              .orElseThrow(
                  () ->
                      new ApiError(
                          400,
                          "InvalidBackupSetID.NotFound",
                          "Specified backup set ID " + backupId + " does not exist."));
      b.delete();
    }
    LOG.info("Console deleted backup set cluster={} BackupId={}", dbClusterId, backupId);
  }

  ClusterDeletion removeCluster(String dbClusterId, String retention) {
    ClusterDeletion deletion;
    synchronized (lock) {
      clusters.lookup(dbClusterId, 404);
      String rule =
          retention == null
              ? policies.of(dbClusterId).get(PolicyFields.ON_DELETION)
              : PolicyFields.check(
                  PolicyFields.ON_DELETION, PolicyFields.ON_DELETION, retention, 0);
      Instant now = clock.instant();
      List<Backup> sets =
          backups.ofCluster(dbClusterId).stream().filter(b -> !b.deleted()).toList();
      Backup newestSucceeded =
          sets.stream().filter(b -> Backup.SUCCESS.equals(b.status(now))).findFirst().orElse(null);
      List<String> kept = new ArrayList<>();
      List<String> deleted = new ArrayList<>();
      for (Backup b : sets) {
        if (rule.equals(PolicyFields.ALL)
            || (rule.equals(PolicyFields.LATEST) && b == newestSucceeded)) {
          b.detach();
          kept.add(b.backupId);
        } else {
          b.delete();
          deleted.add(b.backupId);
        }
      }
      clusters.remove(dbClusterId);
      policies.forget(dbClusterId);
      creations.deleted(dbClusterId, now);
      deletion = new ClusterDeletion(dbClusterId, rule, kept, deleted);
    }
    LOG.info(
        "Console deleted cluster={} retention={} kept={} deleted={}",
        dbClusterId,
        deletion.backupRetentionPolicyOnClusterDeletion(),
        deletion.keptBackupIds(),
        deletion.deletedBackupIds());
    return deletion;
  }

  private static <T> T refused(Supplier<T> step) {
    try {
      return step.get();
    } catch (ApiError e) {
      throw new IllegalStateException(e.code() + ": " + e.getMessage());
    }
  }
}
