package dev.polardbbackup.restore;

import dev.polardbbackup.access.CloudAccess;
import dev.polardbbackup.access.GrantWatch;
import dev.polardbbackup.access.SecretReader;
import dev.polardbbackup.kube.Events;
import dev.polardbbackup.kube.ResourceLog;
import dev.polardbbackup.kube.SpecOrLifecycleChange;
import dev.polardbbackup.kube.StatusWriter;
import dev.polardbbackup.model.DeletionPolicy;
import dev.polardbbackup.model.GrantedAction;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBRestore;
import dev.polardbbackup.model.PolarDBRestoreSpec;
import dev.polardbbackup.model.PolarDBRestoreStatus;
import dev.polardbbackup.model.Reasons;
import dev.polardbbackup.model.RestorePhase;
import dev.polardbbackup.polardb.CredentialsProvider;
import dev.polardbbackup.polardb.PolarDbClient;
import dev.polardbbackup.polardb.PolarDbClientFactory;
import dev.polardbbackup.shard.ShardGuard;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns one {@link PolarDBRestore} into exactly one new cluster, made from a backup set or a point
 * in time (a restore costs money: a second cluster from a double-click or a lost reply is a bill).
 *
 * <ol>
 *   <li>Accept: record the spec (immutable from here; edits are ignored) and the ClientToken.
 *   <li>Check: rules the schema cannot express are refused before any call ({@code InvalidSpec}).
 *   <li>Source: the {@code backupRef}'s set once it has Succeeded, or the spec's backup id or point
 *       in time ({@link SourcePhase}); no call for what the operator can tell.
 *   <li>Permit: the object's own Secret, or a PolarDBAccessGrant with action {@code Restore}.
 *   <li>Create, then follow until Running ({@link ClonePhase}); or restore tables into the source
 *       cluster under new names ({@link TablePhase}).
 *   <li>Expire: a clone with a {@code ttl} is deleted that long after it was first seen Running.
 * </ol>
 *
 * Deleting the resource keeps the cluster ({@code Retain}, the default) or deletes it ({@code
 * Delete}), bounded in time ({@link ClusterRemoval}).
 */
@ControllerConfiguration(
    name = PolarDBRestoreReconciler.NAME,
    generationAwareEventProcessing = false,
    informer = @Informer(onUpdateFilter = SpecOrLifecycleChange.class))
