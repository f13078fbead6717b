package dev.polardbbackup.backup;

import static dev.polardbbackup.backup.BackupPass.uid;

import dev.polardbbackup.backup.TokenEvidence.Evidence;
import dev.polardbbackup.kube.Events;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.Reasons;
import dev.polardbbackup.polardb.ApiError;
import dev.polardbbackup.polardb.ApiResult;
import dev.polardbbackup.polardb.Backup;
import dev.polardbbackup.polardb.DescribeBackupsQuery;
import dev.polardbbackup.polardb.PolarDbClient;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;

/**
 * PolarDB refused a CreateBackup for quota: wait with a growing backoff, say who holds the slots,
 * and decide whether the next attempt may use a new ClientToken.
 */
final class QuotaWait {
  private final ControllerSettings settings;
  private final Clock clock;
  private final RandomGenerator random;
  private final Events events;
  private final BackupListener listener;
  private final TokenEvidence tokens;

  QuotaWait(
      ControllerSettings settings,
      Clock clock,
      RandomGenerator random,
      Events events,
      BackupListener listener,
      TokenEvidence tokens) {
    this.settings = settings;
    this.clock = clock;
    this.random = random;
    this.events = events;
    this.listener = listener;
    this.tokens = tokens;
  }

  /**
   * PolarDB refused for quota. Whether the next attempt may use a new token depends on what the
   * current one may have done: if every call with it was definitely refused, it made nothing. If an
   * earlier call's outcome is unknown, this refusal proves nothing (PolarDB may check the quota
   * before it looks at the token, and the quota may be full with our own backup): only a look that
   * finds nothing made since the first send allows a new token.
   */
  UpdateControl<PolarDBBackup> waitForQuota(
      BackupPass step, PolarDbClient polarDb, ApiError error) {
    boolean newToken = step.status.tokenMadeNothing();
    String doubt = "";
    if (!newToken) {
      ApiResult<Evidence> look = tokens.lookForOwnBackup(step, polarDb);
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
}
