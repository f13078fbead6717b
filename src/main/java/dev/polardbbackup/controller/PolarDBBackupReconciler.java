package dev.polardbbackup.controller;

import dev.polardbbackup.model.DeletionPolicy;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupSpec;
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
import io.fabric8.kubernetes.api.model.Secret;
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
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
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
@ControllerConfiguration(name = PolarDBBackupReconciler.NAME)
public class PolarDBBackupReconciler implements Reconciler<PolarDBBackup>, Cleaner<PolarDBBackup> {
  public static final String NAME = "polardbbackup";
  private static final Logger log = LoggerFactory.getLogger(PolarDBBackupReconciler.class);
  private static final String SECRET_INDEX = "credentialsSecret";
  private static final Duration LOCK_WAIT = Duration.ofSeconds(2);
  private static final Duration SHARED_LOOKBACK = Duration.ofDays(7);
  private static final Duration POLL_MARGIN = Duration.ofSeconds(1);
  // DescribeBackups needs a window; an adopted backup may be old.
  private static final Duration ADOPT_LOOKBACK = Duration.ofDays(730);
  private static final Duration MAX_SHARED_AGE = Duration.ofSeconds(30);

  private final PolarDbClientFactory clients;
  private final CredentialsProvider operatorCredentials;
  private final ControllerSettings settings;
  private final Clock clock;
  private final RandomGenerator random;
  private final Events events;
  private final BackupObserver observer;
  private final ClusterQueue queue = new ClusterQueue();
  private final ClusterObservations observations;
  private InformerEventSource<Secret, PolarDBBackup> secrets;
  private final SimpleInboundEventSource<PolarDBBackup> slotFreed =
      new SimpleInboundEventSource<>("slot-freed");

  public PolarDBBackupReconciler(
      PolarDbClientFactory clients,
      CredentialsProvider operatorCredentials,
      ControllerSettings settings,
      Clock clock,
      RandomGenerator random,
      Events events,
      BackupObserver observer) {
    this.clients = clients;
    this.observer = observer;
    this.observations = new ClusterObservations(clock);
    this.operatorCredentials = operatorCredentials;
    this.settings = settings;
    this.clock = clock;
    this.random = random;
    this.events = events;
  }

  /**
   * Secrets named by a backup's credentialsSecretRef: a change re-reconciles those backups. And
   * freed quota slots: a deletion wakes the oldest backup waiting for one.
   */
  @Override
  public List<EventSource<?, PolarDBBackup>> prepareEventSources(
      EventSourceContext<PolarDBBackup> context) {
    context
        .getPrimaryCache()
        .addIndexer(
            SECRET_INDEX,
            b ->
                b.getSpec() != null && b.getSpec().credentialsSecretRef() != null
                    ? List.of(
                        b.getMetadata().getNamespace()
                            + "/"
                            + b.getSpec().credentialsSecretRef().name())
                    : List.of());
    var config =
        InformerEventSourceConfiguration.from(Secret.class, PolarDBBackup.class)
            .withSecondaryToPrimaryMapper(
                (Secret s) ->
                    context
                        .getPrimaryCache()
                        .byIndex(
                            SECRET_INDEX,
                            s.getMetadata().getNamespace() + "/" + s.getMetadata().getName())
                        .stream()
                        .map(ResourceID::fromResource)
                        .collect(Collectors.toSet()))
            .withPrimaryToSecondaryMapper(
                (PolarDBBackup b) ->
                    b.getSpec() != null && b.getSpec().credentialsSecretRef() != null
                        ? Set.of(
                            new ResourceID(
                                b.getSpec().credentialsSecretRef().name(),
                                b.getMetadata().getNamespace()))
                        : Set.of())
            .withNamespacesInheritedFromController()
            .build();
    secrets = new InformerEventSource<>(config, context);
    return List.of(secrets, slotFreed);
  }

  @Override
  public UpdateControl<PolarDBBackup> reconcile(
      PolarDBBackup backup, Context<PolarDBBackup> context) throws InterruptedException {
    Step step = new Step(backup, context);

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
    // 4. Start the backup (or adopt an existing one), or follow the one already started.
    if (step.status.getBackupJobId() == null && backup.getSpec().adopts()) {
      return adopt(step);
    }
    return step.status.getBackupJobId() == null ? start(step) : follow(step);
  }

