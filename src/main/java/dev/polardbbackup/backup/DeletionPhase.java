package dev.polardbbackup.backup;

import static dev.polardbbackup.backup.TokenEvidence.ownsToken;

import dev.polardbbackup.access.SecretReader;
import dev.polardbbackup.backup.TokenEvidence.Evidence;
import dev.polardbbackup.kube.Events;
import dev.polardbbackup.kube.ResourceLog;
import dev.polardbbackup.model.DeletionPolicy;
import dev.polardbbackup.model.GrantedAction;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupStatus;
import dev.polardbbackup.model.Reasons;
import dev.polardbbackup.polardb.ApiError;
import dev.polardbbackup.polardb.ApiResult;
import dev.polardbbackup.polardb.Backup;
import dev.polardbbackup.polardb.BackupTask;
import dev.polardbbackup.polardb.CredentialsProvider;
import dev.polardbbackup.polardb.PolarDbClient;
import dev.polardbbackup.polardb.PolarDbClientFactory;
import io.fabric8.kubernetes.api.model.Namespace;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletion: keeps or deletes the cloud backup as the spec says, never one that may be someone
 * else's, and always ends (a deletion timeout, a namespace being torn down, force-delete).
 */
final class DeletionPhase {
  // The reconciler's logger: this phase's lines are the reconciler's.
  private static final Logger log = LoggerFactory.getLogger(PolarDBBackupReconciler.class);
  private final PolarDbClientFactory clients;
  private final ControllerSettings settings;
  private final Clock clock;
  private final Events events;
  private final SecretReader secrets;
  private final MatchPhase matching;
  private final TokenEvidence tokens;
  private final SimpleInboundEventSource<PolarDBBackup> slotFreed;
  private final NamespaceTeardown teardown;

  DeletionPhase(
      PolarDbClientFactory clients,
      ControllerSettings settings,
      Clock clock,
      Events events,
      SecretReader secrets,
      MatchPhase matching,
      TokenEvidence tokens,
      SimpleInboundEventSource<PolarDBBackup> slotFreed) {
    this.clients = clients;
    this.settings = settings;
    this.clock = clock;
    this.events = events;
    this.secrets = secrets;
    this.matching = matching;
    this.tokens = tokens;
    this.slotFreed = slotFreed;
    this.teardown = new NamespaceTeardown(events);
  }

