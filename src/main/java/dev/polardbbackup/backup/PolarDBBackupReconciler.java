package dev.polardbbackup.backup;

import dev.polardbbackup.kube.Events;
import dev.polardbbackup.kube.ResourceLog;
import dev.polardbbackup.kube.SpecOrLifecycleChange;
import dev.polardbbackup.kube.StatusWriter;
import dev.polardbbackup.model.ClientToken;
import dev.polardbbackup.model.DeletionPolicy;
import dev.polardbbackup.model.GrantedAction;
import dev.polardbbackup.model.PolarDBAccessGrant;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupStatus;
import dev.polardbbackup.model.Reasons;
import dev.polardbbackup.polardb.ApiError;
import dev.polardbbackup.polardb.ApiResult;
import dev.polardbbackup.polardb.Backup;
import dev.polardbbackup.polardb.BackupTask;
import dev.polardbbackup.polardb.CredentialsProvider;
import dev.polardbbackup.polardb.DescribeBackupsQuery;
import dev.polardbbackup.polardb.PolarDbClient;
import dev.polardbbackup.polardb.PolarDbClientFactory;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;
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
 *   <li>Finish: Succeeded or Failed, both final.
 * </ol>
 *
 * Deletion keeps or deletes the cloud backup as the spec says, bounded in time.
 */
// Not generation-aware: the pause and force-delete annotations must act at once (see the filter).
@ControllerConfiguration(
    name = PolarDBBackupReconciler.NAME,
    generationAwareEventProcessing = false,
    informer = @Informer(onUpdateFilter = SpecOrLifecycleChange.class))
public class PolarDBBackupReconciler implements Reconciler<PolarDBBackup>, Cleaner<PolarDBBackup> {
  public static final String NAME = "polardbbackup";
  private static final Logger log = LoggerFactory.getLogger(PolarDBBackupReconciler.class);
  private static final Duration LOCK_WAIT = Duration.ofSeconds(2);
  private static final Duration SHARED_LOOKBACK = Duration.ofDays(7);
  // DescribeBackups needs a window; an adopted backup may be old.
  private static final Duration ADOPT_LOOKBACK = Duration.ofDays(730);
  // Before the first CreateBackup of a token: the last shared look, if this recent, tells which
  // manual backups already existed.
  private static final Duration PREEXISTING_LOOKBACK = Duration.ofMinutes(1);
  private static final int MAX_PREEXISTING = 50;

  private final PolarDbClientFactory clients;
  private final CredentialsProvider operatorCredentials;
  private final ControllerSettings settings;
  private final Clock clock;
  private final RandomGenerator random;
  private final Events events;
  private final BackupListener listener;
  private final ClusterQueue queue = new ClusterQueue();
  private final BackupClaims claims = new BackupClaims();
  private final ClusterObservations observations;
  private final PollTiming pollTiming;
  private final SecretReader secrets;
  private final CredentialsInUse credentialsInUse;
  private InformerEventSource<PolarDBAccessGrant, PolarDBBackup> grants;
  private InformerEventSource<Namespace, PolarDBBackup> namespaces;
  // Where the Secrets that grants name live; null when not known (then such grants cannot lend).
  private final String operatorNamespace;
  // Objects deciding on, or refused, a grant: a change of grants or namespaces wakes these. An
  // object joins before it reads the grants, so a change that its read missed still wakes it.
  private final Set<ResourceID> awaitingGrant = ConcurrentHashMap.newKeySet();
  private final SimpleInboundEventSource<PolarDBBackup> slotFreed =
      new SimpleInboundEventSource<>("slot-freed");

