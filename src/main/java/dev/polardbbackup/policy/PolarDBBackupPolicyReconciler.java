package dev.polardbbackup.policy;

import dev.polardbbackup.access.CloudAccess;
import dev.polardbbackup.access.GrantWatch;
import dev.polardbbackup.access.SecretReader;
import dev.polardbbackup.kube.CreationOrder;
import dev.polardbbackup.kube.Events;
import dev.polardbbackup.kube.LiveCache;
import dev.polardbbackup.kube.ResourceLog;
import dev.polardbbackup.kube.StatusWriter;
import dev.polardbbackup.model.Conditions;
import dev.polardbbackup.model.GrantedAction;
import dev.polardbbackup.model.ManagementPolicy;
import dev.polardbbackup.model.PolarDBBackupPolicy;
import dev.polardbbackup.model.PolarDBBackupPolicySpec;
import dev.polardbbackup.model.PolarDBBackupPolicyStatus;
import dev.polardbbackup.model.Reasons;
import dev.polardbbackup.model.RecoverableWindow;
import dev.polardbbackup.polardb.ApiError;
import dev.polardbbackup.polardb.ApiResult;
import dev.polardbbackup.polardb.BackupPolicy;
import dev.polardbbackup.polardb.CredentialsProvider;
import dev.polardbbackup.polardb.LogBackupPolicy;
import dev.polardbbackup.polardb.PolarDbClient;
import dev.polardbbackup.polardb.PolarDbClientFactory;
import dev.polardbbackup.polardb.RecoveryWindow;
import dev.polardbbackup.shard.ShardGuard;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one cluster's automatic backup policy as a {@link PolarDBBackupPolicy} says.
 *
 * <ol>
 *   <li>Check: rules the schema cannot express are refused before any call ({@code InvalidSpec}).
 *   <li>Permit: the object's own Secret, or a PolarDBAccessGrant with action {@code Policy}.
 *   <li>Observe: DescribeBackupPolicy and DescribeLogBackupPolicy.
 *   <li>Converge: under {@code Enforce}, one Modify call per policy with only the fields that
 *       differ; under {@code ObserveOnly}, the differences are reported and nothing is changed.
 *   <li>Record: the policy as PolarDB reports it, the recoverable window, and look again after the
 *       resync interval (drift made in the console or by another tool shows then).
 * </ol>
 *
 * Deleting the resource leaves the cluster's policy as it is: there is no finalizer.
 */
@ControllerConfiguration(name = PolarDBBackupPolicyReconciler.NAME)
public class PolarDBBackupPolicyReconciler implements Reconciler<PolarDBBackupPolicy> {
  private final ShardGuard shardGuard;
  public static final String NAME = "polardbbackuppolicy";
  private static final Logger log = LoggerFactory.getLogger(PolarDBBackupPolicyReconciler.class);

  private final PolarDbClientFactory clients;
  private final PolicySettings settings;
  private final Clock clock;
  private final Events events;
  private final CloudAccess.Sources accessSources;
  // Grants and namespace labels, and the objects refused for want of a grant.
  private final GrantWatch<PolarDBBackupPolicy> grantWatch =
      new GrantWatch<>(PolarDBBackupPolicy.class);

  public PolarDBBackupPolicyReconciler(
      PolarDbClientFactory clients,
      CredentialsProvider operatorCredentials,
      PolicySettings settings,
      Clock clock,
      Events events,
      SecretReader secrets,
      String operatorNamespace,
      ShardGuard shardGuard) {
    this.shardGuard = shardGuard;
    this.clients = clients;
    this.settings = settings;
    this.clock = clock;
    this.events = events;
    this.accessSources = grantWatch.sources(operatorCredentials, secrets, operatorNamespace);
  }

  /** PolarDBAccessGrants and Namespaces: a change wakes the objects refused for want of a grant. */
  @Override
  public List<EventSource<?, PolarDBBackupPolicy>> prepareEventSources(
      EventSourceContext<PolarDBBackupPolicy> context) {
    return grantWatch.eventSources(context);
  }

  /** How many policies wait for a grant; for tests. */
  public int waitingForGrant() {
    return grantWatch.waiting();
  }

