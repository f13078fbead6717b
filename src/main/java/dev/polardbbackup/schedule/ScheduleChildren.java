package dev.polardbbackup.schedule;

import dev.polardbbackup.model.LastBackup;
import dev.polardbbackup.model.Phase;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.QuotaRotation;
import dev.polardbbackup.model.Retention;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The backups one schedule owns, sorted newest tick first, which of them retention deletes, and
 * which one quota rotation may delete. Backups already being deleted are counted nowhere but in
 * {@link #terminating()}.
 */
final class ScheduleChildren {
  static final String SCHEDULED_AT_ANNOTATION = PolarDBBackup.GROUP + "/scheduled-at";

  private final List<PolarDBBackup> active = new ArrayList<>();
  private final List<PolarDBBackup> succeeded = new ArrayList<>();
  private final List<PolarDBBackup> failed = new ArrayList<>();
  private final List<PolarDBBackup> terminating = new ArrayList<>();
  private String inDrill;

  /** One child to delete and why, in words for the user. */
  record Doomed(PolarDBBackup backup, String why) {}

  /** What became of the last deletion made to free a manual-backup slot. */
  enum RotationEffect {
    /** The backup recorded for deletion is not being deleted yet: delete it (again). */
    NOT_DELETED,
    /** The deleted backup is still being deleted. */
    DELETING,
    /** It is gone; PolarDB has not answered the backup that needs the slot since. */
    WATCHING,
    /** PolarDB accepted the backup that needed the slot. */
    FREED_A_SLOT,
    /** PolarDB refused that backup again after the deletion: the deletion freed nothing. */
    FREED_NOTHING,
    /** That backup is gone, or failed for another reason: there is nothing to learn. */
    UNKNOWN
  }

  ScheduleChildren(Collection<PolarDBBackup> all, String scheduleUid) {
    all.stream()
        .filter(b -> ownedBy(b, scheduleUid))
        .sorted(Comparator.comparing(ScheduleChildren::tickOf).reversed())
        .forEach(this::sort);
  }

  static boolean ownedBy(HasMetadata child, String scheduleUid) {
    var owners = child.getMetadata().getOwnerReferences();
    return owners != null && owners.stream().anyMatch(o -> scheduleUid.equals(o.getUid()));
  }

  private void sort(PolarDBBackup b) {
    if (b.getMetadata().getDeletionTimestamp() != null) {
      terminating.add(b);
      return;
    }
    Phase phase = b.getStatus() == null ? null : b.getStatus().getPhase();
    if (phase == Phase.Succeeded) {
      succeeded.add(b);
    } else if (phase == Phase.Failed) {
      failed.add(b);
    } else {
      active.add(b);
    }
  }

  /** The tick a child was made for; its creation time for one made before the annotation. */
  static Instant tickOf(PolarDBBackup backup) {
    var annotations = backup.getMetadata().getAnnotations();
    String tick = annotations == null ? null : annotations.get(SCHEDULED_AT_ANNOTATION);
    try {
      return Instant.parse(tick != null ? tick : backup.getMetadata().getCreationTimestamp());
    } catch (RuntimeException e) {
      return Instant.EPOCH;
    }
  }

  List<PolarDBBackup> active() {
    return active;
  }

  List<PolarDBBackup> succeeded() {
    return succeeded;
  }

  List<PolarDBBackup> failed() {
    return failed;
  }

  List<PolarDBBackup> terminating() {
    return terminating;
  }

  /**
   * The newest successful child, to record as the last success unless that would move the record
   * back: to an older tick's backup that finished later, or to an older one left after the recorded
   * one was deleted. The tick says which is newer (a backup holds its tick's data), not the
   * completion time, which is in whole seconds and can be the same for two. The record keeps only
   * the name, and a child's name ends in its tick's UTC minute ({@code yyyyMMddHHmm}), so for two
   * children of one schedule the order of the names is the order of the ticks.
   */
  Optional<LastBackup> lastSuccessAfter(LastBackup recorded) {
    return succeeded.stream()
        .filter(b -> b.getStatus().getCompletionTime() != null)
        .findFirst()
        .map(
            b ->
                new LastBackup(
                    b.getMetadata().getName(),
                    b.getStatus().getBackupId(),
                    b.getStatus().getCompletionTime()))
        .filter(candidate -> recorded == null || candidate.name().compareTo(recorded.name()) >= 0);
  }

  /** Manual-backup slots this schedule's children hold or are about to need. */
  int slotsHeld() {
    return succeeded.size()
        + (int) failed.stream().filter(ScheduleChildren::holdsABackup).count()
        + active.size();
  }

  /**
   * The child quota rotation may delete to free a slot: a failed one that holds a PolarDB backup,
   * oldest first; else the oldest successful one when retention would delete it anyway once a new
   * one succeeds (at least keepLast are kept). Never the newest successful one, whatever keepLast
   * says: it may be the only good backup there is.
   */
  Optional<PolarDBBackup> rotationCandidate(Retention retention) {
    for (int i = failed.size() - 1; i >= 0; i--) {
      if (holdsABackup(failed.get(i))) {
        return Optional.of(failed.get(i));
      }
    }
    if (succeeded.size() >= 2 && succeeded.size() >= retention.effectiveKeepLast()) {
      return oldestSucceeded().filter(b -> !b.getMetadata().getName().equals(inDrill));
    }
    return Optional.empty();
  }

  /**
   * What the deletion recorded in {@code rotation} did. Only refusals of the waiting backup after
   * the deleted one is gone count (its cloud backup is deleted by then): those show that the slot
   * did not come free, as under the per-day reading of the quota.
   *
   * @param waitingBackupDue the waiting backup is the due tick's, not created yet
   */
  RotationEffect effectOf(QuotaRotation rotation, boolean waitingBackupDue) {
    if (live(rotation.deletedBackup()).isPresent()) {
      return RotationEffect.NOT_DELETED;
    }
    if (named(rotation.deletedBackup(), terminating).isPresent()) {
      return RotationEffect.DELETING;
    }
    Optional<PolarDBBackup> waiting = live(rotation.waitingBackup());
    if (waiting.isEmpty()) {
      return waitingBackupDue ? RotationEffect.WATCHING : RotationEffect.UNKNOWN;
    }
    PolarDBBackup w = waiting.get();
    if (accepted(w)) {
      return RotationEffect.FREED_A_SLOT;
    }
    if (w.getStatus() != null && w.getStatus().getPhase() == Phase.Failed) {
      return RotationEffect.UNKNOWN;
    }
    if (rotation.refusalsBefore() != null && refusals(w) > rotation.refusalsBefore()) {
      return RotationEffect.FREED_NOTHING;
    }
    return RotationEffect.WATCHING;
  }

  /** The named child, unless it is gone or being deleted. */
  Optional<PolarDBBackup> live(String name) {
    return named(name, live());
  }

  /** How often PolarDB refused the named child for quota so far (0 if it does not exist yet). */
  int refusalsOf(String name) {
    return live(name).map(ScheduleChildren::refusals).orElse(0);
  }

  /**
   * After a deletion that freed nothing: PolarDB has since accepted the backup that was refused, or
   * one made for a tick at or after the refusal, so the quota lets backups through again.
   */
  boolean acceptedSince(QuotaRotation rotation) {
    Instant since = parseOrEpoch(rotation.freedNothingAt());
    return live().stream()
        .filter(ScheduleChildren::accepted)
        .anyMatch(
            b ->
                b.getMetadata().getName().equals(rotation.waitingBackup())
                    || !tickOf(b).isBefore(since));
  }

  /** PolarDB took the backup: it got a job, whatever became of it later. */
  static boolean accepted(PolarDBBackup b) {
    var status = b.getStatus();
    return status != null
        && (status.getBackupJobId() != null
            || status.getBackupId() != null
            || status.getPhase() == Phase.Running
            || status.getPhase() == Phase.Succeeded);
  }

  /** A failed child holds a manual-backup slot only if PolarDB made (or began) its backup. */
  private static boolean holdsABackup(PolarDBBackup b) {
    return b.getStatus() != null
        && (b.getStatus().getBackupJobId() != null || b.getStatus().getBackupId() != null);
  }

  private static int refusals(PolarDBBackup b) {
    return b.getStatus() == null || b.getStatus().getQuotaWaits() == null
        ? 0
        : b.getStatus().getQuotaWaits();
  }

  private List<PolarDBBackup> live() {
    List<PolarDBBackup> live = new ArrayList<>(active);
    live.addAll(succeeded);
    live.addAll(failed);
    return live;
  }

  private static Optional<PolarDBBackup> named(String name, List<PolarDBBackup> among) {
    return among.stream().filter(b -> b.getMetadata().getName().equals(name)).findFirst();
  }

  private static Instant parseOrEpoch(String time) {
    try {
      return Instant.parse(time);
    } catch (RuntimeException e) {
      return Instant.EPOCH;
    }
  }

  /** The newest finished child, succeeded or failed. */
  Optional<PolarDBBackup> newestFinished() {
    return java.util.stream.Stream.concat(succeeded.stream(), failed.stream())
        .max(Comparator.comparing(ScheduleChildren::tickOf));
  }

  Optional<PolarDBBackup> oldestSucceeded() {
    return succeeded.isEmpty()
        ? Optional.empty()
        : Optional.of(succeeded.get(succeeded.size() - 1));
  }

  /**
   * Finished children beyond keepLast or keepFailed, and successful ones older than maxAge except
   * the newest: a schedule that has failed for a while must not lose its last good backup to age.
   * Active children are never deleted.
   */
  List<Doomed> beyond(Retention retention, Instant now) {
    Map<String, Doomed> doomed = new LinkedHashMap<>();
    int keepLast = retention.effectiveKeepLast();
    for (int i = keepLast; i < succeeded.size(); i++) {
      add(doomed, succeeded.get(i), "beyond keepLast=" + keepLast);
    }
    int keepFailed = retention.effectiveKeepFailed();
    for (int i = keepFailed; i < failed.size(); i++) {
      add(doomed, failed.get(i), "beyond keepFailed=" + keepFailed);
    }
    Optional<Duration> maxAge = retention.maxAgeDuration();
    if (maxAge.isPresent()) {
      Instant cutoff = now.minus(maxAge.get());
      for (int i = 1; i < succeeded.size(); i++) {
        if (tickOf(succeeded.get(i)).isBefore(cutoff)) {
          add(doomed, succeeded.get(i), "older than maxAge=" + retention.maxAge());
        }
      }
    }
    return List.copyOf(doomed.values());
  }

  private void add(Map<String, Doomed> doomed, PolarDBBackup backup, String why) {
    if (!backup.getMetadata().getName().equals(inDrill)) {
      doomed.putIfAbsent(backup.getMetadata().getName(), new Doomed(backup, why));
    }
  }

  /**
   * The backup a restore drill restores from: neither retention nor rotation deletes it until the
   * drill is over, although a newer backup may have succeeded since.
   */
  void keepForDrill(String backupName) {
    inDrill = backupName;
  }
}