  /**
   * Paused by annotation: nothing is called and nothing changes but the Paused condition. The
   * annotation is metadata, which does not wake a generation-aware controller, so look again now
   * and then to notice when it is removed.
   */
  private UpdateControl<PolarDBBackup> paused(Step step) {
    if (step.status.condition(Reasons.PAUSED).isEmpty()) {
      String message =
          "Reconciliation is paused by the annotation "
              + PolarDBBackup.PAUSED_ANNOTATION
              + "=true; remove it to resume.";
      step.status.setCondition(Reasons.PAUSED, true, Reasons.PAUSED, message, clock.instant());
      events.normal(step.backup, Reasons.PAUSED, message);
      step.log("paused");
    }
    return step.saveAndWait(settings.queueRecheck());
  }

  // ---------------------------------------------------------------- adopt

  /**
   * Takes an existing backup set under management: no CreateBackup, status from DescribeBackups.
   */
  private UpdateControl<PolarDBBackup> adopt(Step step) {
    Optional<CredentialsProvider> credentials = step.credentials();
    if (credentials.isEmpty()) {
      return step.saveAndWait(settings.authRetry());
    }
    PolarDbClient polarDb = clients.forRegion(step.regionId(), credentials.get());
    String id = step.backup.getSpec().backupId();
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

  // ---------------------------------------------------------------- start

  private UpdateControl<PolarDBBackup> start(Step step) throws InterruptedException {
    Optional<CredentialsProvider> credentials = step.credentials();
    if (credentials.isEmpty()) {
      return step.saveAndWait(settings.authRetry());
    }
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
    String token = step.status.getClientToken();
    if (!ownsToken(step.backup, token)) {
      return refuseForeignToken(step, token);
    }
    PolarDbClient polarDb = clients.forRegion(step.regionId(), credentials.get());
    Optional<ApiResult<String>> created =
        queue.exclusively(
            ClusterQueue.key(step.regionId(), step.clusterId()),
            LOCK_WAIT.toMillis(),
            () -> polarDb.createBackup(step.clusterId(), token));
    if (created.isEmpty()) {
      return step.saveAndWait(LOCK_WAIT);
    }
    ApiResult<String> result = created.get();
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
      return step.saveAndWait(settings.pollMin());
    }
    ApiError error = result.error();
    return switch (error.kind()) {
      case QUOTA_EXHAUSTED -> waitForQuota(step, polarDb, error);
      default -> handleError(step, error, "CreateBackup");
    };
  }

  /**
   * A ClientToken is ours only if it is our UID or {@code <uid>-<n>}. Anything else in status was
   * written by someone else (a status edit, a restored copy of another object); calling
   * CreateBackup with it could hand us another resource's backup, so refuse.
   */
  private static boolean ownsToken(PolarDBBackup backup, String token) {
    String uid = uid(backup);
    return token != null
        && (token.equals(uid) || token.matches(java.util.regex.Pattern.quote(uid) + "-[0-9]+"));
  }