  @Override
  public UpdateControl<PolarDBBackupPolicy> reconcile(
      PolarDBBackupPolicy policy, Context<PolarDBBackupPolicy> context) {
    // 0. Only where this shard may act (another shard's policy is handed over).
    var notHere = shardGuard.updateUnlessHere(policy, context.getClient());
    if (notHere.isPresent()) {
      return notHere.get();
    }
    Pass pass = new Pass(policy, context);
    PolarDBBackupPolicySpec spec = policy.getSpec();
    long generation = Optional.ofNullable(policy.getMetadata().getGeneration()).orElse(1L);
    boolean specSeen = Long.valueOf(generation).equals(pass.status.getObservedGeneration());
    pass.status.setObservedGeneration(generation);
    // 1. Rules the schema cannot express: refused before any call.
    List<String> problems = spec.problems();
    if (!problems.isEmpty()) {
      return pass.notReady(Reasons.INVALID_SPEC, String.join(" ", problems), null);
    }
    // 2. One policy per cluster: two would undo each other's changes at every look.
    Optional<String> older = olderPolicyOfTheCluster(policy, context);
    if (older.isPresent()) {
      return pass.notReady(
          Reasons.POLICY_CONFLICT,
          "Cluster "
              + spec.dbClusterId()
              + " in "
              + spec.regionId()
              + " is already managed by "
              + older.get()
              + "; a cluster has one PolarDBBackupPolicy. This one makes no call until that one is"
              + " gone.",
          // Only the cache is read again: as cheap as a queued backup's wait.
          settings.retry());
    }
    // 3. Only with the object's own credentials or a grant for Policy.
    CloudAccess access = new CloudAccess(accessSources, policy, spec.credentialsSecretRef());
    Optional<String> refusal =
        access.refusal(spec.regionId(), spec.dbClusterId(), EnumSet.of(GrantedAction.Policy));
    if (refusal.isPresent()) {
      return pass.notReady(Reasons.NOT_PERMITTED, refusal.get(), null);
    }
    CloudAccess.Credential credential = access.credential(secret -> secret);
    if (credential instanceof CloudAccess.Unusable unusable) {
      return pass.notReady(unusable.reason(), unusable.message(), settings.retry());
    }
    PolarDbClient polarDb =
        clients.forRegion(spec.regionId(), ((CloudAccess.Usable) credential).provider());
    // 4. What PolarDB has now.
    String cluster = spec.dbClusterId();
    ApiResult<BackupPolicy> observed = polarDb.describeBackupPolicy(cluster);
    if (!observed.isOk()) {
      return pass.failed(observed.error(), "DescribeBackupPolicy", access);
    }
    ApiResult<LogBackupPolicy> observedLog = polarDb.describeLogBackupPolicy(cluster);
    if (!observedLog.isOk()) {
      return pass.failed(observedLog.error(), "DescribeLogBackupPolicy", access);
    }
    BackupPolicy changes = WantedPolicy.backup(spec).changesFrom(observed.value());
    LogBackupPolicy logChanges = WantedPolicy.log(spec).changesFrom(observedLog.value());
    List<String> differences =
        WantedPolicy.differences(changes, observed.value(), logChanges, observedLog.value());
    BackupPolicy effective = observed.value();
    LogBackupPolicy effectiveLog = observedLog.value();
    // 5. Converge, or report.
    boolean enforce = spec.effectiveManagementPolicy() == ManagementPolicy.Enforce;
    if (!differences.isEmpty() && enforce) {
      if (!changes.isEmpty()) {
        // The observed period and window go along: some readings of the API require them.
        ApiResult<Void> modified =
            polarDb.modifyBackupPolicy(cluster, changes.withBackupWindowFrom(observed.value()));
        if (!modified.isOk()) {
          return pass.failed(modified.error(), "ModifyBackupPolicy", access);
        }
      }
      if (!logChanges.isEmpty()) {
        ApiResult<Void> modified = polarDb.modifyLogBackupPolicy(cluster, logChanges);
        if (!modified.isOk()) {
          return pass.failed(modified.error(), "ModifyLogBackupPolicy", access);
        }
      }
      String what = String.join("; ", differences);
      String message =
          specSeen && pass.status.getLastSyncTime() != null
              ? "Corrected a change made outside this resource (PolarDB does not say by whom): "
                  + what
                  + "."
              : "Applied: " + what + ".";
      events.normal(policy, Reasons.POLICY_APPLIED, message);
      ResourceLog.info(log, policy, "{}", message);
      // Status shows the policy as PolarDB reports it after the change. A look that fails says
      // nothing about drift: the next attempt looks again (and finds nothing left to send).
      ApiResult<BackupPolicy> after = polarDb.describeBackupPolicy(cluster);
      if (!after.isOk()) {
        return pass.failed(after.error(), "DescribeBackupPolicy", access);
      }
      ApiResult<LogBackupPolicy> afterLog = polarDb.describeLogBackupPolicy(cluster);
      if (!afterLog.isOk()) {
        return pass.failed(afterLog.error(), "DescribeLogBackupPolicy", access);
      }
      effective = after.value();
      effectiveLog = afterLog.value();
      differences =
          WantedPolicy.differences(
              WantedPolicy.backup(spec).changesFrom(effective),
              effective,
              WantedPolicy.log(spec).changesFrom(effectiveLog),
              effectiveLog);
    }
    // 6. Record.
    pass.status.setEffective(WantedPolicy.effective(effective, effectiveLog));
    pass.status.setDrift(differences.isEmpty() ? null : differences);
    pass.status.setLastSyncTime(Conditions.timestamp(clock.instant()));
    ApiResult<RecoveryWindow> window = polarDb.describeLocalAvailableRecoveryTime(cluster);
    if (window.isOk()) {
      RecoveryWindow w = window.value();
      pass.status.setRecoveryWindow(
          w.known()
              ? new RecoverableWindow(
                  w.recoveryBeginTime().map(Conditions::timestamp).orElse(null),
                  w.recoveryEndTime().map(Conditions::timestamp).orElse(null))
              : null);
    }
    if (differences.isEmpty()) {
      pass.inSync();
    } else {
      pass.drifted(differences, enforce);
    }
    pass.save();
    return UpdateControl.<PolarDBBackupPolicy>noUpdate().rescheduleAfter(settings.resync());
  }

