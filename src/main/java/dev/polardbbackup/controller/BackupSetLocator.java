package dev.polardbbackup.controller;

import dev.polardbbackup.polardb.Backup;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Finds the backup set that a job produced when PolarDB does not give it the job's id (the docs
 * leave open whether BackupJobId equals BackupId). The set is the unclaimed manual backup of the
 * cluster that started closest to the job, within two minutes. Jobs started in the same second on
 * one cluster are told apart by order: PolarDB hands out job ids and backup ids in creation order,
 * so the n-th such job (by job id) takes the n-th such backup (by backup id).
 */
final class BackupSetLocator {
  static final Duration MAX_SKEW = Duration.ofMinutes(2);

  /** Ids compare as numbers when they are numbers (shorter is smaller), else as text. */
  static final Comparator<String> ID_ORDER =
      Comparator.comparingInt(String::length).thenComparing(Comparator.naturalOrder());

  /**
   * @param jobId our job
   * @param jobStart when our job started (the task's StartTime, else when CreateBackup returned)
   * @param manualBackups the cluster's manual backups around that time
   * @param claimed backup ids that other PolarDBBackups already identified as theirs
   * @param sameSecondJobs job ids of other unidentified PolarDBBackups of the cluster whose job
   *     started in the same second as ours
   */
  static Optional<Backup> locate(
      String jobId,
      Instant jobStart,
      List<Backup> manualBackups,
      Set<String> claimed,
      Set<String> sameSecondJobs) {
    List<Backup> candidates =
        manualBackups.stream()
            .filter(Backup::manual)
            .filter(b -> !claimed.contains(b.backupId()))
            .filter(b -> b.startTime().isPresent())
            .filter(b -> distance(b, jobStart).compareTo(MAX_SKEW) <= 0)
            .toList();
    if (candidates.isEmpty()) {
      return Optional.empty();
    }
    Duration best =
        candidates.stream()
            .map(b -> distance(b, jobStart))
            .min(Comparator.naturalOrder())
            .orElseThrow();
    List<Backup> closest =
        candidates.stream()
            .filter(b -> distance(b, jobStart).equals(best))
            .sorted(Comparator.comparing(Backup::backupId, ID_ORDER))
            .toList();
    if (closest.size() == 1 && sameSecondJobs.isEmpty()) {
      return Optional.of(closest.get(0));
    }
    long rank = sameSecondJobs.stream().filter(other -> ID_ORDER.compare(other, jobId) < 0).count();
    // Fewer sets than jobs: some are not listed yet. More sets than jobs: one was made by someone
    // else (by hand, another tool) in the same second, and taking it would later delete it. Either
    // way wait rather than guess.
    return closest.size() == sameSecondJobs.size() + 1
        ? Optional.of(closest.get((int) rank))
        : Optional.empty();
  }

  private static Duration distance(Backup b, Instant jobStart) {
    return Duration.between(b.startTime().orElseThrow(), jobStart).abs();
  }
}
