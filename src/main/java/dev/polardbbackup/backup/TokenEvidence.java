package dev.polardbbackup.backup;

import static dev.polardbbackup.backup.BackupPass.requestId;
import static dev.polardbbackup.backup.BackupPass.uid;

import dev.polardbbackup.backup.TokenEvidence.Evidence;
import dev.polardbbackup.model.ClientToken;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupStatus;
import dev.polardbbackup.polardb.ApiResult;
import dev.polardbbackup.polardb.Backup;
import dev.polardbbackup.polardb.BackupTask;
import dev.polardbbackup.polardb.DescribeBackupsQuery;
import dev.polardbbackup.polardb.PolarDbClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What the current ClientToken may have made: whether PolarDB can still be trusted to remember it,
 * and a look for backups made since its first send that belong to no one else.
 */
final class TokenEvidence {
  private final ControllerSettings settings;
  private final Clock clock;

  TokenEvidence(ControllerSettings settings, Clock clock) {
    this.settings = settings;
    this.clock = clock;
  }

  /**
   * A ClientToken is ours only if it is our UID or {@code <uid>-<n>}. Anything else in status was
   * written by someone else (a status edit, a restored copy of another object); calling
   * CreateBackup with it could hand us another resource's backup, so refuse.
   */
  static boolean ownsToken(PolarDBBackup backup, String token) {
    return ClientToken.isOwnedBy(token, uid(backup));
  }

  boolean outlivedReuseWindow(PolarDBBackupStatus status) {
    return status
        .tokenFirstSentInstant()
        .map(t -> Duration.between(t, clock.instant()).compareTo(settings.tokenReuseWindow()) > 0)
        .orElse(false);
  }

  /** Manual backups and jobs made since the current token was first sent that no one else holds. */
  record Evidence(List<Backup> sets, List<BackupTask> jobs) {
    boolean none() {
      return sets.isEmpty() && jobs.isEmpty();
    }

    List<String> ids() {
      java.util.LinkedHashSet<String> ids = new java.util.LinkedHashSet<>();
      sets.forEach(b -> ids.add(b.backupId()));
      jobs.forEach(j -> ids.add(j.backupJobId()));
      return List.copyOf(ids);
    }
  }

  /**
   * Looks for a backup the current token may have made: every manual job and set of the cluster
   * that started at or after its first send, was not listed just before it, and belongs to no other
   * resource. Finding none is the positive evidence that the token made nothing.
   */
  ApiResult<Evidence> lookForOwnBackup(BackupPass step, PolarDbClient polarDb) {
    Instant now = clock.instant();
    Instant earliest =
        BackupSetLocator.earliestStart(step.status.tokenFirstSentInstant().orElse(now));
    ApiResult<List<BackupTask>> tasks =
        polarDb.describeBackupTasks(step.clusterId(), Optional.empty());
    if (!tasks.isOk()) {
      return new ApiResult.Failed<>(tasks.error());
    }
    ApiResult<List<Backup>> sets =
        polarDb.describeAllBackups(
            DescribeBackupsQuery.manual(
                step.clusterId(),
                earliest.minus(Duration.ofMinutes(1)),
                now.plus(Duration.ofMinutes(1))));
    if (!sets.isOk()) {
      return new ApiResult.Failed<>(sets.error());
    }
    Set<String> excludedSets = new java.util.HashSet<>(step.status.preexisting());
    excludedSets.addAll(step.claimedByOthers());
    Set<String> excludedJobs = new java.util.HashSet<>(excludedSets);
    excludedJobs.addAll(step.jobsOfOthers());
    return new ApiResult.Ok<>(
        new Evidence(
            BackupSetLocator.candidates(sets.value(), earliest, excludedSets),
            BackupSetLocator.candidateJobs(tasks.value(), earliest, excludedJobs)),
        requestId(sets));
  }
}
