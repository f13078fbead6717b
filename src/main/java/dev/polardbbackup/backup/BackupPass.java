package dev.polardbbackup.backup;

import dev.polardbbackup.access.CloudAccess;
import dev.polardbbackup.kube.Events;
import dev.polardbbackup.kube.ResourceLog;
import dev.polardbbackup.kube.StatusWriter;
import dev.polardbbackup.model.DeletionPolicy;
import dev.polardbbackup.model.GrantedAction;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupStatus;
import dev.polardbbackup.model.Reasons;
import dev.polardbbackup.polardb.ApiResult;
import dev.polardbbackup.polardb.BackupTask;
import dev.polardbbackup.polardb.CredentialsProvider;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One reconcile's view of a backup: its status being edited, how to save it, and what it may use
 * (its grant, its credentials, the claims of others), with its collaborators named in {@link
 * Tools}.
 */
final class BackupPass {
  // The reconciler's logger: a pass's lines are the reconciler's.
  private static final Logger log = LoggerFactory.getLogger(PolarDBBackupReconciler.class);

  /** The reconciler's collaborators that a pass uses. */
  record Tools(
      ControllerSettings settings,
      Clock clock,
      Events events,
      BackupListener listener,
      BackupClaims claims,
      CredentialsInUse credentialsInUse,
      CloudAccess.Sources access) {}

  private final ControllerSettings settings;
  private final Clock clock;
  private final Events events;
  private final BackupListener listener;
  private final BackupClaims claims;
  private final CredentialsInUse credentialsInUse;

  final PolarDBBackup backup;
  final Context<PolarDBBackup> context;
  final PolarDBBackupStatus original;
  PolarDBBackupStatus status;
  PolarDBBackup latest;
  // The cluster's jobs as the last DescribeBackupTasks of this pass listed them, if it looked.
  List<BackupTask> listedJobs = List.of();
  // When the look at the cluster's jobs that this pass used was taken, if it used one.
  Instant jobsLookedAt;
  // When to try again after credentials() found none.
  Duration credentialsRetry;
  private List<PolarDBBackupStatus> othersOnCluster;
  // The sets of this cluster claimed in this process (backup id to UID), read once per pass.
  private Map<String, String> claimsOnCluster;
  // Whether this object may call PolarDB, and with which credentials.
  private final CloudAccess access;

  BackupPass(PolarDBBackup backup, Context<PolarDBBackup> context, Tools tools) {
    this.settings = tools.settings();
    this.clock = tools.clock();
    this.events = tools.events();
    this.listener = tools.listener();
    this.claims = tools.claims();
    this.credentialsInUse = tools.credentialsInUse();
    this.access = new CloudAccess(tools.access(), backup, backup.getSpec().credentialsSecretRef());
    this.backup = backup;
    this.context = context;
    this.original = backup.getStatus();
    this.status = original == null ? new PolarDBBackupStatus() : original.copy();
    this.latest = backup;
  }

  String clusterId() {
    return Optional.ofNullable(status.getAcceptedDbClusterId())
        .orElse(backup.getSpec().dbClusterId());
  }

  /**
   * Looks are shared per cluster and per credential: a backup never sees what another credential
   * was allowed to see.
   */
  ClusterObservations.Key observationKey(String what) {
    return new ClusterObservations.Key(cluster(), what, access.identityKey());
  }

  ClusterRef cluster() {
    return new ClusterRef(regionId(), clusterId());
  }

  String regionId() {
    return Optional.ofNullable(status.getAcceptedRegionId()).orElse(backup.getSpec().regionId());
  }

