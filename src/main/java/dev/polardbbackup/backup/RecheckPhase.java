package dev.polardbbackup.backup;

import static dev.polardbbackup.backup.BackupPass.requestId;

import dev.polardbbackup.kube.Events;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupStatus;
import dev.polardbbackup.model.Reasons;
import dev.polardbbackup.polardb.ApiResult;
import dev.polardbbackup.polardb.Backup;
import dev.polardbbackup.polardb.BackupPolicy;
import dev.polardbbackup.polardb.CredentialsProvider;
import dev.polardbbackup.polardb.DescribeBackupsQuery;
import dev.polardbbackup.polardb.FailureKind;
import dev.polardbbackup.polardb.PolarDbClient;
import dev.polardbbackup.polardb.PolarDbClientFactory;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Succeeded backup, looked at again every {@code recheckInterval}: is its backup set still there
 * (a DBA may delete it in the console; deleting the cluster deletes it unless the cluster's policy
 * keeps it), and does the cluster's {@code BackupRetentionPolicyOnClusterDeletion} keep it when the
 * cluster is deleted. Both looks are shared by every backup of the cluster: one DescribeBackups
 * (or, once the cluster is gone, one DescribeDetachedBackups) and one DescribeBackupPolicy per
 * cluster and interval, not per backup.
 *
 * <p>A set that the shared look does not list is asked for by its id before it is called gone, so
 * that a list that shifted between pages, or a set older than the shared window, never raises a
 * false alarm. Gone is final: a deleted set never comes back. The phase stays Succeeded (the backup
 * was made; status never moves backwards); {@code BackupAvailable} and {@code Ready} go False.
 */
final class RecheckPhase {
  // The reconciler's logger: this phase's lines are the reconciler's.
  private static final Logger log = LoggerFactory.getLogger(PolarDBBackupReconciler.class);

  private final PolarDbClientFactory clients;
  private final ControllerSettings settings;
  private final Clock clock;
  private final Events events;
  private final ClusterObservations observations;
  private final Map<WarnedAbout, String> warned = new ConcurrentHashMap<>();

  RecheckPhase(
      PolarDbClientFactory clients,
      ControllerSettings settings,
      Clock clock,
      Events events,
      ClusterObservations observations) {
    this.clients = clients;
    this.settings = settings;
    this.clock = clock;
    this.events = events;
    this.observations = observations;
  }

  /**
   * Right after the backup succeeded, for the same status write: the set is listed, and what the
   * cluster's policy does with it when the cluster is deleted. Returns when to look again.
   */
  Duration succeeded(BackupPass step, PolarDbClient polarDb) {
    step.status.available(Reasons.BACKUP_LISTED, listed(step), clock.instant());
    lookAtRetention(step, polarDb);
    return settings.recheckInterval();
  }

  /** A Succeeded backup's periodic look. */
  UpdateControl<PolarDBBackup> recheck(BackupPass step) {
    if (step.status.isGone() || step.status.getBackupId() == null) {
      return step.saveAndWait(null);
    }
    // Without a grant no call is made; a change of grants wakes this backup (GrantWatch).
    Optional<String> refusal = step.refusal(step.neededActions());
    if (refusal.isPresent()) {
      log.debug("{}: not re-checked: {}", step.backup.getMetadata().getName(), refusal.get());
      return step.saveAndWait(null);
    }
    Optional<CredentialsProvider> credentials = step.credentials();
    if (credentials.isEmpty()) {
      return step.saveAndWait(settings.recheckInterval());
    }
    PolarDbClient polarDb = clients.forRegion(step.regionId(), credentials.get());
    Instant now = clock.instant();
    Instant since = sharedWindowStart(step);
    ClusterObservations.Key setsKey = step.observationKey("sets since " + since);
    ApiResult<List<Backup>> sets =
        observations.lookSharingFailures(
            setsKey, oldestUsable(step), () -> polarDb.describeAllBackups(window(step, since)));
    if (sets.isOk()) {
      if (listedIn(step, sets.value())
          || confirmedPresent(step, false, () -> polarDb.describeAllBackups(byId(step)))) {
        step.status.available(Reasons.BACKUP_LISTED, listed(step), now);
        lookAtRetention(step, polarDb);
      }
      return step.saveAndWait(untilNextLook(setsKey));
    }
    if (sets.error().kind() != FailureKind.NOT_FOUND) {
      step.log(
          "re-check: DescribeBackups failed ({}); trying again later", sets.error().describe());
      return step.saveAndWait(settings.recheckInterval());
    }
    // The cluster is gone: its policy may have kept the set, detached from it.
    ClusterObservations.Key detachedKey = step.observationKey("detached since " + since);
    ApiResult<List<Backup>> detached =
        observations.lookSharingFailures(
            detachedKey,
            oldestUsable(step),
            () -> polarDb.describeAllDetachedBackups(window(step, since)));
    if (!detached.isOk()) {
      step.log(
          "re-check: cluster {} is gone and DescribeDetachedBackups failed ({}); trying again"
              + " later",
          step.clusterId(),
          detached.error().describe());
      return step.saveAndWait(settings.recheckInterval());
    }
    if (listedIn(step, detached.value())
        || confirmedPresent(step, true, () -> polarDb.describeAllDetachedBackups(byId(step)))) {
      step.status.available(
          Reasons.KEPT_AFTER_CLUSTER_DELETION,
          "Cluster "
              + step.clusterId()
              + " was deleted; PolarDB keeps backup set "
              + step.status.getBackupId()
              + " (DescribeDetachedBackups lists it).",
          now);
      return step.saveAndWait(untilNextLook(detachedKey));
    }
    return step.saveAndWait(null);
  }

