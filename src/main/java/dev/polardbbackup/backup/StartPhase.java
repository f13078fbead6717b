package dev.polardbbackup.backup;

import static dev.polardbbackup.backup.BackupPass.requestId;
import static dev.polardbbackup.backup.BackupPass.uid;
import static dev.polardbbackup.backup.TokenEvidence.ownsToken;

import dev.polardbbackup.backup.TokenEvidence.Evidence;
import dev.polardbbackup.kube.Events;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.Reasons;
import dev.polardbbackup.polardb.ApiError;
import dev.polardbbackup.polardb.ApiResult;
import dev.polardbbackup.polardb.Backup;
import dev.polardbbackup.polardb.CredentialsProvider;
import dev.polardbbackup.polardb.PolarDbClient;
import dev.polardbbackup.polardb.PolarDbClientFactory;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Starting: CreateBackup with the recorded ClientToken, oldest first per cluster, fenced by a
 * status write; a token that PolarDB may have forgotten is never sent again before a look.
 */
final class StartPhase {
  private static final Duration LOCK_WAIT = Duration.ofSeconds(2);
  // Before the first CreateBackup of a token: the last shared look, if this recent, tells which
  // manual backups already existed.
  private static final Duration PREEXISTING_LOOKBACK = Duration.ofMinutes(1);
  private static final int MAX_PREEXISTING = 50;

  private final PolarDbClientFactory clients;
  private final ControllerSettings settings;
  private final Clock clock;
  private final Events events;
  private final ClusterQueue queue;
  private final ClusterObservations observations;
  private final PollTiming pollTiming;
  private final Failures failures;
  private final TokenEvidence tokens;
  private final QuotaWait quota;

  StartPhase(
      PolarDbClientFactory clients,
      ControllerSettings settings,
      Clock clock,
      Events events,
      ClusterQueue queue,
      ClusterObservations observations,
      PollTiming pollTiming,
      Failures failures,
      TokenEvidence tokens,
      QuotaWait quota) {
    this.clients = clients;
    this.settings = settings;
    this.clock = clock;
    this.events = events;
    this.queue = queue;
    this.observations = observations;
    this.pollTiming = pollTiming;
    this.failures = failures;
    this.tokens = tokens;
    this.quota = quota;
  }

  UpdateControl<PolarDBBackup> start(BackupPass step) throws InterruptedException {
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
          ClusterQueue.olderWaiter(
              step.backup, BackupIndexes.onCluster(step.context, ClusterRef.of(step.backup)));
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
    if (step.status.tokenSent() && tokens.outlivedReuseWindow(step.status)) {
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
      // No Event: status (phase Running, the job id) and the log line say it; Events are kept for
      // the outcome and for problems, one request per backup fewer.
      return step.saveAndWait(
          pollTiming.first(
              step.cluster(),
              uid(step.backup),
              step.status,
              sent.get().at(),
              sent.get().repliedAt()));
    }
    ApiError error = result.error();
    if (sent.get().action().equals("CreateBackup") && error.kind().isDefiniteRejection()) {
      step.status.createRefused(sent.get().earlierUnknown());
    }
    return switch (error.kind()) {
      case QUOTA_EXHAUSTED -> quota.waitForQuota(step, polarDb, error);
      default -> failures.handle(step, error, sent.get().action());
    };
  }

  /**
   * What went out under the cluster's lock: the action whose reply {@code result} is, whether an
   * earlier call with the token already had an unknown outcome, and when it was sent and answered.
   */
  private record Sent(
      String action,
      ApiResult<String> result,
      boolean earlierUnknown,
      Instant at,
      Instant repliedAt) {}

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
    Instant sentAt = clock.instant();
    ApiResult<String> result = polarDb.createBackup(step.clusterId(), token);
    return new Sent("CreateBackup", result, earlierUnknown, sentAt, clock.instant());
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
    ApiResult<Evidence> look = tokens.lookForOwnBackup(step, polarDb);
    if (!look.isOk()) {
      return failures.handle(step, look.error(), "DescribeBackups");
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
}