  private UpdateControl<PolarDBBackup> refuseForeignToken(Step step, String token) {
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

  private UpdateControl<PolarDBBackup> waitForQuota(
      Step step, PolarDbClient polarDb, ApiError error) {
    int waits = Optional.ofNullable(step.status.getQuotaWaits()).orElse(0) + 1;
    Duration delay = settings.quotaBackoff().delay(waits, random);
    Instant next = clock.instant().plus(delay);
    String holders = slotHolders(polarDb, step.clusterId());
    String message =
        "The manual-backup quota of cluster "
            + step.clusterId()
            + " is used up ("
            + error.describe()
            + "). "
            + holders
            + " Next attempt at "
            + next.truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
            + ".";
    step.status.waitForQuota(uid(step.backup), message, next, error.requestId(), clock.instant());
    observer.quotaWait(step.regionId(), step.clusterId());
    step.log("quota exhausted, waiting {} (RequestId {})", delay, error.requestId());
    events.warning(step.backup, Reasons.WAITING_FOR_QUOTA, message);
    return step.saveAndWait(delay);
  }

  /** Which manual backups hold the slots, so the user knows what to delete. */
  private String slotHolders(PolarDbClient polarDb, String clusterId) {
    Instant now = clock.instant();
    ApiResult<List<Backup>> backups =
        polarDb.describeAllBackups(
            DescribeBackupsQuery.manual(
                clusterId, now.minus(Duration.ofDays(30)), now.plus(Duration.ofMinutes(1))));
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

  private UpdateControl<PolarDBBackup> follow(Step step) {
    Optional<CredentialsProvider> credentials = step.credentials();
    if (credentials.isEmpty()) {
      return step.saveAndWait(settings.authRetry());
    }
    PolarDbClient polarDb = clients.forRegion(step.regionId(), credentials.get());
    String jobId = step.status.getBackupJobId();

    // Progress first: one look at the cluster's jobs answers for every backup of it.
    ApiResult<List<BackupTask>> tasks =
        observations.look(
            step.observationKey("tasks"),
            // A look taken before our job existed cannot answer for it. startTime has whole
            // seconds, so the job was made before startTime + 1s.
            latest(
                clock.instant().minus(acceptableAge(step.status)),
                step.status.startInstant().map(t -> t.plusSeconds(1)).orElse(Instant.MIN)),
            () -> polarDb.describeBackupTasks(step.clusterId(), Optional.empty()));
    if (!tasks.isOk()) {
      return handleError(step, tasks.error(), "DescribeBackupTasks");
    }
    Optional<BackupTask> task =
        tasks.value().stream().filter(t -> jobId.equals(t.backupJobId())).findFirst();
    task.flatMap(BackupTask::startTime).ifPresent(step.status::jobStarted);
    if (task.isPresent() && !task.get().finished()) {
      BackupTask t = task.get();
      step.status.progressed(
          t.progressPercent(), t.progressStatus(), requestId(tasks), clock.instant());
      Duration next = nextPoll(step.status);
      log.debug(
          "{}: job {} at {}% ({}), next look in {}",
          step.backup.getMetadata().getName(),
          jobId,
          t.progressPercent(),
          t.progressStatus(),
          next);
      return step.saveAndWait(next);
    }
    // The job has ended (Finished, or no longer listed): the backup set tells how.
    Optional<Backup> found;
    ApiResult<Optional<Backup>> located = locateShared(step, polarDb);
    if (!located.isOk()) {
      return handleError(step, located.error(), "DescribeBackups");
    }
    found = located.value();
    if (found.isEmpty()) {
      Instant started = step.status.startInstant().orElse(clock.instant());
      if (Duration.between(started, clock.instant()).compareTo(settings.backupNotFoundTimeout())
          > 0) {
        String message = "Backup job " + jobId + " ended but PolarDB lists no backup set for it.";
        step.status.failed(Reasons.BACKUP_NOT_FOUND, message, requestId(located), clock.instant());
        events.warning(step.backup, Reasons.BACKUP_NOT_FOUND, message);
        return step.saveAndWait(null);
      }
      return step.saveAndWait(nextPoll(step.status));
    }
    Backup b = found.get();
    step.status.identified(b.backupId());
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
    return step.saveAndWait(nextPoll(step.status));
  }

  /**
   * Finds the backup set of our job whether or not PolarDB gives it the job's id: first by id, then
   * through {@link BackupSetLocator} among the cluster's manual backups that no other PolarDBBackup
   * has claimed.
   */
  private ApiResult<Optional<Backup>> locate(Step step, PolarDbClient polarDb) {
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
  private ApiResult<Optional<Backup>> locateShared(Step step, PolarDbClient polarDb) {
    Instant now = clock.instant();
    Instant jobStart = step.status.jobStartInstant().orElse(now);
    if (jobStart.isBefore(now.minus(SHARED_LOOKBACK).plus(Duration.ofMinutes(10)))) {
      return locate(step, polarDb);
    }
    ApiResult<List<Backup>> manual =
        observations.look(
            step.observationKey("backups"),
            now.minus(settings.pollMin()),
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
   * PolarDB may have given the set another id, so match among {@code manual} by start time.
   */
  private ApiResult<Optional<Backup>> match(
      Step step,
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
      return new ApiResult.Ok<>(exact, requestId(listed));
    }
    ApiResult<List<Backup>> candidates = manual.get();
    if (!candidates.isOk()) {
      return new ApiResult.Failed<>(candidates.error());
    }
    return new ApiResult.Ok<>(locateIn(step, candidates.value()), requestId(candidates));
  }

  /** Matches our job to one of the cluster's manual backups that no other resource claimed. */
  private Optional<Backup> locateIn(Step step, List<Backup> manual) {
    Instant jobStart = step.status.jobStartInstant().orElse(clock.instant());
    List<PolarDBBackupStatus> others =
        step.context
            .getPrimaryCache()
            .list()
            .filter(
                o -> !Objects.equals(o.getMetadata().getUid(), step.backup.getMetadata().getUid()))
            .map(PolarDBBackup::getStatus)
            .filter(Objects::nonNull)
            .filter(s -> step.clusterId().equals(s.getAcceptedDbClusterId()))
            .toList();
    Set<String> claimed =
        others.stream()
            .map(PolarDBBackupStatus::getBackupId)
            .filter(Objects::nonNull)
            .collect(Collectors.toSet());
    Instant second = jobStart.truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    Set<String> sameSecondJobs =
        others.stream()
            .filter(s -> s.getBackupJobId() != null && s.getBackupId() == null)
            .filter(
                s ->
                    s.jobStartInstant()
                        .map(
                            t ->
                                t.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).equals(second))
                        .orElse(false))
            .map(PolarDBBackupStatus::getBackupJobId)
            .collect(Collectors.toSet());
    return BackupSetLocator.locate(
        step.status.getBackupJobId(), jobStart, manual, claimed, sameSecondJobs);
  }

  /**
   * When to look again: just after the reported progress says the backup will end, but never later
   * than the time the backup has already run (so looks at least double in spacing and lateness
   * stays bounded), never sooner than pollMin nor later than pollMax. At 100% the end is due.
   */
  private Duration nextPoll(PolarDBBackupStatus status) {
    Instant started = status.jobStartInstant().orElse(clock.instant());
    Duration elapsed = Duration.between(started, clock.instant());
    int progress = Optional.ofNullable(status.getProgress()).orElse(0);
    Duration wait;
    if (progress >= 100) {
      wait = settings.pollMin();
    } else if (progress <= 0) {
      wait = elapsed;
    } else {
      // Early stages (NoStart, Preparing) report little progress, so an estimate from them runs
      // long: never wait longer than the backup has run so far, which bounds the lateness to
      // about half the backup's duration even when the estimate is wrong.
      Duration estimate =
          elapsed.multipliedBy(100 - progress).dividedBy(progress).plus(POLL_MARGIN);
      wait = estimate.compareTo(elapsed) < 0 ? estimate : elapsed;
    }
    if (wait.compareTo(settings.pollMin()) < 0) {
      wait = settings.pollMin();
    }
    if (wait.compareTo(settings.pollMax()) > 0) {
      wait = settings.pollMax();
    }
    return onGrid(wait);
  }

  /**
   * Rounds a wait up so that it ends on a multiple of pollMin since the epoch: backups of one
   * cluster that are due at about the same time then look at the same moment, and share the look.
   */
  private Duration onGrid(Duration wait) {
    long grid = settings.pollMin().toMillis();
    long due = clock.millis() + wait.toMillis();
    long aligned = ((due + grid - 1) / grid) * grid;
    return Duration.ofMillis(aligned - clock.millis());
  }

  /**
   * How old a shared look may be and still answer for this backup: pollMin, or a quarter of the
   * time the backup has run (up to 30 s), whichever is longer. A backup we look at every 40 s loses
   * little by reading a look taken 10 s earlier by its neighbour.
   */
  private Duration acceptableAge(PolarDBBackupStatus status) {
    Duration elapsed =
        Duration.between(status.jobStartInstant().orElse(clock.instant()), clock.instant());
    Duration quarter = elapsed.dividedBy(4);
    if (quarter.compareTo(MAX_SHARED_AGE) > 0) {
      quarter = MAX_SHARED_AGE;
    }
    return quarter.compareTo(settings.pollMin()) > 0 ? quarter : settings.pollMin();
  }

  // ---------------------------------------------------------------- errors

  /** What every failure class means for a backup that is not finished. */
  private UpdateControl<PolarDBBackup> handleError(Step step, ApiError error, String action) {
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
              settings.authRetry(),
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
      Step step, String reason, String message, Duration delay, ApiError error) {
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
      Step step, ApiError error, String action, Duration backoff) {
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

  @Override
  public DeleteControl cleanup(PolarDBBackup backup, Context<PolarDBBackup> context) {
    String key = backup.getMetadata().getNamespace() + "/" + backup.getMetadata().getName();
    PolarDBBackupStatus status = backup.getStatus();
    var annotations = backup.getMetadata().getAnnotations();
    if (annotations != null
        && "true".equalsIgnoreCase(annotations.get(PolarDBBackup.FORCE_DELETE_ANNOTATION))) {
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
      log.info("{}: deleted before any backup was started", key);
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
    Step step = new Step(backup, context);
    Optional<CredentialsProvider> credentials = step.credentials();
    if (credentials.isEmpty()) {
      return DeleteControl.noFinalizerRemoval().rescheduleAfter(settings.deletionRetry());
    }
    PolarDbClient polarDb = clients.forRegion(step.regionId(), credentials.get());
    if (step.status.getBackupJobId() == null && step.status.getBackupId() == null) {
      return learnJobOfUnknownCreate(step, polarDb);
    }
    ApiResult<Optional<Backup>> located = locate(step, polarDb);
    if (!located.isOk()) {
      return deletionProblem(backup, located.error());
    }
    if (located.value().isEmpty()) {
      if (status.isTerminal()) {
        events.normal(
            backup,
            "BackupDeleted",
            "Cloud backup " + describeBackup(status) + " no longer exists.");
        return DeleteControl.defaultDelete();
      }
      // Not visible yet: the job is still running.
      return DeleteControl.noFinalizerRemoval().rescheduleAfter(settings.deletionRetry());
    }
    Backup target = located.value().get();
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
    return deletionProblem(backup, deleted.error());
  }

  /**
   * This deletion freed a manual-backup slot: the oldest backup of the cluster waiting for one
   * tries now instead of at the end of its backoff (up to the quota backoff's maximum).
   */
  private void wakeOldestWaiter(Step step) {
    ClusterQueue.oldestWaiter(
            ClusterQueue.key(step.regionId(), step.clusterId()),
            step.context.getPrimaryCache().list())
        .ifPresent(
            waiter -> {
              step.log("a slot is free; waking {}", waiter.getMetadata().getName());
              slotFreed.propagateEvent(ResourceID.fromResource(waiter));
            });
  }

  /**
   * Deleting (policy Delete) after a CreateBackup whose reply was lost: a backup may exist that we
   * never heard of. Repeating the call with the same ClientToken answers which job it was, without
   * making a second one; if nothing had been made, this makes the one backup, which is then deleted
   * like any other. Either way nothing is left behind.
   */
  private DeleteControl learnJobOfUnknownCreate(Step step, PolarDbClient polarDb) {
    String token = step.status.getClientToken();
    if (!ownsToken(step.backup, token)) {
      step.log("deleting: not using foreign ClientToken {}", token);
      return DeleteControl.defaultDelete();
    }
    ApiResult<String> created = polarDb.createBackup(step.clusterId(), token);
    if (created instanceof ApiResult.Ok<String> ok) {
      step.status.started(ok.value(), ok.requestId(), clock.instant());
      step.save();
      step.log("deleting: CreateBackup with ClientToken {} is job {}", token, ok.value());
      return DeleteControl.noFinalizerRemoval().rescheduleAfter(settings.deletionRetry());
    }
    if (created.error().kind().isDefiniteRejection()) {
      step.log(
          "deleting: no backup was made for ClientToken {} ({})", token, created.error().code());
      return DeleteControl.defaultDelete();
    }
    return deletionProblem(step.backup, created.error());
  }

  private DeleteControl deletionProblem(PolarDBBackup backup, ApiError error) {
    String message =
        "Could not delete the cloud backup yet: "
            + error.describe()
            + ". Will retry; annotate with "
            + PolarDBBackup.FORCE_DELETE_ANNOTATION
            + "=true to give up.";
    events.warning(backup, "DeletionRetrying", message);
    Duration delay =
        error.kind() == dev.polardbbackup.polardb.FailureKind.AUTH
            ? settings.authRetry()
            : settings.deletionRetry();
    return DeleteControl.noFinalizerRemoval().rescheduleAfter(delay);
  }

  private static String describeBackup(PolarDBBackupStatus status) {
    return status.getBackupId() != null
        ? status.getBackupId()
        : "of job " + status.getBackupJobId();
  }

  // ---------------------------------------------------------------- plumbing

  private static String uid(PolarDBBackup b) {
    return b.getMetadata().getUid();
  }

  private static long generation(PolarDBBackup b) {
    return Optional.ofNullable(b.getMetadata().getGeneration()).orElse(1L);
  }

  private static Instant latest(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }

  private static String requestId(ApiResult<?> result) {
    return result instanceof ApiResult.Ok<?> ok ? ok.requestId() : null;
  }

  /** One reconcile's view of a backup: its status being edited, and how to save it. */
  private final class Step {
    final PolarDBBackup backup;
    final Context<PolarDBBackup> context;
    final PolarDBBackupStatus original;
    PolarDBBackupStatus status;
    PolarDBBackup latest;

    Step(PolarDBBackup backup, Context<PolarDBBackup> context) {
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
    String observationKey(String what) {
      var ref = backup.getSpec().credentialsSecretRef();
      String credential =
          ref == null
              ? "operator"
              : "secret:" + backup.getMetadata().getNamespace() + "/" + ref.name();
      return ClusterQueue.key(regionId(), clusterId()) + "#" + what + "#" + credential;
    }

    String regionId() {
      return Optional.ofNullable(status.getAcceptedRegionId()).orElse(backup.getSpec().regionId());
    }

    /** The spec is immutable; where an API server did not enforce that, the edit is ignored. */
    void noteSpecChange() {
      PolarDBBackupSpec spec = backup.getSpec();
      if (status.getAcceptedDbClusterId() == null || spec == null) {
        return;
      }
      boolean changed =
          !spec.dbClusterId().equals(status.getAcceptedDbClusterId())
              || !spec.regionId().equals(status.getAcceptedRegionId());
      if (changed && status.condition(Reasons.SPEC_CHANGE_IGNORED).isEmpty()) {
        String message =
            "The spec is immutable: this backup stays with cluster "
                + status.getAcceptedDbClusterId()
                + " in "
                + status.getAcceptedRegionId()
                + ". Create a new PolarDBBackup for another cluster.";
        status.setCondition(
            Reasons.SPEC_CHANGE_IGNORED,
            true,
            Reasons.SPEC_CHANGE_IGNORED,
            message,
            clock.instant());
        events.warning(backup, Reasons.SPEC_CHANGE_IGNORED, message);
      } else if (!changed) {
        status.removeCondition(Reasons.SPEC_CHANGE_IGNORED);
      }
      status.observed(generation(backup));
    }

    /** The credential for this backup, or a recorded problem (status and event) and empty. */
    Optional<CredentialsProvider> credentials() {
      var ref = backup.getSpec().credentialsSecretRef();
      if (ref == null) {
        return Optional.of(operatorCredentials);
      }
      String namespace = backup.getMetadata().getNamespace();
      Optional<Secret> secret =
          secrets == null ? Optional.empty() : secrets.get(new ResourceID(ref.name(), namespace));
      SecretCredentials.Resolved resolved = SecretCredentials.from(secret, namespace, ref.name());
      if (resolved.credentials().isPresent()) {
        return resolved.credentials().map(CredentialsProvider::of);
      }
      if (!status.isTerminal() && !resolved.reason().equals(status.getReason())) {
        events.warning(backup, resolved.reason(), resolved.problem());
        log("{}", resolved.problem());
      }
      if (!status.isTerminal()) {
        Instant next = clock.instant().plus(settings.authRetry());
        status.retrying(resolved.reason(), resolved.problem(), next, null, clock.instant());
        // A Secret problem is not a burst of API errors: keep the error backoff where it was.
        status.setConsecutiveErrors(original == null ? null : original.getConsecutiveErrors());
      }
      return Optional.empty();
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
      if (status.getPhase() != null
          && (current == null || current.getPhase() != status.getPhase())) {
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
        case Running -> observer.backupStarted(regionId(), clusterId());
        case Succeeded ->
            observer.backupSucceeded(
                regionId(), clusterId(), Instant.parse(status.getCompletionTime()));
        case Failed -> observer.backupFailed(regionId(), clusterId(), status.getReason());
        case Pending, WaitingForQuota -> {}
      }
    }

    UpdateControl<PolarDBBackup> saveAndWait(Duration delay) {
      save();
      UpdateControl<PolarDBBackup> control = UpdateControl.noUpdate();
      return delay == null ? control : control.rescheduleAfter(delay);
    }

    void log(String format, Object... args) {
      ResourceLog.info(log, backup, format, args);
    }
  }
}