  /**
   * The statuses of the other PolarDBBackups of this cluster, as this process knows them: one read
   * of the cache's index and one read of the claims per reconcile, so that every rule of a match
   * reads the same snapshot. A set that another one claimed here counts as identified by it, though
   * the cache may not show that write yet: its set is not a candidate, so its job must not be
   * counted as one still looking for a set either.
   */
  List<PolarDBBackupStatus> othersOnCluster() {
    if (othersOnCluster == null) {
      List<PolarDBBackup> others =
          BackupIndexes.acceptedOn(context, clusterId())
              .filter(o -> !Objects.equals(o.getMetadata().getUid(), backup.getMetadata().getUid()))
              .filter(o -> o.getStatus() != null)
              .filter(o -> clusterId().equals(o.getStatus().getAcceptedDbClusterId()))
              .toList();
      othersOnCluster = BackupClaims.asKnownHere(others, claimsOnCluster());
    }
    return othersOnCluster;
  }

  private Map<String, String> claimsOnCluster() {
    if (claimsOnCluster == null) {
      claimsOnCluster = claims.held(cluster());
    }
    return claimsOnCluster;
  }

  /**
   * Backup sets that another PolarDBBackup holds: identified in its status, or claimed by it in
   * this process a moment ago (a write the cache may not show yet).
   */
  Set<String> claimedByOthers() {
    Set<String> ids = new java.util.HashSet<>();
    claimsOnCluster()
        .forEach(
            (set, holder) -> {
              if (!holder.equals(uid(backup))) {
                ids.add(set);
              }
            });
    othersOnCluster().stream()
        .map(PolarDBBackupStatus::getBackupId)
        .filter(Objects::nonNull)
        .forEach(ids::add);
    return ids;
  }

  /** Job ids that other PolarDBBackups of this cluster hold. */
  Set<String> jobsOfOthers() {
    return othersOnCluster().stream()
        .map(PolarDBBackupStatus::getBackupJobId)
        .filter(Objects::nonNull)
        .collect(Collectors.toSet());
  }

  /** Claims a backup set for this resource; false if another one of this process holds it. */
  boolean claim(String backupId) {
    return claims.claim(cluster(), backupId, uid(backup));
  }

  /** What this object does with the cloud while it runs: its kind of work, and deletion. */
  Set<GrantedAction> neededActions() {
    Set<GrantedAction> needed =
        EnumSet.of(backup.getSpec().adopts() ? GrantedAction.Adopt : GrantedAction.Backup);
    if (backup.getSpec().effectiveDeletionPolicy() == DeletionPolicy.Delete) {
      needed.add(GrantedAction.Delete);
    }
    return needed;
  }

  /**
   * True when this object may act: it brings its own credentials (then Alibaba's RAM decides), or a
   * grant allows {@code actions} for its namespace and cluster. Otherwise status says what is
   * missing (with one Warning per new refusal) and nothing may be called.
   */
  boolean permitted(Set<GrantedAction> actions) {
    Optional<String> refusal = refusal(actions);
    if (refusal.isEmpty()) {
      return true;
    }
    String message = refusal.get();
    if (!Reasons.NOT_PERMITTED.equals(status.getReason()) || !message.equals(status.getMessage())) {
      events.warning(backup, Reasons.NOT_PERMITTED, message);
      log("not permitted: {}", message);
    }
    status.notPermitted(message, clock.instant());
    return false;
  }

  /**
   * Why this object may not take {@code actions}, or empty when it may: its own credentials, or a
   * grant (remembered for {@link #credentials()}).
   */
  Optional<String> refusal(Set<GrantedAction> actions) {
    return access.refusal(regionId(), clusterId(), actions);
  }

