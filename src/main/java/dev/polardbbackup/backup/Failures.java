package dev.polardbbackup.backup;

import dev.polardbbackup.kube.Events;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.Reasons;
import dev.polardbbackup.polardb.ApiError;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.random.RandomGenerator;

/** What every failure class of a PolarDB call means for a backup that is not finished. */
final class Failures {
  private final ControllerSettings settings;
  private final Clock clock;
  private final RandomGenerator random;
  private final Events events;

  Failures(ControllerSettings settings, Clock clock, RandomGenerator random, Events events) {
    this.settings = settings;
    this.clock = clock;
    this.random = random;
    this.events = events;
  }

  /** What every failure class means for a backup that is not finished. */
  UpdateControl<PolarDBBackup> handle(BackupPass step, ApiError error, String action) {
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
}
