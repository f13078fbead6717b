package dev.polardbbackup.backup;

import static dev.polardbbackup.backup.BackupPass.generation;
import static dev.polardbbackup.backup.BackupPass.uid;

import dev.polardbbackup.access.CloudAccess;
import dev.polardbbackup.access.GrantWatch;
import dev.polardbbackup.access.SecretReader;
import dev.polardbbackup.kube.Events;
import dev.polardbbackup.kube.LiveCache;
import dev.polardbbackup.kube.ResourceLog;
import dev.polardbbackup.kube.SpecOrLifecycleChange;
import dev.polardbbackup.kube.StatusWriter;
import dev.polardbbackup.model.Phase;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupSpec;
import dev.polardbbackup.model.PolarDBBackupStatus;
import dev.polardbbackup.model.Reasons;
import dev.polardbbackup.polardb.CredentialsProvider;
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
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns one {@link PolarDBBackup} into exactly one PolarDB backup.
 *
 * <ol>
 *   <li>Accept: record the spec and the first ClientToken (the UID) in status.
 *   <li>Start: call CreateBackup with the recorded token; persist the BackupJobId at once. A quota
 *       refusal waits (oldest first per cluster) and prepares a new token; an unknown outcome
 *       retries the same token, so a lost reply cannot make a second backup.
 *   <li>Follow: DescribeBackupTasks for progress, then DescribeBackups for the result.
 *   <li>Finish: Succeeded or Failed, both final. A Succeeded backup's set is looked for again on a
 *       slow interval, shared per cluster: one deleted behind our back is reported, not hidden.
 * </ol>
 *
 * Deletion keeps or deletes the cloud backup as the spec says, bounded in time.
 *
 * <p>This class is the state diagram; each step is a file: {@link AdoptPhase}, {@link StartPhase}
 * (with {@link QuotaWait} and {@link TokenEvidence}), {@link FollowPhase} (with {@link
 * MatchPhase}), {@link RecheckPhase}, {@link Failures} for what a failed call means, and {@link
 * DeletionPhase} (with {@link NamespaceTeardown}). A reconcile's state and its collaborators are a
 * {@link BackupPass}.
 */
// Not generation-aware: the pause and force-delete annotations must act at once (see the filter).
@ControllerConfiguration(
    name = PolarDBBackupReconciler.NAME,
    generationAwareEventProcessing = false,
    informer = @Informer(onUpdateFilter = SpecOrLifecycleChange.class))
public class PolarDBBackupReconciler implements Reconciler<PolarDBBackup>, Cleaner<PolarDBBackup> {
  private final ShardGuard shardGuard;
  public static final String NAME = "polardbbackup";
  private static final Logger log = LoggerFactory.getLogger(PolarDBBackupReconciler.class);

  private final CloudAccess.Sources accessSources;
  private final ControllerSettings settings;
  private final Clock clock;
  private final Events events;
  private final BackupListener listener;
  private final ClusterQueue queue = new ClusterQueue();
  private final BackupClaims claims = new BackupClaims();
  private final ClusterObservations observations;
  private final SecretReader secrets;
  private final CredentialsInUse credentialsInUse;
  // Grants and namespace labels, and the objects refused for want of a grant.
  private final GrantWatch<PolarDBBackup> grantWatch = new GrantWatch<>(PolarDBBackup.class);
  // Where the Secrets that grants name live; null when not known (then such grants cannot lend).
  private final String operatorNamespace;
  private final SimpleInboundEventSource<PolarDBBackup> slotFreed =
      new SimpleInboundEventSource<>("slot-freed");
  private final AdoptPhase adoption;
  private final StartPhase starting;
  private final FollowPhase following;
  private final DeletionPhase deletion;
  private final RecheckPhase rechecks;
  private final PollTiming pollTiming;
  private volatile IndexerResourceCache<PolarDBBackup> backups;

  public PolarDBBackupReconciler(
      PolarDbClientFactory clients,
      CredentialsProvider operatorCredentials,
      ControllerSettings settings,
      Clock clock,
      RandomGenerator random,
      Events events,
      BackupListener listener,
      SecretReader secrets,
      String operatorNamespace,
      ShardGuard shardGuard) {
    this.shardGuard = shardGuard;
    this.operatorNamespace = operatorNamespace;
    this.secrets = secrets;
    this.credentialsInUse = new CredentialsInUse(secrets);
    this.listener = listener;
    this.observations = new ClusterObservations(clock);
    this.accessSources = grantWatch.sources(operatorCredentials, secrets, operatorNamespace);
    this.settings = settings;
    this.clock = clock;
    this.events = events;
    this.pollTiming = new PollTiming(clock, settings);
    Failures failures = new Failures(settings, clock, random, events);
    MatchPhase matching = new MatchPhase(settings, clock, observations, pollTiming);
    TokenEvidence tokens = new TokenEvidence(settings, clock);
    this.rechecks = new RecheckPhase(clients, settings, clock, events, observations);
    this.adoption = new AdoptPhase(clients, settings, clock, events, failures, rechecks);
    this.starting =
        new StartPhase(
            clients,
            settings,
            clock,
            events,
            queue,
            observations,
            pollTiming,
            failures,
            tokens,
            new QuotaWait(settings, clock, random, events, listener, tokens));
    this.following =
        new FollowPhase(
            clients,
            settings,
            clock,
            events,
            observations,
            pollTiming,
            matching,
            failures,
            rechecks);
    this.deletion =
        new DeletionPhase(clients, settings, clock, events, secrets, matching, tokens, slotFreed);
  }