  DeleteControl steps(
      PolarDBBackup backup, Context<PolarDBBackup> context, BackupPass.Tools tools) {
    String key = backup.getMetadata().getNamespace() + "/" + backup.getMetadata().getName();
    PolarDBBackupStatus status = backup.getStatus();
    if (backup.isForceDeleted()) {
      events.warning(
          backup,
          "ForceDeleted",
          "Finalizer removed by "
              + PolarDBBackup.FORCE_DELETE_ANNOTATION
              + "; the cloud backup was left as it is.");
      return DeleteControl.defaultDelete();
    }
    boolean mayExist = status != null && status.mayHaveUnseenBackup();
    if (status == null
        || status.getBackupJobId() == null && status.getBackupId() == null && !mayExist) {
      log.info("{}: deleted before any CreateBackup was sent", key);
      return DeleteControl.defaultDelete();
    }
    if (backup.getSpec().effectiveDeletionPolicy() == DeletionPolicy.Retain) {
      log.info("{}: keeping cloud backup {} (deletionPolicy Retain)", key, describeBackup(status));
      return DeleteControl.defaultDelete();
    }
    Instant deletionStarted =
        Optional.ofNullable(backup.getMetadata().getDeletionTimestamp())
            .map(Instant::parse)
            .orElse(clock.instant());
    if (Duration.between(deletionStarted, clock.instant()).compareTo(settings.deletionTimeout())
        > 0) {
      String message =
          "Gave up deleting cloud backup "
              + describeBackup(status)
              + " after "
              + settings.deletionTimeout()
              + "; delete it by hand in the PolarDB console.";
      events.warning(backup, "DeletionTimedOut", message);
      log.warn("{}: {}", key, message);
      return DeleteControl.defaultDelete();
    }
    if (status.hasUncertainMatch()) {
      return leaveUndeleted(
          backup,
          "Backup "
              + describeBackup(status)
              + " was matched by start time with room for doubt (candidates "
              + String.join(", ", status.getUncertainMatch())
              + "); it may be someone else's, so it was not deleted. Check job "
              + status.getBackupJobId()
              + " in the PolarDB console and delete it by hand if it is this resource's.");
    }
    BackupPass step = new BackupPass(backup, context, tools);
    Set<GrantedAction> needed = EnumSet.of(GrantedAction.Delete);
    if (step.status.getBackupJobId() == null && step.status.getBackupId() == null) {
      // Learning the job of a lost CreateBackup reply sends the token again.
      needed.add(GrantedAction.Backup);
    }
    Optional<String> refusal = step.refusal(needed);
    if (refusal.isPresent()) {
      return leaveUndeleted(
          backup,
          Reasons.NOT_PERMITTED,
          "Kept cloud backup "
              + describeBackup(status)
              + ": "
              + refusal.get()
              + " Delete it in the PolarDB console if it should go.");
    }
    Optional<CredentialsProvider> credentials = step.credentials();
    if (credentials.isEmpty()) {
      // Only a team's own Secret goes with its namespace; a grant's stays in the operator's.
      Optional<Namespace> terminating =
          backup.getSpec().credentialsSecretRef() == null
              ? Optional.empty()
              : teardown.beingDeleted(step);
      if (terminating.isPresent()) {
        return teardown.leftBehind(step, terminating.get());
      }
      return DeleteControl.noFinalizerRemoval().rescheduleAfter(settings.deletionRetry());
    }
    PolarDbClient polarDb = clients.forRegion(step.regionId(), credentials.get());
    if (step.status.getBackupJobId() == null && step.status.getBackupId() == null) {
      return learnJobOfUnknownCreate(step, polarDb);
    }
    if (step.status.getBackupId() == null && step.status.getJobStartTime() == null) {
      // Matching by start time needs the job's own start, which a backup deleted before its first
      // progress check never learned.
      ApiResult<List<BackupTask>> tasks =
          polarDb.describeBackupTasks(step.clusterId(), Optional.of(step.status.getBackupJobId()));
      if (!tasks.isOk()) {
        return deletionProblem(backup, tasks.error());
      }
      tasks.value().stream()
          .filter(t -> t.backupJobId().equals(step.status.getBackupJobId()))
          .findFirst()
          .flatMap(BackupTask::startTime)
          .ifPresent(step.status::jobStarted);
    }
    ApiResult<BackupSetLocator.Match> located = matching.locate(step, polarDb);
    if (!located.isOk()) {
      return deletionProblem(backup, located.error());
    }
    BackupSetLocator.Match match = located.value();
    if (match.undecided() && matching.jobMayHaveEnded(step)) {
      return leaveUndeleted(
          backup,
          "Backup job "
              + status.getBackupJobId()
              + " could be any of the backup sets "
              + String.join(", ", match.otherCandidates())
              + " (they started in the same second; one may be someone else's), so none was"
              + " deleted. Check job "
              + status.getBackupJobId()
              + " in the PolarDB console.");
    }
    if (match.set().isEmpty()) {
      // A set once identified and now absent is gone (deleted by an earlier attempt whose reply
      // or finalizer removal was lost, or by hand); an unidentified one may not be listed yet.
      if (status.isTerminal() || step.status.getBackupId() != null) {
        events.normal(
            backup,
            "BackupDeleted",
            "Cloud backup " + describeBackup(status) + " no longer exists.");
        return DeleteControl.defaultDelete();
      }
      // Not visible yet: the job is still running, or not listed yet.
      return DeleteControl.noFinalizerRemoval().rescheduleAfter(settings.deletionRetry());
    }
    Backup target = match.set().get();
    if (match.ambiguous()) {
      return leaveUndeleted(
          backup,
          "Backup job "
              + status.getBackupJobId()
              + " could be backup set "
              + target.backupId()
              + " or "
              + String.join(", ", match.otherCandidates())
              + " (matched by start time; one may be someone else's), so none was deleted. Check"
              + " job "
              + status.getBackupJobId()
              + " in the PolarDB console.");
    }
    if (step.status.getBackupId() == null) {
      // Pinned before the call: after a lost reply, or a restart before the finalizer goes, this
      // set is deleted again or found gone. Matching again would not find ours (deleted) and
      // could take the closest set left, someone else's.
      step.status.identified(target.backupId());
      step.save();
    }
    if (!target.finished()) {
      log.info("{}: waiting for backup {} to finish before deleting it", key, target.backupId());
      return DeleteControl.noFinalizerRemoval().rescheduleAfter(settings.deletionRetry());
    }
    ApiResult<Void> deleted = polarDb.deleteBackup(step.clusterId(), target.backupId());
    if (deleted.isOk()
        || deleted.error().kind() == dev.polardbbackup.polardb.FailureKind.NOT_FOUND) {
      log.info("{}: deleted cloud backup {}", key, target.backupId());
      events.normal(backup, "BackupDeleted", "Deleted cloud backup " + target.backupId() + ".");
      wakeOldestWaiter(step);
      return DeleteControl.defaultDelete();
    }
    if (target.failed()
        && deleted.error().kind() == dev.polardbbackup.polardb.FailureKind.INVALID_REQUEST) {
      // The docs allow DeleteBackup only for a set in Success: a Failed set is refused, and asking
      // again for an hour would change nothing.
      return leaveUndeleted(
          backup,
          Reasons.DELETE_REFUSED,
          "PolarDB refused to delete the Failed backup set "
              + target.backupId()
              + " ("
              + deleted.error().describe()
              + "); it holds no usable data and was left as it is.");
    }
    return deletionProblem(backup, deleted.error());
  }

  /** Releases the finalizer without deleting the cloud backup, and says why in a Warning. */
  private DeleteControl leaveUndeleted(PolarDBBackup backup, String message) {
    return leaveUndeleted(backup, Reasons.BACKUP_LEFT_UNDELETED, message);
  }