  public PolarDBBackupReconciler(
      PolarDbClientFactory clients,
      CredentialsProvider operatorCredentials,
      ControllerSettings settings,
      Clock clock,
      RandomGenerator random,
      Events events,
      BackupListener listener,
      SecretReader secrets,
      String operatorNamespace) {
    this.clients = clients;
    this.operatorNamespace = operatorNamespace;
    this.secrets = secrets;
    this.credentialsInUse = new CredentialsInUse(secrets);
    this.listener = listener;
    this.observations = new ClusterObservations(clock);
    this.pollTiming = new PollTiming(clock, settings);
    this.operatorCredentials = operatorCredentials;
    this.settings = settings;
    this.clock = clock;
    this.random = random;
    this.events = events;
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
    grants =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(PolarDBAccessGrant.class, PolarDBBackup.class)
                .withSecondaryToPrimaryMapper((PolarDBAccessGrant g) -> Set.copyOf(awaitingGrant))
                // Cluster-scoped: one informer over the cluster, whatever the controller watches.
                .withWatchAllNamespaces()
                .build(),
            context);
    namespaces =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Namespace.class, PolarDBBackup.class)
                .withSecondaryToPrimaryMapper(
                    (Namespace ns) ->
                        awaitingGrant.stream()
                            .filter(id -> id.getNamespace().orElse("").equals(name(ns)))
                            .collect(Collectors.toSet()))
                .withWatchAllNamespaces()
                .build(),
            context);
    return List.of(grants, namespaces, slotFreed);
  }

  private static String name(Namespace ns) {
    return ns.getMetadata().getName();
  }

  @Override
  public UpdateControl<PolarDBBackup> reconcile(
      PolarDBBackup backup, Context<PolarDBBackup> context) throws InterruptedException {
    BackupPass step = new BackupPass(backup, context, tools());

    // 1. Finished backups are final.
    if (step.status.isTerminal()) {
      step.noteSpecChange();
      return step.saveAndWait(null);
    }
    // 2. Paused objects are left alone (deletion still works).
    if (backup.isPaused()) {
      return paused(step);
    }
    step.status.removeCondition(Reasons.PAUSED);
    // 3. First sight: record what we were asked for and the first ClientToken.
    if (backup.getStatus() == null || backup.getStatus().getPhase() == null) {
      step.status =
          PolarDBBackupStatus.accept(
              uid(backup), backup.getSpec(), generation(backup), clock.instant());
      step.save();
      events.normal(
          backup,
          Reasons.PENDING,
          "Accepted backup of cluster " + backup.getSpec().dbClusterId() + ".");
    }
    step.noteSpecChange();
    // 4. Only what a grant allows (or the object's own credentials): no call otherwise.
    if (!step.permitted(step.neededActions())) {
      return step.saveAndWait(null);
    }
    // 5. Start the backup (or adopt an existing one), or follow the one already started.
    if (step.status.getBackupJobId() == null && backup.getSpec().adopts()) {
      return adopt(step);
    }
    return step.status.getBackupJobId() == null ? start(step) : follow(step);
  }

  /**
   * Paused by annotation: nothing is called and nothing changes but the Paused condition. Removing
   * the annotation wakes the controller at once ({@link SpecOrLifecycleChange}).
   */
  private UpdateControl<PolarDBBackup> paused(BackupPass step) {
    if (step.status.condition(Reasons.PAUSED).isEmpty()) {
      String message =
          "Reconciliation is paused by the annotation "
              + PolarDBBackup.PAUSED_ANNOTATION
              + "=true; remove it to resume.";
      step.status.setCondition(Reasons.PAUSED, true, Reasons.PAUSED, message, clock.instant());
      events.normal(step.backup, Reasons.PAUSED, message);
      step.log("paused");
    }
    return step.saveAndWait(null);
  }

  // ---------------------------------------------------------------- adopt

  /**
   * Takes an existing backup set under management: no CreateBackup, status from DescribeBackups.
   */
  private UpdateControl<PolarDBBackup> adopt(BackupPass step) {
    String id = step.backup.getSpec().backupId();
    // A backup set has one owner: never adopt one that another PolarDBBackup holds, in any
    // namespace, or it could delete another team's backup. Checked before any call.
    Optional<String> holder = holderOf(step, id);
    if (holder.isPresent()) {
      return adoptionWaits(
          step,
          "Backup "
              + id
              + " of cluster "
              + step.clusterId()
              + " is held by "
              + holder.get()
              + "; a backup set has one owner. Adoption waits until that object is gone (delete it"
              + " with deletionPolicy Retain to hand the backup over).",
          // Only the informer cache is read again: as cheap as a queued backup's wait.
          settings.queueRecheck());
    }
    Optional<CredentialsProvider> credentials = step.credentials();
    if (credentials.isEmpty()) {
      return step.saveAndWait(step.credentialsRetry);
    }
    PolarDbClient polarDb = clients.forRegion(step.regionId(), credentials.get());
    Instant now = clock.instant();
    ApiResult<List<Backup>> found =
        polarDb.describeAllBackups(
            DescribeBackupsQuery.byId(
                step.clusterId(), id, now.minus(ADOPT_LOOKBACK), now.plus(Duration.ofMinutes(1))));
    if (!found.isOk()) {
      return handleError(step, found.error(), "DescribeBackups");
    }
    Optional<Backup> backup =
        found.value().stream().filter(b -> id.equals(b.backupId())).findFirst();
    if (backup.isEmpty()) {
      String message =
          "Backup " + id + " of cluster " + step.clusterId() + " does not exist; nothing to adopt.";
      step.status.failed(Reasons.BACKUP_NOT_FOUND, message, requestId(found), now);
      events.warning(step.backup, Reasons.BACKUP_NOT_FOUND, message);
      return step.saveAndWait(null);
    }
    Backup b = backup.get();
    // A set made after another PolarDBBackup's first CreateBackup may be that one's own, which it
    // has not identified yet: taking it would leave that one without its backup.
    long mayBeMade = mayBeMadeByAnother(step, b);
    if (mayBeMade > 0) {
      return adoptionWaits(
          step,
          "Backup "
              + id
              + " started after "
              + mayBeMade
              + " other PolarDBBackup(s) of cluster "
              + step.clusterId()
              + " sent their CreateBackup, and may be one of theirs; adoption waits until they"
              + " know their backup sets.",
          // The next look is a DescribeBackups call: at the pace of a running backup's checks.
          settings.pollMax());
    }
    if (!step.claim(id)) {
      return adoptionWaits(
          step,
          "Backup " + id + " is being taken by another PolarDBBackup of this operator right now.",
          settings.queueRecheck());
    }
    if (b.succeeded()) {
      step.status.succeeded(
          b.backupId(), b.backupSetSize(), b.consistentTime(), b.endTime(), requestId(found), now);
      events.normal(step.backup, Reasons.BACKUP_SUCCEEDED, "Adopted backup " + id + ".");
      return step.saveAndWait(null);
    }
    if (b.failed()) {
      String message = "Adopted backup " + id + " is Failed in PolarDB.";
      step.status.failed(Reasons.BACKUP_FAILED, message, requestId(found), now);
      events.warning(step.backup, Reasons.BACKUP_FAILED, message);
      return step.saveAndWait(null);
    }
    Instant next = now.plus(settings.pollMax());
    step.status.adopting(
        id,
        "Adopted backup " + id + " is still " + b.backupStatus() + "; waiting for it to finish.",
        next,
        requestId(found),
        now);
    return step.saveAndWait(settings.pollMax());
  }

  /**
   * Records why adoption waits, with one Warning when it starts to wait, and looks again after
   * {@code recheck}.
   */
  private UpdateControl<PolarDBBackup> adoptionWaits(
      BackupPass step, String why, Duration recheck) {
    if (!Reasons.BACKUP_ALREADY_CLAIMED.equals(step.status.getReason())) {
      events.warning(step.backup, Reasons.BACKUP_ALREADY_CLAIMED, why);
      step.log("adoption waits: {}", why);
    }
    step.status.adoptionWaits(why, clock.instant().plus(recheck), clock.instant());
    return step.saveAndWait(recheck);
  }

  /**
   * Who else holds backup set {@code id} of this cluster, named as this object's owner may see it:
   * a PolarDBBackup whose status names the set (it made, matched or adopted it), or an older one
   * that adopts the same id. Objects of other namespaces are not named.
   */
  private Optional<String> holderOf(BackupPass step, String id) {
    return step.context
        .getPrimaryCache()
        .list()
        .filter(other -> !Objects.equals(uid(other), uid(step.backup)))
        .filter(other -> step.clusterId().equals(ClusterRef.of(other).dbClusterId()))
        .filter(other -> holds(other, id, step.backup))
        .findFirst()
        .map(
            other ->
                other.getMetadata().getNamespace().equals(step.backup.getMetadata().getNamespace())
                    ? "PolarDBBackup " + other.getMetadata().getName()
                    : "a PolarDBBackup in another namespace");
  }

  private static boolean holds(PolarDBBackup other, String id, PolarDBBackup me) {
    PolarDBBackupStatus s = other.getStatus();
    if (s != null && id.equals(s.getBackupId())) {
      return true;
    }
    boolean gaveUp = s != null && s.isTerminal();
    return other.getSpec().adopts()
        && id.equals(other.getSpec().backupId())
        && !gaveUp
        && olderThan(other, me);
  }

  /** Creation order, the uid breaking a tie within one second. */
  private static boolean olderThan(PolarDBBackup a, PolarDBBackup b) {
    int byTime =
        Instant.parse(a.getMetadata().getCreationTimestamp())
            .compareTo(Instant.parse(b.getMetadata().getCreationTimestamp()));
    return byTime != 0 ? byTime < 0 : uid(a).compareTo(uid(b)) < 0;
  }

  /**
   * How many other PolarDBBackups of the cluster have sent a CreateBackup, know no backup set yet
   * and are not finished, with a first send no later than {@code set} started (plus the skew): the
   * set may be one of theirs.
   */
  private long mayBeMadeByAnother(BackupPass step, Backup set) {
    Instant started = set.startTime().orElse(Instant.MAX);
    return step.othersOnCluster().stream()
        .filter(s -> s.getBackupId() == null && !s.isTerminal())
        .filter(
            s ->
                s.tokenFirstSentInstant()
                    .map(first -> !started.isBefore(first.minus(BackupSetLocator.SEND_SKEW)))
                    .orElse(false))
        .count();
  }

  // ---------------------------------------------------------------- start

  private UpdateControl<PolarDBBackup> start(BackupPass step) throws InterruptedException {
    Optional<CredentialsProvider> credentials = step.credentials();
    if (credentials.isEmpty()) {
      return step.saveAndWait(step.credentialsRetry);
    }
    String token = step.status.getClientToken();
    if (!ownsToken(step.backup, token)) {
      return refuseForeignToken(step, token);
    }
    // A token already sent goes again before anything else: its backup may already hold the slot
    // that the older waiters are waiting for.
    if (!step.status.tokenSent()) {
      Optional<PolarDBBackup> older =
          ClusterQueue.olderWaiter(step.backup, step.context.getPrimaryCache().list());
      if (older.isPresent()) {
        Instant next = clock.instant().plus(settings.queueRecheck());
        step.status.queued(
            "Waiting behind the older backup "
                + older.get().getMetadata().getName()
                + " for a manual-backup slot of cluster "
                + step.clusterId()
                + ".",
            next,
            clock.instant());
        return step.saveAndWait(settings.queueRecheck());
      }
    }
    PolarDbClient polarDb = clients.forRegion(step.regionId(), credentials.get());
    if (step.status.tokenSent() && outlivedReuseWindow(step.status)) {
      return recoverForgottenToken(step, polarDb);
    }
    Optional<Sent> sent =
        queue.exclusively(step.cluster(), LOCK_WAIT.toMillis(), () -> send(step, polarDb, token));
    if (sent.isEmpty()) {
      return step.saveAndWait(LOCK_WAIT);
    }
    ApiResult<String> result = sent.get().result();
    if (result instanceof ApiResult.Ok<String> ok) {
      step.status.started(ok.value(), ok.requestId(), clock.instant());
      step.save();
      step.log(
          "started backup job {} with ClientToken {} (RequestId {})",
          ok.value(),
          token,
          ok.requestId());
      events.normal(
          step.backup,
          Reasons.BACKUP_RUNNING,
          "PolarDB started backup job " + ok.value() + " (RequestId " + ok.requestId() + ").");
      return step.saveAndWait(pollTiming.first());
    }
    ApiError error = result.error();
    if (sent.get().action().equals("CreateBackup") && error.kind().isDefiniteRejection()) {
      step.status.createRefused(sent.get().earlierUnknown());
    }
    return switch (error.kind()) {
      case QUOTA_EXHAUSTED -> waitForQuota(step, polarDb, error);
      default -> handleError(step, error, sent.get().action());
    };
  }

  /**
   * What went out under the cluster's lock: the action whose reply {@code result} is, and whether
   * an earlier call with the token already had an unknown outcome.
   */
  private record Sent(String action, ApiResult<String> result, boolean earlierUnknown) {}

  /**
   * One CreateBackup, fenced: record the send in status with optimistic locking and call only if
   * that write succeeded. A crash or a lost write after the call still leaves the trace of a
   * possible backup, and a replica with a stale view gets a conflict instead of sending. On the
   * first send of a token, the manual backups that the last shared look of the cluster listed are
   * recorded too: none of them can be ours.
   */
  private Sent send(BackupPass step, PolarDbClient polarDb, String token) {
    Instant now = clock.instant();
    List<String> preexisting = List.of();
    if (!step.status.tokenSent()) {
      // Only a set that started at most SEND_SKEW before our send can be mistaken for ours; the
      // last look taken anyway may list some. No look is made for this: one would only reduce
      // doubt, never prevent a wrong claim.
      Instant recent = now.minus(BackupSetLocator.SEND_SKEW).minusSeconds(1);
      preexisting =
          observations
              .<List<Backup>>recent(step.observationKey("backups"), now.minus(PREEXISTING_LOOKBACK))
              .orElse(List.of())
              .stream()
              .filter(b -> b.startTime().map(t -> !t.isBefore(recent)).orElse(true))
              .map(Backup::backupId)
              .limit(MAX_PREEXISTING)
              .toList();
    }
    boolean earlierUnknown = step.status.sending(now, preexisting);
    step.save();
    return new Sent("CreateBackup", polarDb.createBackup(step.clusterId(), token), earlierUnknown);
  }

  /**
   * The current token was first sent longer ago than PolarDB can be trusted to remember it: sending
   * it again could make a second backup. Look first. Nothing made since the first send: a new token
   * is safe. Something made since that nobody else holds: it may be ours, or someone else's; the
   * backup fails with UncertainOutcome and names the candidates, and deletion leaves them alone.
   */
  private UpdateControl<PolarDBBackup> recoverForgottenToken(BackupPass step, PolarDbClient polarDb)
      throws InterruptedException {
    if (step.status.tokenMadeNothing()) {
      // Every call with it was refused: nothing to look for.
      step.status.newClientToken(uid(step.backup));
      step.save();
      return start(step);
    }
    ApiResult<Evidence> look = lookForOwnBackup(step, polarDb);
    if (!look.isOk()) {
      return handleError(step, look.error(), "DescribeBackups");
    }
    Evidence evidence = look.value();
    String token = step.status.getClientToken();
    if (evidence.none()) {
      step.log(
          "ClientToken {} was first sent at {} and made no backup; using a new token",
          token,
          step.status.getClientTokenFirstSent());
      step.status.newClientToken(uid(step.backup));
      step.save();
      return start(step);
    }
    // Something was made since the first send that nobody else holds, and sending the token again
    // could make a second backup. Which, if any, is ours cannot be told: taking one could take
    // someone else's. Stop, and say which ones to check.
    String message =
        "CreateBackup with ClientToken "
            + token
            + " (first sent "
            + step.status.getClientTokenFirstSent()
            + ") got no usable reply, and that was longer ago than PolarDB is trusted to remember"
            + " the token, so it is not sent again. Manual backups made since then that no other"
            + " PolarDBBackup holds: "
            + String.join(", ", evidence.ids())
            + ". One of them may be this resource's backup: check them in the PolarDB console."
            + " This resource will not delete any of them; create a new PolarDBBackup if none is"
            + " yours.";
    step.status.failed(Reasons.UNCERTAIN_OUTCOME, message, requestId(look), clock.instant());
    events.warning(step.backup, Reasons.UNCERTAIN_OUTCOME, message);
    step.log("failed: {}", message);
    return step.saveAndWait(null);
  }

  private boolean outlivedReuseWindow(PolarDBBackupStatus status) {
    return status
        .tokenFirstSentInstant()
        .map(t -> Duration.between(t, clock.instant()).compareTo(settings.tokenReuseWindow()) > 0)
        .orElse(false);
  }

  /** Manual backups and jobs made since the current token was first sent that no one else holds. */
  private record Evidence(List<Backup> sets, List<BackupTask> jobs) {
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
  private ApiResult<Evidence> lookForOwnBackup(BackupPass step, PolarDbClient polarDb) {
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

  /**
   * A ClientToken is ours only if it is our UID or {@code <uid>-<n>}. Anything else in status was
   * written by someone else (a status edit, a restored copy of another object); calling
   * CreateBackup with it could hand us another resource's backup, so refuse.
   */
  private static boolean ownsToken(PolarDBBackup backup, String token) {
    return ClientToken.isOwnedBy(token, uid(backup));
  }

  private UpdateControl<PolarDBBackup> refuseForeignToken(BackupPass step, String token) {
    String message =
        "status.clientToken "
            + token
            + " was not made for this resource (UID "
            + uid(step.backup)
            + "); CreateBackup is refused so that no backup is shared. Delete and recreate this"
            + " PolarDBBackup.";
    step.status.failed(Reasons.CLIENT_TOKEN_MISMATCH, message, null, clock.instant());
    events.warning(step.backup, Reasons.CLIENT_TOKEN_MISMATCH, message);
    step.log("failed: {}", message);
    return step.saveAndWait(null);
  }

  /**
   * PolarDB refused for quota. Whether the next attempt may use a new token depends on what the
   * current one may have done: if every call with it was definitely refused, it made nothing. If an
   * earlier call's outcome is unknown, this refusal proves nothing (PolarDB may check the quota
   * before it looks at the token, and the quota may be full with our own backup): only a look that
   * finds nothing made since the first send allows a new token.
   */
  private UpdateControl<PolarDBBackup> waitForQuota(
      BackupPass step, PolarDbClient polarDb, ApiError error) {
    boolean newToken = step.status.tokenMadeNothing();
    String doubt = "";
    if (!newToken) {
      ApiResult<Evidence> look = lookForOwnBackup(step, polarDb);
      if (look.isOk() && look.value().none()) {
        newToken = true;
        step.log(
            "ClientToken {} made no backup (nothing new since {})",
            step.status.getClientToken(),
            step.status.getClientTokenFirstSent());
      } else {
        doubt =
            (look.isOk()
                    ? " Backups made since the first attempt ("
                        + String.join(", ", look.value().ids())
                        + ") may include this resource's own,"
                    : " Could not look for a backup made by the first attempt ("
                        + look.error().code()
                        + "),")
                + " so the next attempt sends ClientToken "
                + step.status.getClientToken()
                + " again.";
      }
    }
    int waits = Optional.ofNullable(step.status.getQuotaWaits()).orElse(0) + 1;
    Duration delay = settings.quotaBackoff().delay(waits, random);
    Instant next = clock.instant().plus(delay);
    String holders = slotHolders(manualBackups(polarDb, step.clusterId()));
    String message =
        "The manual-backup quota of cluster "
            + step.clusterId()
            + " is used up ("
            + error.describe()
            + "). "
            + holders
            + doubt
            + " Next attempt at "
            + next.truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
            + ".";
    step.status.waitForQuota(
        uid(step.backup), newToken, message, next, error.requestId(), clock.instant());
    listener.quotaWait(step.regionId(), step.clusterId());
    step.log("quota exhausted, waiting {} (RequestId {})", delay, error.requestId());
    events.warning(step.backup, Reasons.WAITING_FOR_QUOTA, message);
    return step.saveAndWait(delay);
  }

  /** The cluster's manual backups of the last 30 days, to tell who holds the quota's slots. */
  private ApiResult<List<Backup>> manualBackups(PolarDbClient polarDb, String clusterId) {
    Instant now = clock.instant();
    return polarDb.describeAllBackups(
        DescribeBackupsQuery.manual(
            clusterId, now.minus(Duration.ofDays(30)), now.plus(Duration.ofMinutes(1))));
  }

  /** Which manual backups hold the slots, so the user knows what to delete. */
  private static String slotHolders(ApiResult<List<Backup>> backups) {
    if (!backups.isOk()) {
      return "Could not list its manual backups (" + backups.error().code() + ").";
    }
    List<Backup> manual = backups.value().stream().filter(Backup::manual).toList();
    if (manual.isEmpty()) {
      return "PolarDB lists no manual backups in the last 30 days (the quota may be per day).";
    }
    return "Slots are held by: "
        + manual.stream()
            .limit(10)
            .map(
                b ->
                    b.backupId()
                        + " ("
                        + b.backupStatus()
                        + b.startTime().map(t -> ", " + t).orElse("")
                        + ")")
            .collect(Collectors.joining(", "))
        + ". Delete one to free a slot.";
  }

  // ---------------------------------------------------------------- follow

  private UpdateControl<PolarDBBackup> follow(BackupPass step) {
    Optional<CredentialsProvider> credentials = step.credentials();
    if (credentials.isEmpty()) {
      return step.saveAndWait(step.credentialsRetry);
    }
    PolarDbClient polarDb = clients.forRegion(step.regionId(), credentials.get());
    String jobId = step.status.getBackupJobId();

    // Progress first: one look at the cluster's jobs answers for every backup of it.
    ApiResult<List<BackupTask>> tasks =
        observations.look(
            step.observationKey("tasks"),
            pollTiming.oldestUsableTasksLook(step.status),
            () -> polarDb.describeBackupTasks(step.clusterId(), Optional.empty()));
    if (!tasks.isOk()) {
      return handleError(step, tasks.error(), "DescribeBackupTasks");
    }
    Optional<BackupTask> task =
        tasks.value().stream().filter(t -> jobId.equals(t.backupJobId())).findFirst();
    task.flatMap(BackupTask::startTime).ifPresent(step.status::jobStarted);
    step.listedJobs = tasks.value();
    if (task.isPresent() && !task.get().finished()) {
      BackupTask t = task.get();
      step.status.progressed(
          t.progressPercent(), t.progressStatus(), requestId(tasks), clock.instant());
      Duration next = pollTiming.next(step.status);
      log.debug(
          "{}: job {} at {}% ({}), next look in {}",
          step.backup.getMetadata().getName(),
          jobId,
          t.progressPercent(),
          t.progressStatus(),
          next);
      return step.saveAndWait(next);
    }
    // The job has ended (Finished, or no longer listed after having been seen): the backup set
    // tells how. A job never seen in DescribeBackupTasks may just not be listed yet: only its own
    // id can answer for it until the grace has passed.
    boolean ended = task.isPresent() || jobMayHaveEnded(step.status);
    ApiResult<BackupSetLocator.Match> located = locateShared(step, polarDb);
    if (!located.isOk()) {
      return handleError(step, located.error(), "DescribeBackups");
    }
    BackupSetLocator.Match match = located.value();
    if (match.set().isEmpty()) {
      if (!ended) {
        return step.saveAndWait(pollTiming.next(step.status));
      }
      Instant endedSince = step.status.jobEndedSince(clock.instant());
      if (Duration.between(endedSince, clock.instant()).compareTo(settings.backupNotFoundTimeout())
          > 0) {
        String message =
            "Backup job "
                + jobId
                + (match.undecided()
                    ? " ended, but its backup set cannot be told apart from "
                        + String.join(", ", match.otherCandidates())
                        + ", which started in the same second (one may be someone else's)."
                    : " ended but PolarDB lists no backup set for it"
                        + (step.status.getJobStartTime() == null
                            ? " (the job was never listed by DescribeBackupTasks)."
                            : "."));
        step.status.failed(Reasons.BACKUP_NOT_FOUND, message, requestId(located), clock.instant());
        events.warning(step.backup, Reasons.BACKUP_NOT_FOUND, message);
        return step.saveAndWait(null);
      }
      return step.saveAndWait(pollTiming.next(step.status));
    }
    Backup b = match.set().get();
    step.status.identified(b.backupId());
    if (match.ambiguous()) {
      recordDoubt(step, b, match);
    }
    if (b.succeeded()) {
      step.status.succeeded(
          b.backupId(),
          b.backupSetSize(),
          b.consistentTime(),
          b.endTime(),
          requestId(located),
          clock.instant());
      step.log("backup {} succeeded", b.backupId());
      events.normal(
          step.backup,
          Reasons.BACKUP_SUCCEEDED,
          "Backup " + b.backupId() + " is complete (RequestId " + requestId(located) + ").");
      return step.saveAndWait(null);
    }
    if (b.failed()) {
      String message =
          "PolarDB reports backup "
              + b.backupId()
              + " (job "
              + jobId
              + ") as Failed (RequestId "
              + requestId(located)
              + ").";
      step.status.failed(Reasons.BACKUP_FAILED, message, requestId(located), clock.instant());
      step.log("backup {} failed", b.backupId());
      events.warning(step.backup, Reasons.BACKUP_FAILED, message);
      return step.saveAndWait(null);
    }
    if (ended) {
      // The docs name only Success and Failed; a set that stays in another status after its job
      // ended would otherwise be polled for ever.
      Instant endedSince = step.status.jobEndedSince(clock.instant());
      if (Duration.between(endedSince, clock.instant()).compareTo(settings.backupNotFoundTimeout())
          > 0) {
        String message =
            "Backup "
                + b.backupId()
                + " is still in status '"
                + b.backupStatus()
                + "' "
                + settings.backupNotFoundTimeout()
                + " after its job ended; PolarDB documents only Success and Failed. Treated as"
                + " failed; check it in the PolarDB console.";
        step.status.failed(
            Reasons.BACKUP_STATUS_UNKNOWN, message, requestId(located), clock.instant());
        events.warning(step.backup, Reasons.BACKUP_STATUS_UNKNOWN, message);
        step.log("failed: {}", message);
        return step.saveAndWait(null);
      }
    }
    return step.saveAndWait(pollTiming.next(step.status));
  }

  /**
   * A job that DescribeBackupTasks does not list has ended if it was listed before. One never
   * listed may not be listed yet (PolarDB may list a new job late); it counts as ended only once it
   * has been missing for the longest poll interval (pollMax), as it may have come and gone while
   * nobody looked.
   */
  private boolean jobMayHaveEnded(PolarDBBackupStatus status) {
    if (status.getJobStartTime() != null) {
      return true;
    }
    return status
        .startInstant()
        // startTime has whole seconds: add one so that the grace is never shorter than pollMax.
        .map(
            t ->
                Duration.between(t, clock.instant()).compareTo(settings.pollMax().plusSeconds(1))
                    >= 0)
        .orElse(true);
  }

  /** Matched by start time with room for doubt: say so once; deletion will never delete it. */
  private void recordDoubt(BackupPass step, Backup chosen, BackupSetLocator.Match match) {
    List<String> candidates = new java.util.ArrayList<>();
    candidates.add(chosen.backupId());
    candidates.addAll(match.otherCandidates());
    if (candidates.equals(step.status.getUncertainMatch())) {
      return;
    }
    step.status.matchedWithDoubt(candidates);
    String message =
        "Backup job "
            + step.status.getBackupJobId()
            + " was matched to backup set "
            + chosen.backupId()
            + " by start time, but "
            + String.join(", ", match.otherCandidates())
            + " started at about the same time and no other PolarDBBackup claims "
            + (match.otherCandidates().size() == 1 ? "it" : "them")
            + ": one of them may have been made by someone else. This resource will never delete"
            + " its cloud backup; check job "
            + step.status.getBackupJobId()
            + " in the PolarDB console.";
    step.status.setCondition(
        Reasons.UNCERTAIN_MATCH, true, Reasons.UNCERTAIN_MATCH, message, clock.instant());
    events.warning(step.backup, Reasons.UNCERTAIN_MATCH, message);
    step.log("{}", message);
  }

  /**
   * Finds the backup set of our job whether or not PolarDB gives it the job's id: first by id, then
   * through {@link BackupSetLocator} among the cluster's manual backups that no other PolarDBBackup
   * has claimed.
   */
  private ApiResult<BackupSetLocator.Match> locate(BackupPass step, PolarDbClient polarDb) {
    String known =
        Optional.ofNullable(step.status.getBackupId()).orElse(step.status.getBackupJobId());
    Instant jobStart = step.status.jobStartInstant().orElse(clock.instant());
    Instant from =
        step.status.getBackupJobId() == null
            ? clock.instant().minus(ADOPT_LOOKBACK)
            : jobStart.minus(Duration.ofMinutes(10));
    Instant to = clock.instant().plus(Duration.ofMinutes(1));
    return match(
        step,
        polarDb.describeAllBackups(DescribeBackupsQuery.byId(step.clusterId(), known, from, to)),
        () -> polarDb.describeAllBackups(DescribeBackupsQuery.manual(step.clusterId(), from, to)));
  }

  /**
   * {@link #locate} for a running backup, from one shared look at all the cluster's manual backups
   * of the last week: backups of one cluster that finish together cost one call.
   */
  private ApiResult<BackupSetLocator.Match> locateShared(BackupPass step, PolarDbClient polarDb) {
    Instant now = clock.instant();
    Instant jobStart = step.status.jobStartInstant().orElse(now);
    if (jobStart.isBefore(now.minus(SHARED_LOOKBACK).plus(Duration.ofMinutes(10)))) {
      return locate(step, polarDb);
    }
    ApiResult<List<Backup>> manual =
        observations.look(
            step.observationKey("backups"),
            pollTiming.oldestUsableSetsLook(),
            () ->
                polarDb.describeAllBackups(
                    DescribeBackupsQuery.manual(
                        step.clusterId(),
                        now.minus(SHARED_LOOKBACK),
                        now.plus(Duration.ofMinutes(1)))));
    return match(step, manual, () -> manual);
  }

  /**
   * Our backup set among {@code listed}: the one with our known id (the backup id once identified,
   * else the job id). If the id is a backup id, absence is the answer; if it is only a job id,
   * PolarDB may have given the set another id, so match among {@code manual} by start time, once
   * the job has been seen (or the grace for a never-listed job has passed).
   */
  private ApiResult<BackupSetLocator.Match> match(
      BackupPass step,
      ApiResult<List<Backup>> listed,
      java.util.function.Supplier<ApiResult<List<Backup>>> manual) {
    if (!listed.isOk()) {
      return new ApiResult.Failed<>(listed.error());
    }
    String known =
        Optional.ofNullable(step.status.getBackupId()).orElse(step.status.getBackupJobId());
    Optional<Backup> exact =
        listed.value().stream().filter(b -> known.equals(b.backupId())).findFirst();
    if (exact.isPresent() || step.status.getBackupId() != null) {
      return new ApiResult.Ok<>(new BackupSetLocator.Match(exact, List.of()), requestId(listed));
    }
    if (!jobMayHaveEnded(step.status)) {
      return new ApiResult.Ok<>(BackupSetLocator.Match.NONE, requestId(listed));
    }
    ApiResult<List<Backup>> candidates = manual.get();
    if (!candidates.isOk()) {
      return new ApiResult.Failed<>(candidates.error());
    }
    BackupSetLocator.Match found = locateIn(step, candidates.value());
    if (found.set().isPresent() && !step.claim(found.set().get().backupId())) {
      // Another resource of this process claimed it a moment ago; look again next time.
      return new ApiResult.Ok<>(BackupSetLocator.Match.NONE, requestId(candidates));
    }
    return new ApiResult.Ok<>(found, requestId(candidates));
  }

  /**
   * Matches our job to one of the cluster's manual backups that could be ours: by PolarDB's start
   * of the job when it was seen, else within the window of our sends.
   */
  private BackupSetLocator.Match locateIn(BackupPass step, List<Backup> manual) {
    PolarDBBackupStatus status = step.status;
    Optional<Instant> jobStart = Optional.ofNullable(status.getJobStartTime()).map(Instant::parse);
    // Statuses written before the send times were recorded have only the reply's time.
    Instant firstSent =
        status.tokenFirstSentInstant().or(status::startInstant).orElse(clock.instant());
    Instant lastSent =
        Optional.ofNullable(status.getClientTokenLastSent())
            .map(Instant::parse)
            .or(status::startInstant)
            .orElse(clock.instant());
    Instant earliest =
        status.tokenFirstSentInstant().isPresent()
            ? BackupSetLocator.earliestStart(firstSent)
            : firstSent.minus(BackupSetLocator.MAX_SKEW);
    Instant latest = lastSent.plus(BackupSetLocator.MAX_SKEW);
    Set<String> excluded = new java.util.HashSet<>(step.claimedByOthers());
    excluded.addAll(status.preexisting());
    Instant near = jobStart.orElse(lastSent);
    List<PolarDBBackupStatus> unidentified =
        step.othersOnCluster().stream()
            .filter(s -> s.getBackupJobId() != null && s.getBackupId() == null)
            .filter(s -> s.jobStartInstant().isPresent())
            .toList();
    // Others of ours that may own one of these sets: unidentified jobs, and calls whose outcome is
    // unknown, near ours in time.
    List<Instant> possibleOwners =
        step.othersOnCluster().stream()
            .filter(
                s ->
                    s.getBackupJobId() != null && s.getBackupId() == null
                        || s.mayHaveUnseenBackup())
            .map(s -> s.jobStartInstant().or(s::tokenFirstSentInstant))
            .flatMap(Optional::stream)
            .toList();
    Set<String> sameSecondJobs =
        jobStart
            .map(t -> sameSecondJobs(step, unidentified, t))
            .orElseGet(() -> jobsSentMeanwhile(step, earliest, latest));
    int othersNear =
        (int)
            possibleOwners.stream()
                .filter(
                    t -> Duration.between(t, near).abs().compareTo(BackupSetLocator.MAX_SKEW) <= 0)
                .count();
    return BackupSetLocator.locate(
        status.getBackupJobId(),
        jobStart,
        earliest,
        latest,
        manual,
        excluded,
        sameSecondJobs,
        othersNear);
  }

  /**
   * The other manual jobs that started in the same second as ours: those of other unidentified
   * PolarDBBackups, and any other listed by the last DescribeBackupTasks (a DBA's, say). Job ids
   * and backup ids are handed out in creation order, so our rank among them picks our set.
   */
  private static Set<String> sameSecondJobs(
      BackupPass step, List<PolarDBBackupStatus> unidentified, Instant jobStart) {
    Instant second = jobStart.truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    Set<String> jobs = new java.util.HashSet<>();
    unidentified.stream()
        .filter(
            s ->
                s.jobStartInstant()
                    .get()
                    .truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                    .equals(second))
        .map(PolarDBBackupStatus::getBackupJobId)
        .forEach(jobs::add);
    // Jobs of other PolarDBBackups are counted above while unidentified; once identified, their
    // sets are no longer candidates, so their jobs must not count either.
    Set<String> ours = step.jobsOfOthers();
    step.listedJobs.stream()
        .filter(t -> !"Automated".equalsIgnoreCase(t.jobMode()))
        .filter(t -> !t.backupJobId().equals(step.status.getBackupJobId()))
        .filter(t -> !ours.contains(t.backupJobId()))
        .filter(
            t ->
                t.startTime()
                    .map(x -> x.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).equals(second))
                    .orElse(false))
        .map(BackupTask::backupJobId)
        .forEach(jobs::add);
    return jobs;
  }

  /**
   * Other unidentified jobs of this cluster whose CreateBackup calls went out between {@code
   * earliest} and {@code latest}: their sets are among the same candidates.
   */
  private static Set<String> jobsSentMeanwhile(BackupPass step, Instant earliest, Instant latest) {
    return step.othersOnCluster().stream()
        .filter(s -> s.getBackupJobId() != null && s.getBackupId() == null)
        .filter(
            s ->
                s.tokenFirstSentInstant()
                    .or(s::startInstant)
                    .map(t -> !t.isBefore(earliest) && !t.isAfter(latest))
                    .orElse(false))
        .map(PolarDBBackupStatus::getBackupJobId)
        .collect(Collectors.toSet());
  }

  // ---------------------------------------------------------------- errors

  /** What every failure class means for a backup that is not finished. */
  private UpdateControl<PolarDBBackup> handleError(BackupPass step, ApiError error, String action) {
    Instant now = clock.instant();
    int retries = Optional.ofNullable(step.status.getConsecutiveErrors()).orElse(0) + 1;
    Duration backoff = settings.errorBackoff().delay(retries, random);
    if ("CreateBackup".equals(action) && !error.kind().isDefiniteRejection()) {
      step.status.createMayHaveSucceeded();
    }
    return switch (error.kind()) {
      case THROTTLED ->
          retry(
              step,
              Reasons.API_THROTTLED,
              action + " was throttled by PolarDB: " + error.describe(),
              error.retryAfter().filter(d -> d.compareTo(backoff) > 0).orElse(backoff),
              error);
      case TRANSIENT ->
          retry(
              step,
              Reasons.API_UNAVAILABLE,
              action + " failed on PolarDB's side: " + error.describe(),
              backoff,
              error);
      case OUTCOME_UNKNOWN ->
          retry(
              step,
              Reasons.OUTCOME_UNKNOWN,
              action
                  + " got no usable reply ("
                  + error.describe()
                  + "); retrying with the same ClientToken.",
              backoff,
              error);
      case AUTH ->
          retry(
              step,
              Reasons.AUTH_FAILED,
              action
                  + " was refused: "
                  + error.describe()
                  + ". Check the credentials and their RAM policy.",
              step.credentialsRefused(),
              error);
      case NOT_FOUND, WRONG_CLUSTER_STATE -> waitForCluster(step, error, action, backoff);
      case INVALID_REQUEST, QUOTA_EXHAUSTED -> {
        String message = action + " was rejected: " + error.describe();
        step.status.failed(Reasons.INVALID_REQUEST, message, error.requestId(), now);
        step.log("failed: {}", message);
        events.warning(step.backup, Reasons.INVALID_REQUEST, message);
        yield step.saveAndWait(null);
      }
    };
  }

  private UpdateControl<PolarDBBackup> retry(
      BackupPass step, String reason, String message, Duration delay, ApiError error) {
    Instant next = clock.instant().plus(delay);
    step.status.retrying(
        reason,
        message
            + " Next attempt at "
            + next.truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
            + ".",
        next,
        error.requestId(),
        clock.instant());
    step.log("{}: {}; retry in {}", reason, error.describe(), delay);
    events.warning(step.backup, reason, message);
    return step.saveAndWait(delay);
  }

  private UpdateControl<PolarDBBackup> waitForCluster(
      BackupPass step, ApiError error, String action, Duration backoff) {
    boolean missing = error.kind() == dev.polardbbackup.polardb.FailureKind.NOT_FOUND;
    String reason = missing ? Reasons.CLUSTER_NOT_FOUND : Reasons.CLUSTER_NOT_READY;
    Instant since = step.status.waitingForClusterSince(clock.instant());
    Duration waited = Duration.between(since, clock.instant());
    String what =
        missing
            ? "Cluster " + step.clusterId() + " was not found in " + step.regionId()
            : "Cluster " + step.clusterId() + " is not ready for a backup";
    if (waited.compareTo(settings.clusterWaitTimeout()) >= 0) {
      String message =
          what + " for " + waited.toSeconds() + "s (" + error.describe() + "); giving up.";
      step.status.failed(reason, message, error.requestId(), clock.instant());
      events.warning(step.backup, reason, message);
      step.log("failed: {}", message);
      return step.saveAndWait(null);
    }
    return retry(
        step, reason, what + " (" + action + ": " + error.describe() + ").", backoff, error);
  }

  // ---------------------------------------------------------------- deletion

  /**
   * Keeps or deletes the cloud backup as the spec says. Every path ends: a conflict on a status
   * write is retried on a timer (not by the framework's limited retries), and past the deletion
   * timeout the finalizer goes with a Warning.
   */
  @Override
  public DeleteControl cleanup(PolarDBBackup backup, Context<PolarDBBackup> context) {
    try {
      DeleteControl control = deletionSteps(backup, context);
      if (control.isRemoveFinalizer()) {
        awaitingGrant.remove(ResourceID.fromResource(backup));
        // The Secret first: once this object is gone, nothing would ever take its finalizer off.
        credentialsInUse.released(context.getClient(), backup, context.getPrimaryCache().list());
        claims.releaseAll(uid(backup));
        forgetClustersNoOneElseUses(backup, context);
      }
      return control;
    } catch (StatusWriter.StaleStatusException e) {
      log.info("{}", e.getMessage());
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
    context
        .getPrimaryCache()
        .list()
        .filter(other -> other.getMetadata().getDeletionTimestamp() == null)
        .filter(other -> !Objects.equals(uid(other), uid(gone)))
        .forEach(other -> unused.removeAll(ClusterRef.named(other)));
    for (ClusterRef cluster : unused) {
      queue.forget(cluster);
      observations.forget(cluster);
      claims.forget(cluster);
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

  private DeleteControl deletionSteps(PolarDBBackup backup, Context<PolarDBBackup> context) {
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
    BackupPass step = new BackupPass(backup, context, tools());
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
              : namespaceBeingDeleted(step);
      if (terminating.isPresent()) {
        return leftBehindByNamespaceDeletion(step, terminating.get());
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
    ApiResult<BackupSetLocator.Match> located = locate(step, polarDb);
    if (!located.isOk()) {
      return deletionProblem(backup, located.error());
    }
    BackupSetLocator.Match match = located.value();
    if (match.undecided() && jobMayHaveEnded(step.status)) {
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
      if (status.isTerminal()) {
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

  /**
   * Whether the backup's namespace is being deleted. Then its Secret will not come back, and
   * waiting for it would only hold the namespace until the deletion timeout. (A GET: Namespaces are
   * not cached. An answer other than yes, a refusal included, keeps the usual wait.)
   */
  private Optional<Namespace> namespaceBeingDeleted(BackupPass step) {
    String namespace = step.backup.getMetadata().getNamespace();
    try {
      return Optional.ofNullable(step.context.getClient().namespaces().withName(namespace).get())
          .filter(ns -> ns.getMetadata().getDeletionTimestamp() != null);
    } catch (KubernetesClientException e) {
      step.log(
          "could not tell whether namespace {} is being deleted: {}", namespace, e.getMessage());
      return Optional.empty();
    }
  }

  /**
   * The namespace is being deleted and the Secret is gone anyway (its finalizer was removed by
   * hand, or it never had one): the cloud backup cannot be deleted. Release at once and leave a
   * record of what was left: a Warning on the backup (which a terminating namespace may refuse),
   * one on the Namespace (in namespace default, where Events about cluster-scoped objects go) and a
   * WARN line in the log.
   */
  private DeleteControl leftBehindByNamespaceDeletion(BackupPass step, Namespace terminating) {
    PolarDBBackup backup = step.backup;
    PolarDBBackupStatus status = backup.getStatus();
    String namespace = backup.getMetadata().getNamespace();
    String message =
        "Namespace "
            + namespace
            + " is being deleted and Secret "
            + namespace
            + "/"
            + backup.getSpec().credentialsSecretRef().name()
            + " is gone or unusable, so PolarDBBackup "
            + backup.getMetadata().getName()
            + " could not delete its cloud backup "
            + describeBackup(status)
            + (status.getBackupJobId() != null ? " (job " + status.getBackupJobId() + ")" : "")
            + " of cluster "
            + step.clusterId()
            + " in "
            + step.regionId()
            + "; it was left undeleted. Delete it by hand in the PolarDB console.";
    events.warning(backup, Reasons.BACKUP_LEFT_UNDELETED, message);
    events.warning(terminating, Reasons.BACKUP_LEFT_UNDELETED, message);
    log.warn("{}/{}: {}", namespace, backup.getMetadata().getName(), message);
    return DeleteControl.defaultDelete();
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
    ClusterQueue.oldestWaiter(step.cluster(), step.context.getPrimaryCache().list())
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
    boolean reusable = !outlivedReuseWindow(step.status);
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
    ApiResult<Evidence> look = lookForOwnBackup(step, polarDb);
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
            growingRetry(
                settings,
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

  private static String describeBackup(PolarDBBackupStatus status) {
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

  // ---------------------------------------------------------------- plumbing

  /**
   * The wait before the next attempt while credentials are missing, unusable or refused since
   * {@code since}: {@code credentialsRetryInitial} at first, then as long as the problem has
   * lasted, up to {@code authRetry}. A fixed Secret is noticed soon after a quick fix, and a Secret
   * left broken for days costs a read every {@code authRetry}.
   */
  static Duration growingRetry(ControllerSettings settings, Clock clock, Instant since) {
    Duration waited = Duration.between(since, clock.instant());
    Duration delay =
        waited.compareTo(settings.credentialsRetryInitial()) < 0
            ? settings.credentialsRetryInitial()
            : waited;
    return delay.compareTo(settings.authRetry()) > 0 ? settings.authRetry() : delay;
  }

  static String uid(PolarDBBackup b) {
    return b.getMetadata().getUid();
  }

  static long generation(PolarDBBackup b) {
    return Optional.ofNullable(b.getMetadata().getGeneration()).orElse(1L);
  }

  private static String requestId(ApiResult<?> result) {
    return result instanceof ApiResult.Ok<?> ok ? ok.requestId() : null;
  }

  /** What a pass works with, as this reconciler holds it now. */
  private BackupPass.Tools tools() {
    return new BackupPass.Tools(
        operatorCredentials,
        settings,
        clock,
        events,
        listener,
        claims,
        secrets,
        credentialsInUse,
        operatorNamespace,
        grants,
        namespaces,
        awaitingGrant);
  }
}
