package dev.polardbbackup.controller;

import dev.polardbbackup.model.Phase;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.Retention;
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
 * The backups one schedule owns, sorted newest tick first, and which of them retention deletes.
 * Backups already being deleted are counted nowhere but in {@link #terminating()}.
 */
final class ScheduleChildren {
  static final String SCHEDULED_AT_ANNOTATION = PolarDBBackup.GROUP + "/scheduled-at";

  private final List<PolarDBBackup> active = new ArrayList<>();
  private final List<PolarDBBackup> succeeded = new ArrayList<>();
  private final List<PolarDBBackup> failed = new ArrayList<>();
  private final List<PolarDBBackup> terminating = new ArrayList<>();

  /** One child to delete and why, in words for the user. */
  record Doomed(PolarDBBackup backup, String why) {}

  ScheduleChildren(Collection<PolarDBBackup> all, String scheduleUid) {
    all.stream()
        .filter(b -> ownedBy(b, scheduleUid))
        .sorted(Comparator.comparing(ScheduleChildren::tickOf).reversed())
        .forEach(this::sort);
  }

  static boolean ownedBy(PolarDBBackup backup, String scheduleUid) {
    var owners = backup.getMetadata().getOwnerReferences();
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

  private static void add(Map<String, Doomed> doomed, PolarDBBackup backup, String why) {
    doomed.putIfAbsent(backup.getMetadata().getName(), new Doomed(backup, why));
  }
}