  private DeleteControl leaveUndeleted(PolarDBBackup backup, String reason, String message) {
    events.warning(backup, reason, message);
    ResourceLog.info(log, backup, "{}", message);
    return DeleteControl.defaultDelete();
  }

  /**
   * This deletion freed a manual-backup slot: the oldest backup of the cluster waiting for one
   * tries now instead of at the end of its backoff (up to the quota backoff's maximum).
   */
  private void wakeOldestWaiter(BackupPass step) {
    ClusterQueue.oldestWaiter(step.cluster(), BackupIndexes.onCluster(step.context, step.cluster()))
        .ifPresent(
            waiter -> {
              step.log("a slot is free; waking {}", waiter.getMetadata().getName());
              slotFreed.propagateEvent(ResourceID.fromResource(waiter));
            });
  }

  /**
   * Deleting (policy Delete) while a CreateBackup may have made a backup that status does not name
   * (its reply was lost, or the process stopped between the call and the write of its reply).
   * Within the token's reuse window, sending the token again answers which job it was without
   * making a second one; if nothing had been made, this makes the one backup, which is then deleted
   * like any other. A refusal proves nothing by itself (the quota may be checked before the token):
   * only a look that finds nothing made since the first send lets the finalizer go.
   */
  private DeleteControl learnJobOfUnknownCreate(BackupPass step, PolarDbClient polarDb) {
    String token = step.status.getClientToken();
    if (!ownsToken(step.backup, token)) {
      step.log("deleting: not using foreign ClientToken {}", token);
      return DeleteControl.defaultDelete();
    }
    boolean reusable = !tokens.outlivedReuseWindow(step.status);
    if (reusable) {
      step.status.sending(clock.instant(), List.of());
      step.save();
      ApiResult<String> created = polarDb.createBackup(step.clusterId(), token);
      if (created instanceof ApiResult.Ok<String> ok) {
        step.status.learnedJob(ok.value());
        step.save();
        step.log("deleting: CreateBackup with ClientToken {} is job {}", token, ok.value());
        return DeleteControl.noFinalizerRemoval().rescheduleAfter(settings.pollMin());
      }
      if (!created.error().kind().isDefiniteRejection()) {
        return deletionProblem(step.backup, created.error());
      }
    }
    ApiResult<Evidence> look = tokens.lookForOwnBackup(step, polarDb);
    if (!look.isOk()) {
      return deletionProblem(step.backup, look.error());
    }
    if (look.value().none()) {
      step.log(
          "deleting: ClientToken {} made no backup (nothing new since {})",
          token,
          step.status.getClientTokenFirstSent());
      return DeleteControl.defaultDelete();
    }
    String candidates = String.join(", ", look.value().ids());
    if (reusable) {
      events.warning(
          step.backup,
          "DeletionRetrying",
          "PolarDB refused ClientToken "
              + token
              + " and backups made since its first use ("
              + candidates
              + ") may include this resource's own; asking again.");
      return DeleteControl.noFinalizerRemoval().rescheduleAfter(settings.deletionRetry());
    }
    return leaveUndeleted(
        step.backup,
        "The outcome of CreateBackup with ClientToken "
            + token
            + " (first sent "
            + step.status.getClientTokenFirstSent()
            + ") was never known, and PolarDB may no longer remember the token. Backups made since ("
            + candidates
            + ") may include this resource's own; none was deleted. Check them in the PolarDB"
            + " console.");
  }

  private DeleteControl deletionProblem(PolarDBBackup backup, ApiError error) {
    String message =
        "Could not delete the cloud backup yet: "
            + error.describe()
            + ". Will retry; annotate with "
            + PolarDBBackup.FORCE_DELETE_ANNOTATION
            + "=true to give up.";
    events.warning(backup, "DeletionRetrying", message);
    Duration retry = settings.deletionRetry();
    if (error.kind() == dev.polardbbackup.polardb.FailureKind.AUTH) {
      var ref = backup.getSpec().credentialsSecretRef();
      if (ref == null) {
        retry = settings.authRetry();
      } else {
        // Read the Secret again at the next attempt: that is how a fixed one is noticed.
        secrets.forget(backup.getMetadata().getNamespace(), ref.name(), null);
        retry =
            settings.credentialsRetry(
                clock,
                Optional.ofNullable(backup.getMetadata().getDeletionTimestamp())
                    .map(Instant::parse)
                    .orElse(clock.instant()));
      }
    }
    Duration least = retry;
    // A throttled reply's x-acs-retry-after is the least wait, as for the backup itself.
    Duration delay = error.retryAfter().filter(d -> d.compareTo(least) > 0).orElse(least);
    return DeleteControl.noFinalizerRemoval().rescheduleAfter(delay);
  }

  static String describeBackup(PolarDBBackupStatus status) {
    if (status.getBackupId() != null) {
      return status.getBackupId();
    }
    return status.getBackupJobId() != null
        ? "of job " + status.getBackupJobId()
        : "(if any) made with ClientToken "
            + status.getClientToken()
            + " since "
            + status.getClientTokenFirstSent();
  }
}