  /**
   * An older PolarDBBackupPolicy (creation time, then uid) that manages the same cluster, named as
   * this object's owner may see it: by name in the same namespace, not at all in another. Only one
   * that has reached PolarDB and still may counts: an object that was never allowed to look (no
   * grant, bad credentials) or was refused since holds nothing, so a tenant cannot block another
   * team's policy by creating one first.
   */
  private static Optional<String> olderPolicyOfTheCluster(
      PolarDBBackupPolicy policy, Context<PolarDBBackupPolicy> context) {
    PolarDBBackupPolicySpec spec = policy.getSpec();
    return LiveCache.list(context)
        .filter(other -> !other.getMetadata().getUid().equals(policy.getMetadata().getUid()))
        .filter(other -> other.getSpec() != null)
        .filter(other -> spec.dbClusterId().equals(other.getSpec().dbClusterId()))
        .filter(other -> spec.regionId().equals(other.getSpec().regionId()))
        .filter(PolarDBBackupPolicyReconciler::manages)
        .filter(other -> CreationOrder.olderThan(other, policy))
        .findFirst()
        .map(
            other ->
                other.getMetadata().getNamespace().equals(policy.getMetadata().getNamespace())
                    ? "PolarDBBackupPolicy " + other.getMetadata().getName()
                    : "a PolarDBBackupPolicy in another namespace");
  }

  /** Whether {@code p} has looked at its cluster's policy and is not refused now. */
  private static boolean manages(PolarDBBackupPolicy p) {
    PolarDBBackupPolicyStatus s = p.getStatus();
    return s != null
        && s.getLastSyncTime() != null
        && !Reasons.NOT_PERMITTED.equals(s.getReason())
        && !Reasons.POLICY_CONFLICT.equals(s.getReason());
  }

  /** One reconcile of one policy: its status being edited, and how to save it. */
  private final class Pass {
    final PolarDBBackupPolicy policy;
    final Context<PolarDBBackupPolicy> context;
    final PolarDBBackupPolicyStatus status;

    Pass(PolarDBBackupPolicy policy, Context<PolarDBBackupPolicy> context) {
      this.policy = policy;
      this.context = context;
      this.status =
          policy.getStatus() == null ? new PolarDBBackupPolicyStatus() : policy.getStatus().copy();
    }