  /**
   * The credential for this backup, or a recorded problem (status and event) and empty, with {@link
   * #credentialsRetry} set. A Secret of a backup whose cloud backup is to be deleted with it is
   * kept by a finalizer from before the first call made with it ({@link CredentialsInUse}).
   */
  Optional<CredentialsProvider> credentials() {
    // Only a team's own Secret goes with its namespace; the operator's namespace outlives it.
    CloudAccess.Credential credential =
        access.credential(secret -> credentialsInUse.protect(backup, secret));
    if (credential instanceof CloudAccess.Usable usable) {
      return Optional.of(usable.provider());
    }
    CloudAccess.Unusable resolved = (CloudAccess.Unusable) credential;
    if (!status.isTerminal() && !resolved.reason().equals(status.getReason())) {
      events.warning(backup, resolved.reason(), resolved.message());
      log("{}", resolved.message());
    }
    credentialsRetry = settings.deletionRetry();
    if (!status.isTerminal()) {
      credentialsRetry =
          settings.credentialsRetry(clock, status.waitingForCredentialsSince(clock.instant()));
      Instant next = clock.instant().plus(credentialsRetry);
      status.retrying(resolved.reason(), resolved.message(), next, null, clock.instant());
      // A Secret problem is not a burst of API errors: keep the error backoff where it was.
      status.setConsecutiveErrors(original == null ? null : original.getConsecutiveErrors());
    }
    return Optional.empty();
  }

  /**
   * PolarDB refused this backup's credentials: how long to wait. A Secret's are read again at the
   * next attempt, which comes soon at first (someone may be fixing the Secret right now: nothing
   * watches it) and later as the problem lasts; the operator's own wait {@code authRetry}.
   */
  Duration credentialsRefused() {
    if (!access.forgetRefusedSecret()) {
      return settings.authRetry();
    }
    return settings.credentialsRetry(clock, status.waitingForCredentialsSince(clock.instant()));
  }

  /**
   * Writes status now when it changed, through the status subresource with optimistic locking: a
   * stale view gets a conflict (and a retry) instead of overwriting newer status.
   */
  void save() {
    PolarDBBackupStatus current = latest.getStatus();
    if (status.equals(current)) {
      return;
    }
    PolarDBBackup copy = new PolarDBBackup();
    copy.setMetadata(latest.getMetadata());
    copy.setSpec(latest.getSpec());
    copy.setStatus(status.copy());
    latest = StatusWriter.update(context, latest, copy);
    if (status.getPhase() != null && (current == null || current.getPhase() != status.getPhase())) {
      log(
          "phase {} -> {} ({})",
          current == null ? "none" : current.getPhase(),
          status.getPhase(),
          status.getReason());
      phaseChanged();
    }
  }

  private void phaseChanged() {
    switch (status.getPhase()) {
      case Running -> listener.backupStarted(regionId(), clusterId());
      case Succeeded ->
          listener.backupSucceeded(
              regionId(), clusterId(), Instant.parse(status.getCompletionTime()));
      case Failed -> listener.backupFailed(regionId(), clusterId(), status.getReason());
      case Pending, WaitingForQuota -> {}
    }
  }

  UpdateControl<PolarDBBackup> saveAndWait(Duration delay) {
    save();
    UpdateControl<PolarDBBackup> control = UpdateControl.noUpdate();
    return delay == null ? control : control.rescheduleAfter(delay);
  }

  /**
   * {@link #saveAndWait}, except that a status that differs from the written one only in progress
   * (and PolarDB's start time of the job) is not written unless {@code writeProgress}: the next
   * write carries it.
   */
  UpdateControl<PolarDBBackup> saveProgressAndWait(Duration delay, boolean writeProgress) {
    PolarDBBackupStatus written = latest.getStatus();
    if (!writeProgress && written != null && status.differsOnlyInProgress(written)) {
      return UpdateControl.<PolarDBBackup>noUpdate().rescheduleAfter(delay);
    }
    return saveAndWait(delay);
  }

  void log(String format, Object... args) {
    ResourceLog.info(log, backup, format, args);
  }

  static String uid(PolarDBBackup b) {
    return b.getMetadata().getUid();
  }

  static long generation(PolarDBBackup b) {
    return Optional.ofNullable(b.getMetadata().getGeneration()).orElse(1L);
  }

  /** The RequestId of a successful reply, or null. */
  static String requestId(ApiResult<?> result) {
    return result instanceof ApiResult.Ok<?> ok ? ok.requestId() : null;
  }
}
