package dev.polardbbackup.backup;

import static dev.polardbbackup.backup.BackupPass.requestId;
import static dev.polardbbackup.backup.BackupPass.uid;

import dev.polardbbackup.kube.CreationOrder;
import dev.polardbbackup.kube.Events;
import dev.polardbbackup.kube.LiveCache;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupStatus;
import dev.polardbbackup.model.Reasons;
import dev.polardbbackup.polardb.ApiResult;
import dev.polardbbackup.polardb.Backup;
import dev.polardbbackup.polardb.CredentialsProvider;
import dev.polardbbackup.polardb.DescribeBackupsQuery;
import dev.polardbbackup.polardb.PolarDbClient;
import dev.polardbbackup.polardb.PolarDbClientFactory;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Adoption: takes an existing backup set under management (no CreateBackup; status from
 * DescribeBackups), never one that another PolarDBBackup holds or may have made.
 */
final class AdoptPhase {
  // DescribeBackups needs a window; an adopted backup may be old.
  static final Duration ADOPT_LOOKBACK = Duration.ofDays(730);

  private final PolarDbClientFactory clients;
  private final ControllerSettings settings;
  private final Clock clock;
  private final Events events;
  private final Failures failures;
  private final RecheckPhase rechecks;

  AdoptPhase(
      PolarDbClientFactory clients,
      ControllerSettings settings,
      Clock clock,
      Events events,
      Failures failures,
      RecheckPhase rechecks) {
    this.clients = clients;
    this.settings = settings;
    this.clock = clock;
    this.events = events;
    this.failures = failures;
    this.rechecks = rechecks;
  }

  /**
   * Takes an existing backup set under management: no CreateBackup, status from DescribeBackups.
   */
  UpdateControl<PolarDBBackup> adopt(BackupPass step) {
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
      return failures.handle(step, found.error(), "DescribeBackups");
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
      return step.saveAndWait(rechecks.succeeded(step, polarDb));
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
    return LiveCache.list(step.context)
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
        && CreationOrder.olderThan(other, me);
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
}