  /**
   * Whether the set is there after all, asked by its id; records it as gone when PolarDB says no. A
   * failed call decides nothing.
   */
  private boolean confirmedPresent(
      BackupPass step,
      boolean clusterGone,
      java.util.function.Supplier<ApiResult<List<Backup>>> byId) {
    ApiResult<List<Backup>> answer = byId.get();
    if (!answer.isOk()) {
      step.log(
          "re-check: the look for backup set {} by its id failed ({}); trying again later",
          step.status.getBackupId(),
          answer.error().describe());
      return false;
    }
    if (listedIn(step, answer.value())) {
      return true;
    }
    String message = goneMessage(step, clusterGone) + " (RequestId " + requestId(answer) + ").";
    step.status.gone(message, requestId(answer), clock.instant());
    events.warning(step.backup, Reasons.BACKUP_GONE, message);
    step.log("backup set {} is gone", step.status.getBackupId());
    return false;
  }

  private static String goneMessage(BackupPass step, boolean clusterGone) {
    String set = step.status.getBackupId();
    String cause =
        clusterGone
            ? "Cluster "
                + step.clusterId()
                + " was deleted and PolarDB did not keep backup set "
                + set
                + step.status
                    .condition(Reasons.RETAINED_AFTER_CLUSTER_DELETION)
                    .filter(c -> "False".equals(c.getStatus()))
                    .map(c -> " (its retention on deletion was last seen as " + c.getReason() + ")")
                    .orElse("")
                + ": the set was deleted with the cluster."
            : "Backup set "
                + set
                + " of cluster "
                + step.clusterId()
                + " no longer exists: it was deleted outside this operator (in the console or by"
                + " another tool).";
    return cause
        + " Nothing can be restored from it; the phase stays Succeeded as the record that it was"
        + " made";
  }

  /**
   * The cluster's retention on deletion, from a look shared per cluster and interval, as the
   * RetainedAfterClusterDeletion condition; a Warning when it becomes NONE or LATEST. A failed look
   * leaves the condition as it was.
   */
  private void lookAtRetention(BackupPass step, PolarDbClient polarDb) {
    Instant now = clock.instant();
    ApiResult<BackupPolicy> policy =
        observations.lookSharingFailures(
            step.observationKey("policy"),
            now.minus(settings.recheckInterval()),
            () -> polarDb.describeBackupPolicy(step.clusterId()));
    if (!policy.isOk()) {
      FailureKind kind = policy.error().kind();
      if (kind == FailureKind.AUTH || kind == FailureKind.INVALID_REQUEST) {
        // Refused, not busy: say so on the object (RAM may lack polardb:DescribeBackupPolicy).
        step.status.retentionUnreadable(
            "DescribeBackupPolicy was refused ("
                + policy.error().code()
                + "): what deleting cluster "
                + step.clusterId()
                + " does to this backup is not known. The credentials need"
                + " polardb:DescribeBackupPolicy.",
            now);
      }
      log.debug(
          "{}: DescribeBackupPolicy failed ({}); the retention on cluster deletion is not known",
          step.backup.getMetadata().getName(),
          policy.error().describe());
      return;
    }
    String retention = policy.value().backupRetentionPolicyOnClusterDeletion();
    String cluster = step.clusterId();
    String set = step.status.getBackupId();
    String how =
        " To keep it, set spec.retentionOnClusterDeletion: ALL in a PolarDBBackupPolicy for the"
            + " cluster (or BackupRetentionPolicyOnClusterDeletion in the PolarDB console).";
    if ("NONE".equals(retention)) {
      warnOnce(
          step,
          Reasons.DELETED_WITH_CLUSTER,
          "Cluster "
              + cluster
              + " deletes all its backup sets when it is deleted"
              + " (BackupRetentionPolicyOnClusterDeletion is NONE): deleting the cluster deletes"
              + " backup set "
              + set
              + " too."
              + how);
    } else if ("LATEST".equals(retention)) {
      warnOnce(
          step,
          Reasons.ONLY_LATEST_KEPT,
          "Cluster "
              + cluster
              + " keeps only its latest backup when it is deleted"
              + " (BackupRetentionPolicyOnClusterDeletion is LATEST): backup set "
              + set
              + " survives the cluster's deletion only if it is then the newest set."
              + how);
    } else if ("ALL".equals(retention)) {
      warned.remove(new WarnedAbout(step.backup.getMetadata().getNamespace(), step.cluster()));
      step.status.setCondition(
          Reasons.RETAINED_AFTER_CLUSTER_DELETION,
          true,
          Reasons.ALL_KEPT,
          "Cluster "
              + cluster
              + " keeps all its backup sets when it is deleted"
              + " (BackupRetentionPolicyOnClusterDeletion is ALL).",
          now);
    }
  }