    /** Ready=False for {@code reason}, with one Warning when the reason or message is new. */
    UpdateControl<PolarDBBackupPolicy> notReady(String reason, String message, Duration retry) {
      if (!reason.equals(status.getReason()) || !message.equals(status.getMessage())) {
        events.warning(policy, reason, message);
        ResourceLog.info(log, policy, "not ready: {}", message);
      }
      status.setReason(reason);
      status.setMessage(message);
      status.setCondition(PolarDBBackupPolicyStatus.READY, false, reason, message, clock.instant());
      save();
      UpdateControl<PolarDBBackupPolicy> control = UpdateControl.noUpdate();
      return retry == null ? control : control.rescheduleAfter(retry);
    }

    /**
     * A PolarDB call failed. A refused value (a range only PolarDB knows) waits for the next resync
     * or a spec change; refused credentials are read again at the next attempt; the rest are tried
     * again soon.
     */
    UpdateControl<PolarDBBackupPolicy> failed(ApiError error, String action, CloudAccess access) {
      String message = action + " failed: " + error.describe();
      Duration retry = error.retryAfter().orElse(settings.retry());
      String reason =
          switch (error.kind()) {
            case THROTTLED -> Reasons.API_THROTTLED;
            case TRANSIENT -> Reasons.API_UNAVAILABLE;
            case OUTCOME_UNKNOWN -> Reasons.OUTCOME_UNKNOWN;
            case AUTH -> {
              access.forgetRefusedSecret();
              yield Reasons.AUTH_FAILED;
            }
            case NOT_FOUND -> Reasons.CLUSTER_NOT_FOUND;
            case WRONG_CLUSTER_STATE -> Reasons.CLUSTER_NOT_READY;
            case INVALID_REQUEST, QUOTA_EXHAUSTED -> {
              retry = settings.resync();
              yield Reasons.INVALID_REQUEST;
            }
          };
      return notReady(reason, message, retry);
    }

    void inSync() {
      String message =
          "The cluster's backup policy is as this resource says"
              + (policy.getSpec().effectiveManagementPolicy() == ManagementPolicy.ObserveOnly
                  ? " (observed only)."
                  : ".");
      status.setReason(Reasons.POLICY_IN_SYNC);
      status.setMessage(message);
      status.setCondition(
          PolarDBBackupPolicyStatus.READY, true, Reasons.POLICY_IN_SYNC, message, clock.instant());
      status.setCondition(
          PolarDBBackupPolicyStatus.IN_SYNC,
          true,
          Reasons.POLICY_IN_SYNC,
          message,
          clock.instant());
    }

    /** The policy differs from the spec: reported under ObserveOnly, or a change did not hold. */
    void drifted(List<String> differences, boolean enforce) {
      String message =
          (enforce
                  ? "PolarDB still differs from this resource after the change: "
                  : "PolarDB differs from this resource (managementPolicy ObserveOnly: nothing is"
                      + " changed): ")
              + String.join("; ", differences)
              + ".";
      if (!Reasons.POLICY_DRIFTED.equals(status.getReason())
          || !message.equals(status.getMessage())) {
        events.warning(policy, Reasons.POLICY_DRIFTED, message);
        ResourceLog.info(log, policy, "{}", message);
      }
      status.setReason(Reasons.POLICY_DRIFTED);
      status.setMessage(message);
      // Observing is what ObserveOnly asks for: it is ready; under Enforce it is not.
      status.setCondition(
          PolarDBBackupPolicyStatus.READY,
          !enforce,
          Reasons.POLICY_DRIFTED,
          message,
          clock.instant());
      status.setCondition(
          PolarDBBackupPolicyStatus.IN_SYNC,
          false,
          Reasons.POLICY_DRIFTED,
          message,
          clock.instant());
    }

    /** Writes status when it changed, with optimistic locking. */
    void save() {
      if (status.equals(policy.getStatus())) {
        return;
      }
      PolarDBBackupPolicy copy = new PolarDBBackupPolicy();
      copy.setMetadata(policy.getMetadata());
      copy.setSpec(policy.getSpec());
      copy.setStatus(status.copy());
      StatusWriter.update(context, policy, copy);
    }
  }
}