  /**
   * PolarDBAccessGrants and Namespaces: a change wakes the objects refused for want of a grant.
   * Freed quota slots: a deletion wakes the oldest backup waiting for one. Secrets are not watched:
   * they are read when needed ({@link SecretReader}), so a Secret created or fixed is noticed by
   * the retry timer of the backup that waits for it.
   */
  @Override
  public List<EventSource<?, PolarDBBackup>> prepareEventSources(
      EventSourceContext<PolarDBBackup> context) {
    // A refused object waits without a timer: a change of any grant, or of its namespace's labels,
    // is what can let it proceed.
    List<EventSource<?, PolarDBBackup>> sources = new java.util.ArrayList<>();
    sources.addAll(grantWatch.eventSources(context));
    sources.add(slotFreed);
    backups = context.getPrimaryCache();
    backups.addIndexers(BackupIndexes.all());
    return sources;
  }

  /**
   * Every backup this replica reconciles, as the metrics see it; none before the controller has its
   * cache.
   */
  public List<BackupReading> readings() {
    IndexerResourceCache<PolarDBBackup> cache = backups;
    return cache == null ? List.of() : cache.list().map(BackupReading::of).toList();
  }

  @Override
  public UpdateControl<PolarDBBackup> reconcile(
      PolarDBBackup backup, Context<PolarDBBackup> context) throws InterruptedException {
    // 0. Only where this shard may act (another shard's resource is handed over).
    var notHere = shardGuard.updateUnlessHere(backup, context.getClient());
    if (notHere.isPresent()) {
      return notHere.get();
    }
    BackupPass step = new BackupPass(backup, context, tools());

    // 1. Finished backups are final; a Succeeded one's set is looked for again now and then, as
    //    it may be deleted behind our back (not while paused: then nothing is called).
    if (step.status.isTerminal()) {
      noteSpecChange(step);
      return step.status.getPhase() == Phase.Succeeded && !backup.isPaused()
          ? rechecks.recheck(step)
          : step.saveAndWait(null);
    }
    // 2. Paused objects are left alone (deletion still works).
    if (backup.isPaused()) {
      return paused(step);
    }
    step.status.removeCondition(Reasons.PAUSED);
    // 3. First sight: record what we were asked for and the first ClientToken. Not written on its
    //    own: the first write of this pass (the fence before CreateBackup, or whatever stops the
    //    pass sooner) carries it, one request fewer per backup. No Event: Pending is no news.
    if (backup.getStatus() == null || backup.getStatus().getPhase() == null) {
      step.status =
          PolarDBBackupStatus.accept(
              uid(backup), backup.getSpec(), generation(backup), clock.instant());
    }
    noteSpecChange(step);
    // 4. Only what a grant allows (or the object's own credentials): no call otherwise.
    if (!step.permitted(step.neededActions())) {
      return step.saveAndWait(null);
    }
    // 5. Start the backup (or adopt an existing one), or follow the one already started.
    if (step.status.getBackupJobId() == null && backup.getSpec().adopts()) {
      return adoption.adopt(step);
    }
    return step.status.getBackupJobId() == null ? starting.start(step) : following.follow(step);
  }

  /** The spec is immutable; where an API server did not enforce that, the edit is ignored. */
  private void noteSpecChange(BackupPass step) {
    PolarDBBackupSpec spec = step.backup.getSpec();
    if (step.status.getAcceptedDbClusterId() == null || spec == null) {
      return;
    }
    boolean changed =
        !spec.dbClusterId().equals(step.status.getAcceptedDbClusterId())
            || !spec.regionId().equals(step.status.getAcceptedRegionId());
    if (changed && step.status.condition(Reasons.SPEC_CHANGE_IGNORED).isEmpty()) {
      String message =
          "The spec is immutable: this backup stays with cluster "
              + step.status.getAcceptedDbClusterId()
              + " in "
              + step.status.getAcceptedRegionId()
              + ". Create a new PolarDBBackup for another cluster.";
      step.status.setCondition(
          Reasons.SPEC_CHANGE_IGNORED, true, Reasons.SPEC_CHANGE_IGNORED, message, clock.instant());
      events.warning(step.backup, Reasons.SPEC_CHANGE_IGNORED, message);
    } else if (!changed) {
      step.status.removeCondition(Reasons.SPEC_CHANGE_IGNORED);
    }
    step.status.observed(generation(step.backup));
  }