  /**
   * Sets the condition on this backup, and warns once per namespace and cluster: the policy is the
   * cluster's, so a Warning on each of its backups would only repeat it (and cost one request per
   * backup). A namespace hears it again when the cluster's retention changes, or after a restart of
   * this process; every backup carries it in its condition either way.
   */
  private void warnOnce(BackupPass step, String reason, String message) {
    boolean news =
        step.status
            .condition(Reasons.RETAINED_AFTER_CLUSTER_DELETION)
            .map(c -> !"False".equals(c.getStatus()) || !reason.equals(c.getReason()))
            .orElse(true);
    step.status.setCondition(
        Reasons.RETAINED_AFTER_CLUSTER_DELETION, false, reason, message, clock.instant());
    WarnedAbout key = new WarnedAbout(step.backup.getMetadata().getNamespace(), step.cluster());
    if (news && !reason.equals(warned.put(key, reason))) {
      events.warning(step.backup, reason, message);
      step.log("{}", message);
    }
  }

  /** The retention warned about last, per namespace and cluster. */
  private record WarnedAbout(String namespace, ClusterRef cluster) {}

  /** The cluster has no backup left here: a new one of it is warned about again. */
  void forget(ClusterRef cluster) {
    warned.keySet().removeIf(key -> key.cluster().equals(cluster));
  }

  private static String listed(BackupPass step) {
    return "PolarDB lists backup set " + step.status.getBackupId() + ".";
  }

  private static boolean listedIn(BackupPass step, List<Backup> sets) {
    return sets.stream().anyMatch(b -> step.status.getBackupId().equals(b.backupId()));
  }

  /**
   * A look is used by every backup of the cluster if it is younger than the interval and was taken
   * after this backup succeeded (an older one cannot list it).
   */
  private Instant oldestUsable(BackupPass step) {
    Instant oldest = clock.instant().minus(settings.recheckInterval());
    Instant completed =
        Optional.ofNullable(step.status.getCompletionTime()).map(Instant::parse).orElse(oldest);
    return completed.isAfter(oldest) ? completed : oldest;
  }

  /**
   * Every backup of a cluster wakes just after the shared look it used has aged by one interval, so
   * that the first one takes the next look and the others share it, and a set that vanished is
   * reported within one interval.
   */
  private Duration untilNextLook(ClusterObservations.Key key) {
    Duration interval = settings.recheckInterval();
    Duration slack = interval.dividedBy(20);
    Instant now = clock.instant();
    Instant next = observations.takenAt(key).orElse(now).plus(interval).plus(slack);
    Duration delay = Duration.between(now, next);
    return delay.compareTo(slack) < 0 ? slack : delay;
  }

  /**
   * The start of the shared look's window: the day before the earliest known start of the cluster's
   * Succeeded backups (all compute the same day, so they share the look).
   */
  private static Instant sharedWindowStart(BackupPass step) {
    Instant earliest =
        Stream.concat(Stream.of(step.status), step.othersOnCluster().stream())
            .filter(s -> s.getPhase() == dev.polardbbackup.model.Phase.Succeeded && !s.isGone())
            .map(RecheckPhase::earliestKnown)
            .flatMap(Optional::stream)
            .min(Instant::compareTo)
            .orElse(Instant.EPOCH);
    return earliest.truncatedTo(ChronoUnit.DAYS).minus(Duration.ofDays(1));
  }

  private static Optional<Instant> earliestKnown(PolarDBBackupStatus status) {
    return Stream.of(
            status.getJobStartTime(),
            status.getStartTime(),
            status.getConsistentTime(),
            status.getCompletionTime())
        .filter(Objects::nonNull)
        .map(Instant::parse)
        .min(Instant::compareTo);
  }

  private DescribeBackupsQuery window(BackupPass step, Instant since) {
    return DescribeBackupsQuery.manual(
        step.clusterId(), since, clock.instant().plus(Duration.ofMinutes(1)));
  }

  /** This set by its id, in a window that holds it whatever its start (adopted sets too). */
  private DescribeBackupsQuery byId(BackupPass step) {
    Instant lookback = clock.instant().minus(AdoptPhase.ADOPT_LOOKBACK);
    Instant from =
        earliestKnown(step.status)
            .map(t -> t.minus(Duration.ofDays(1)))
            .filter(t -> t.isBefore(lookback))
            .orElse(lookback);
    return DescribeBackupsQuery.byId(
        step.clusterId(),
        step.status.getBackupId(),
        from,
        clock.instant().plus(Duration.ofMinutes(1)));
  }
}