public class PolarDBRestoreReconciler
    implements Reconciler<PolarDBRestore>, Cleaner<PolarDBRestore> {
  private final ShardGuard shardGuard;
  public static final String NAME = "polardbrestore";
  private static final Logger log = LoggerFactory.getLogger(PolarDBRestoreReconciler.class);

  private final PolarDbClientFactory clients;
  private final RestoreSettings settings;
  private final Clock clock;
  private final Events events;
  private final CloudAccess.Sources accessSources;
  private final GrantWatch<PolarDBRestore> grantWatch = new GrantWatch<>(PolarDBRestore.class);
  private final SourcePhase sources;
  private final ClonePhase cloning;
  private final ClusterRemoval removal;
  private final TablePhase tables;
  private static final Duration TABLES_LOOKBACK = Duration.ofDays(7);

  public PolarDBRestoreReconciler(
      PolarDbClientFactory clients,
      CredentialsProvider operatorCredentials,
      RestoreSettings settings,
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
    this.sources = new SourcePhase(clock);
    this.cloning = new ClonePhase(settings, clock, events);
    this.removal = new ClusterRemoval(clock, events);
    this.tables = new TablePhase(clock, events, cloning);
  }

  /** PolarDBAccessGrants and Namespaces: a change wakes the objects refused for want of a grant. */
  @Override
  public List<EventSource<?, PolarDBRestore>> prepareEventSources(
      EventSourceContext<PolarDBRestore> context) {
    return grantWatch.eventSources(context);
  }

  @Override
  public UpdateControl<PolarDBRestore> reconcile(
      PolarDBRestore restore, Context<PolarDBRestore> context) {
    // 0. Only where this shard may act (another shard's restore is handed over).
    var notHere = shardGuard.updateUnlessHere(restore, context.getClient());
    if (notHere.isPresent()) {
      return notHere.get();
    }
    RestorePass pass = new RestorePass(restore, context);
    Instant now = clock.instant();
    // 1. First sight: record what we were asked for and the ClientToken.
    if (pass.status.getPhase() == null) {
      pass.status =
          PolarDBRestoreStatus.accept(pass.uid(), restore.getSpec(), pass.generation(), now);
      pass.save();
      events.normal(
          restore, Reasons.PENDING, "Accepted restore from " + pass.status.getSource() + ".");
    }
    noteSpecChange(pass);
    if (restore.isPaused()) {
      return paused(pass);
    }
    pass.status.removeCondition(Reasons.PAUSED);
    RestorePhase phase = pass.status.getPhase();
    if (phase == RestorePhase.Failed) {
      return pass.saveAndWait(null);
    }
    if (phase == RestorePhase.Succeeded) {
      return expire(pass);
    }
    PolarDBRestoreSpec spec = pass.spec();
    // 2. What the schema cannot check: refused before any call.
    List<String> problems = spec.problems();
    if (!problems.isEmpty() && pass.status.getDbClusterId() == null) {
      return cloning.fail(pass, Reasons.INVALID_SPEC, String.join(" ", problems), null);
    }
    if (spec.target().restoresTables()
        && spec.source()
            .pointInTimeInstant()
            .map(t -> t.isBefore(now.minus(TABLES_LOOKBACK)))
            .orElse(false)) {
      return cloning.fail(
          pass,
          Reasons.INVALID_SPEC,
          "spec.source.pointInTime is more than 7 days ago: PolarDB restores tables to a point in"
              + " time only within the last 7 days; name a backup instead.",
          null);
    }
    // 3. The source, where the operator can tell without a call.
    SourcePhase.Outcome source = sources.resolve(pass);
    if (source instanceof SourcePhase.Refused refused) {
      return cloning.fail(pass, refused.reason(), refused.message(), null);
    }
    if (source instanceof SourcePhase.NotYet notYet) {
      if (!notYet.reason().equals(pass.status.getReason())) {
        events.normal(restore, notYet.reason(), notYet.message());
      }
      pass.status.waiting(
          notYet.reason(), notYet.message(), now.plus(settings.sourceRecheck()), now);
      return pass.saveAndWait(settings.sourceRecheck());
    }
    SourcePhase.Resolved resolved = (SourcePhase.Resolved) source;
    // 4. Only with the object's own credentials or a grant for Restore.
    CloudAccess access = new CloudAccess(accessSources, restore, spec.credentialsSecretRef());
    Optional<String> refusal =
        access.refusal(
            spec.regionId(), resolved.sourceDbClusterId(), EnumSet.of(GrantedAction.Restore));
    if (refusal.isPresent()) {
      if (!Reasons.NOT_PERMITTED.equals(pass.status.getReason())) {
        events.warning(restore, Reasons.NOT_PERMITTED, refusal.get());
      }
      pass.status.waiting(Reasons.NOT_PERMITTED, refusal.get(), null, now);
      return pass.saveAndWait(null);
    }
    CloudAccess.Credential credential = access.credential(secret -> secret);
    if (credential instanceof CloudAccess.Unusable unusable) {
      if (!unusable.reason().equals(pass.status.getReason())) {
        events.warning(restore, unusable.reason(), unusable.message());
      }
      pass.status.waiting(unusable.reason(), unusable.message(), now.plus(settings.retry()), now);
      return pass.saveAndWait(settings.retry());
    }
    PolarDbClient polarDb =
        clients.forRegion(spec.regionId(), ((CloudAccess.Usable) credential).provider());
    // 5. Restore the tables once; or create the cluster once, then follow it.
    if (spec.target().restoresTables()) {
      return tables.restore(pass, polarDb, resolved, access);
    }
    return pass.status.getDbClusterId() == null
        ? cloning.create(pass, polarDb, resolved, access)
        : cloning.follow(pass, polarDb, access);
  }

  /**
   * Paused by annotation: nothing is called and nothing changes but the Paused condition (one
   * Normal Event). Removing the annotation wakes the controller at once ({@link
   * SpecOrLifecycleChange}), which removes the condition.
   */
  private UpdateControl<PolarDBRestore> paused(RestorePass pass) {
    if (pass.status.condition(Reasons.PAUSED).isEmpty()) {
      String message = PolarDBBackup.PAUSED_MESSAGE;
      pass.status.setCondition(Reasons.PAUSED, true, Reasons.PAUSED, message, clock.instant());
      events.normal(pass.restore, Reasons.PAUSED, message);
      pass.log("paused");
    }
    return pass.saveAndWait(null);
  }

  /** The spec is immutable; an edit is ignored, and says so once. */
  private void noteSpecChange(RestorePass pass) {
    PolarDBRestoreSpec accepted = pass.status.getAccepted();
    boolean changed = accepted != null && !accepted.equals(pass.restore.getSpec());
    if (changed && pass.status.condition(Reasons.SPEC_CHANGE_IGNORED).isEmpty()) {
      String message =
          "The spec is immutable: this restore goes on as it was accepted. Create a new"
              + " PolarDBRestore for another restore.";
      pass.status.setCondition(
          Reasons.SPEC_CHANGE_IGNORED, true, Reasons.SPEC_CHANGE_IGNORED, message, clock.instant());
      events.warning(pass.restore, Reasons.SPEC_CHANGE_IGNORED, message);
    } else if (!changed) {
      pass.status.removeCondition(Reasons.SPEC_CHANGE_IGNORED);
    }
    pass.status.observed(pass.generation());
  }

  /** A Succeeded clone with a ttl: deleted once it has passed. */
  private UpdateControl<PolarDBRestore> expire(RestorePass pass) {
    Optional<Instant> expiry = pass.status.expiry();
    boolean deleted =
        pass.status.getDeletion() != null && pass.status.getDeletion().deletedTime() != null;
    if (expiry.isEmpty() || deleted) {
      return pass.saveAndWait(null);
    }
    Instant now = clock.instant();
    if (now.isBefore(expiry.get())) {
      return pass.saveAndWait(ClonePhase.positive(Duration.between(now, expiry.get())));
    }
    Optional<PolarDbClient> polarDb = client(pass);
    if (polarDb.isEmpty()) {
      return pass.saveAndWait(settings.retry());
    }
    ClusterRemoval.Result result =
        removal.remove(
            pass,
            polarDb.get(),
            Reasons.TTL_EXPIRED,
            "The ttl of cluster " + pass.status.getDbClusterId() + " has passed; deleting it.");
    return result == ClusterRemoval.Result.GONE
        ? pass.saveAndWait(null)
        : pass.saveAndWait(settings.deletionRetry());
  }

  /** A client for calls on the restore's own cluster, or empty (and the problem logged). */
  private Optional<PolarDbClient> client(RestorePass pass) {
    PolarDBRestoreSpec spec = pass.spec();
    CloudAccess access = new CloudAccess(accessSources, pass.restore, spec.credentialsSecretRef());
    String cluster = ClonePhase.sourceCluster(pass);
    Optional<String> refusal =
        access.refusal(spec.regionId(), cluster, EnumSet.of(GrantedAction.Restore));
    if (refusal.isPresent()) {
      pass.log("cannot delete cluster {}: {}", pass.status.getDbClusterId(), refusal.get());
      return Optional.empty();
    }
    CloudAccess.Credential credential = access.credential(secret -> secret);
    if (credential instanceof CloudAccess.Unusable unusable) {
      pass.log("cannot delete cluster {}: {}", pass.status.getDbClusterId(), unusable.message());
      return Optional.empty();
    }
    return Optional.of(
        clients.forRegion(spec.regionId(), ((CloudAccess.Usable) credential).provider()));
  }

  /**
   * Keeps or deletes the new cluster as the spec says. Every path ends: past the deletion timeout
   * the finalizer goes with a Warning that names the cluster.
   */
  @Override
  public DeleteControl cleanup(PolarDBRestore restore, Context<PolarDBRestore> context) {
    var notHere = shardGuard.deleteUnlessHere(restore, context.getClient());
    if (notHere.isPresent()) {
      return notHere.get();
    }
    try {
      DeleteControl control = deletionSteps(new RestorePass(restore, context));
      if (control.isRemoveFinalizer()) {
        grantWatch.forget(ResourceID.fromResource(restore));
      }
      return control;
    } catch (StatusWriter.StaleStatusException
        | CloudAccess.GrantsUnknownException
        | KubernetesClientException e) {
      ResourceLog.info(log, restore, "deletion: {}; trying again", e.getMessage());
      return DeleteControl.noFinalizerRemoval().rescheduleAfter(settings.deletionRetry());
    }
  }

  private DeleteControl deletionSteps(RestorePass pass) {
    PolarDBRestoreStatus status = pass.status;
    String id = status.getDbClusterId();
    boolean alreadyGone =
        status.getDeletion() != null && status.getDeletion().deletedTime() != null;
    if (pass.restore.isForceDeleted() || status.getPhase() == null) {
      return DeleteControl.defaultDelete();
    }
    if (pass.spec().effectiveDeletionPolicy() == DeletionPolicy.Retain) {
      if (id != null && !alreadyGone) {
        events.normal(
            pass.restore,
            Reasons.CLUSTER_RETAINED,
            "Kept cluster " + id + " (deletionPolicy Retain); it is billed until deleted.");
      }
      return DeleteControl.defaultDelete();
    }
    if (alreadyGone || id == null && !status.mayHaveUnseenCluster()) {
      return DeleteControl.defaultDelete();
    }
    Instant started =
        Optional.ofNullable(pass.restore.getMetadata().getDeletionTimestamp())
            .map(Instant::parse)
            .orElse(clock.instant());
    if (Duration.between(started, clock.instant()).compareTo(settings.deletionTimeout()) > 0) {
      String message =
          "Gave up deleting "
              + (id == null
                  ? "the cluster a CreateDBCluster with an unknown outcome may have made (tagged "
                      + pass.uidTag()
                      + ")"
                  : "cluster " + id)
              + " after "
              + settings.deletionTimeout()
              + "; delete it by hand in the PolarDB console.";
      events.warning(pass.restore, "DeletionTimedOut", message);
      pass.log("{}", message);
      return DeleteControl.defaultDelete();
    }
    Optional<PolarDbClient> polarDb = client(pass);
    if (polarDb.isEmpty()) {
      return DeleteControl.noFinalizerRemoval().rescheduleAfter(settings.deletionRetry());
    }
    if (id == null && !tokenStillRemembered(status)) {
      // The token cannot be sent again (it could make a cluster); the cluster's uid tag can tell.
      TaggedClusters.Search search = TaggedClusters.find(pass, polarDb.get());
      if (search instanceof TaggedClusters.Unknown unknown) {
        pass.log(
            "cannot list the clusters tagged {}: {}; trying again",
            pass.uidTag(),
            unknown.error().describe());
        return DeleteControl.noFinalizerRemoval().rescheduleAfter(settings.deletionRetry());
      }
      if (!(search instanceof TaggedClusters.One one)) {
        String message =
            "A CreateDBCluster of this restore got no usable reply and PolarDB may no longer"
                + " remember its token, so it is not sent again; "
                + (search instanceof TaggedClusters.Several several
                    ? "clusters "
                        + String.join(", ", several.dbClusterIds())
                        + " are all tagged "
                        + pass.uidTag()
                        + ", and which one it made is not known: none is deleted. Delete the"
                        + " ones you do not want by hand in the PolarDB console."
                    : "no cluster tagged "
                        + pass.uidTag()
                        + " was listed in "
                        + pass.spec().regionId()
                        + " (DescribeDBClusters, RequestId "
                        + ((TaggedClusters.None) search).requestId()
                        + "), so there is none to delete.");
        events.warning(pass.restore, Reasons.CLUSTER_LEFT_UNDELETED, message);
        pass.log("{}", message);
        return DeleteControl.defaultDelete();
      }
      status.clusterFoundByTag(one.dbClusterId(), one.requestId());
      id = one.dbClusterId();
      String message =
          "Found cluster "
              + id
              + " by its tag "
              + pass.uidTag()
              + " (DescribeDBClusters, RequestId "
              + one.requestId()
              + "): a CreateDBCluster of this restore whose reply was lost made it.";
      events.normal(pass.restore, Reasons.CLUSTER_FOUND_BY_TAG, message);
      pass.log("{}", message);
    }
    if (id == null) {
      // A CreateDBCluster may have worked: its token, sent again, names the cluster (PolarDB
      // replays it), so that it can be deleted; the next attempt deletes it.
      SourcePhase.Outcome source = sources.resolve(pass);
      if (source instanceof SourcePhase.Resolved resolved) {
        CloudAccess access =
            new CloudAccess(accessSources, pass.restore, pass.spec().credentialsSecretRef());
        access.refusal(
            pass.spec().regionId(),
            resolved.sourceDbClusterId(),
            EnumSet.of(GrantedAction.Restore));
        cloning.create(pass, polarDb.get(), resolved, access);
      }
      return DeleteControl.noFinalizerRemoval().rescheduleAfter(settings.deletionRetry());
    }
    ClusterRemoval.Result result =
        removal.remove(
            pass,
            polarDb.get(),
            Reasons.RESOURCE_DELETED,
            "Deleting cluster " + id + " (deletionPolicy Delete).");
    return result == ClusterRemoval.Result.GONE
        ? DeleteControl.defaultDelete()
        : DeleteControl.noFinalizerRemoval().rescheduleAfter(settings.deletionRetry());
  }

  private boolean tokenStillRemembered(PolarDBRestoreStatus status) {
    return status
        .createFirstSentInstant()
        .map(
            first ->
                Duration.between(first, clock.instant()).compareTo(settings.tokenReuseWindow())
                    <= 0)
        .orElse(true);
  }
}