  /**
   * Paused by annotation: nothing is called and nothing changes but the Paused condition. Removing
   * the annotation wakes the controller at once ({@link SpecOrLifecycleChange}).
   */
  private UpdateControl<PolarDBBackup> paused(BackupPass step) {
    if (step.status.condition(Reasons.PAUSED).isEmpty()) {
      String message = PolarDBBackup.PAUSED_MESSAGE;
      step.status.setCondition(Reasons.PAUSED, true, Reasons.PAUSED, message, clock.instant());
      events.normal(step.backup, Reasons.PAUSED, message);
      step.log("paused");
    }
    return step.saveAndWait(null);
  }

  /**
   * Keeps or deletes the cloud backup as the spec says. Every path ends: a conflict on a status
   * write is retried on a timer (not by the framework's limited retries), and past the deletion
   * timeout the finalizer goes with a Warning.
   */
  @Override
  public DeleteControl cleanup(PolarDBBackup backup, Context<PolarDBBackup> context) {
    var notHere = shardGuard.deleteUnlessHere(backup, context.getClient());
    if (notHere.isPresent()) {
      return notHere.get();
    }
    try {
      DeleteControl control = deletion.steps(backup, context, tools());
      if (control.isRemoveFinalizer()) {
        grantWatch.forget(ResourceID.fromResource(backup));
        // The Secret first: once this object is gone, nothing would ever take its finalizer off.
        credentialsInUse.released(context.getClient(), backup, LiveCache.list(context));
        claims.releaseAll(uid(backup));
        ClusterRef.named(backup).forEach(cluster -> pollTiming.forget(cluster, uid(backup)));
        forgetClustersNoOneElseUses(backup, context);
      }
      return control;
    } catch (StatusWriter.StaleStatusException e) {
      log.info("{}", e.getMessage());
      return DeleteControl.noFinalizerRemoval().rescheduleAfter(settings.deletionRetry());
    } catch (CloudAccess.GrantsUnknownException | LiveCache.StoppedException e) {
      // Never "no grant, so keep the backup and let go" from an empty view: try again.
      ResourceLog.info(log, backup, "deletion waits: {}", e.getMessage());
      return DeleteControl.noFinalizerRemoval().rescheduleAfter(settings.deletionRetry());
    } catch (KubernetesClientException e) {
      ResourceLog.info(
          log, backup, "deletion: a Kubernetes request failed ({}); trying again", e.getMessage());
      return DeleteControl.noFinalizerRemoval().rescheduleAfter(settings.deletionRetry());
    }
  }

  /**
   * What this process keeps per cluster (its CreateBackup lock, shared looks, claims, metrics) goes
   * with the cluster's last PolarDBBackup, so that it is bounded by the objects that exist: a
   * tenant who creates and deletes backups of a million made-up cluster ids leaves nothing behind.
   * Backups that are themselves being deleted do not keep a cluster: each one forgets it again when
   * its own finalizer goes.
   */
  private void forgetClustersNoOneElseUses(PolarDBBackup gone, Context<PolarDBBackup> context) {
    Set<ClusterRef> unused = ClusterRef.named(gone);
    LiveCache.list(context)
        .filter(other -> other.getMetadata().getDeletionTimestamp() == null)
        .filter(other -> !Objects.equals(uid(other), uid(gone)))
        .forEach(other -> unused.removeAll(ClusterRef.named(other)));
    for (ClusterRef cluster : unused) {
      queue.forget(cluster);
      observations.forget(cluster);
      claims.forget(cluster);
      rechecks.forget(cluster);
      pollTiming.forget(cluster);
      listener.clusterForgotten(cluster.regionId(), cluster.dbClusterId());
    }
  }

  /** The clusters this process keeps anything for (locks, looks, claims); for tests. */
  Set<ClusterRef> rememberedClusters() {
    Set<ClusterRef> clusters = new java.util.HashSet<>(queue.clusters());
    clusters.addAll(claims.clusters());
    clusters.addAll(observations.clusters());
    return clusters;
  }

  /** What a pass works with, as this reconciler holds it now. */
  private BackupPass.Tools tools() {
    return new BackupPass.Tools(
        settings, clock, events, listener, claims, credentialsInUse, accessSources);
  }
}
