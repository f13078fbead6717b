package dev.polardbbackup.backup;

import dev.polardbbackup.polardb.Backup;
import dev.polardbbackup.polardb.BackupTask;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Finds the backup set that a job produced when PolarDB does not give it the job's id (the docs
 * leave open whether BackupJobId equals BackupId), without ever taking someone else's.
 *
 * <p>A set can be ours only if it is a manual backup that started at or after our first
 * CreateBackup with the current ClientToken (less {@link #SEND_SKEW} for clock differences and
 * whole-second times), was not listed just before that call, and no other PolarDBBackup claims it.
 * Among those, ours is the one that started closest to the job, within {@link #MAX_SKEW}. Jobs of
 * ours started in the same second on one cluster are told apart by order: PolarDB hands out job ids
 * and backup ids in creation order, so the n-th such job (by job id) takes the n-th such backup (by
 * backup id). When more sets could be ours than we have jobs near that time, one of them was made
 * by someone else (by hand, another tool): the match is then reported as ambiguous, and the caller
 * must never delete it.
 */
final class BackupSetLocator {
  static final Duration MAX_SKEW = Duration.ofMinutes(2);

  /** How much earlier than our first send (by our clock) PolarDB may date our backup. */
  static final Duration SEND_SKEW = Duration.ofSeconds(2);

  /** Ids compare as numbers when they are numbers (shorter is smaller), else as text. */
  static final Comparator<String> ID_ORDER =
      Comparator.comparingInt(String::length).thenComparing(Comparator.naturalOrder());

  /**
   * The set found (if any), and the other sets that could also have been it; with no set found, the
   * sets that could each be ours but could not be told apart (empty when there were none).
   */
  record Match(Optional<Backup> set, List<String> otherCandidates) {
    static final Match NONE = new Match(Optional.empty(), List.of());

    boolean ambiguous() {
      return set.isPresent() && !otherCandidates.isEmpty();
    }

    /** Sets that could be ours exist, but which one is ours cannot be told. */
    boolean undecided() {
      return set.isEmpty() && !otherCandidates.isEmpty();
    }
  }

  /**
   * The earliest start a set of ours can have: our first send, to the second, less the skew.
   *
   * @param firstSent when CreateBackup was first sent with the token that made the job
   */
  static Instant earliestStart(Instant firstSent) {
    return firstSent.truncatedTo(ChronoUnit.SECONDS).minus(SEND_SKEW);
  }

  /**
   * The manual sets that could be ours: started at or after {@code earliest}, and neither listed
   * before our first send nor claimed by another resource ({@code excluded}).
   */
  static List<Backup> candidates(
      List<Backup> manualBackups, Instant earliest, Set<String> excluded) {
    return manualBackups.stream()
        .filter(Backup::manual)
        .filter(b -> !excluded.contains(b.backupId()))
        .filter(b -> b.startTime().isPresent())
        .filter(b -> !b.startTime().get().isBefore(earliest))
        .toList();
  }

  /** Manual jobs started at or after {@code earliest} whose id no other resource holds. */
  static List<BackupTask> candidateJobs(
      List<BackupTask> tasks, Instant earliest, Set<String> excluded) {
    return tasks.stream()
        .filter(t -> !"Automated".equalsIgnoreCase(t.jobMode()))
        .filter(t -> !excluded.contains(t.backupJobId()))
        .filter(t -> t.startTime().map(s -> !s.isBefore(earliest)).orElse(true))
        .toList();
  }

  /**
   * @param jobId our job
   * @param jobStart when PolarDB says our job started (its task's StartTime), if it was ever seen
   * @param earliest see {@link #earliestStart}
   * @param latest the latest start a set of ours can have: our last send, plus {@link #MAX_SKEW}
   * @param manualBackups the cluster's manual backups around that time
   * @param excluded backup ids listed before our first send, or claimed by other PolarDBBackups
   * @param sameSecondJobs job ids of other unidentified PolarDBBackups of the cluster that could
   *     have made the same sets: whose job started in the same second as ours, or, when our job's
   *     start is unknown, whose CreateBackup calls went out while ours did
   * @param otherJobsNear how many other unidentified PolarDBBackups of the cluster have a job that
   *     started within {@link #MAX_SKEW} of ours (each may own one of the sets near ours)
   */
  static Match locate(
      String jobId,
      Optional<Instant> jobStart,
      Instant earliest,
      Instant latest,
      List<Backup> manualBackups,
      Set<String> excluded,
      Set<String> sameSecondJobs,
      int otherJobsNear) {
    List<Backup> candidates =
        candidates(manualBackups, earliest, excluded).stream()
            .filter(b -> !b.startTime().get().isAfter(latest))
            .filter(b -> jobStart.map(t -> distance(b, t).compareTo(MAX_SKEW) <= 0).orElse(true))
            .toList();
    if (candidates.isEmpty()) {
      return Match.NONE;
    }
    if (jobStart.isEmpty()) {
      // Without the job's own start only the send window says which sets could be ours. As many
      // sets as our jobs in that window: the n-th job takes the n-th set. More: one is someone
      // else's, and which cannot be told.
      List<Backup> byId =
          candidates.stream().sorted(Comparator.comparing(Backup::backupId, ID_ORDER)).toList();
      if (byId.size() != sameSecondJobs.size() + 1) {
        return new Match(Optional.empty(), byId.stream().map(Backup::backupId).toList());
      }
      long rank =
          sameSecondJobs.stream().filter(other -> ID_ORDER.compare(other, jobId) < 0).count();
      return new Match(Optional.of(byId.get((int) rank)), List.of());
    }
    Duration best =
        candidates.stream()
            .map(b -> distance(b, jobStart.get()))
            .min(Comparator.naturalOrder())
            .orElseThrow();
    List<Backup> closest =
        candidates.stream()
            .filter(b -> distance(b, jobStart.get()).equals(best))
            .sorted(Comparator.comparing(Backup::backupId, ID_ORDER))
            .toList();
    Optional<Backup> chosen;
    if (closest.size() == 1 && sameSecondJobs.isEmpty()) {
      chosen = Optional.of(closest.get(0));
    } else {
      long rank =
          sameSecondJobs.stream().filter(other -> ID_ORDER.compare(other, jobId) < 0).count();
      // Fewer sets than jobs: some are not listed yet. More sets than jobs: one was made by someone
      // else in the same second. Either way wait rather than guess.
      chosen =
          closest.size() == sameSecondJobs.size() + 1
              ? Optional.of(closest.get((int) rank))
              : Optional.empty();
    }
    if (chosen.isEmpty()) {
      return new Match(Optional.empty(), closest.stream().map(Backup::backupId).toList());
    }
    // More sets near ours than jobs of ours near it: at least one is someone else's.
    boolean doubt = candidates.size() > otherJobsNear + 1;
    List<String> others =
        doubt
            ? candidates.stream()
                .map(Backup::backupId)
                .filter(id -> !id.equals(chosen.get().backupId()))
                .toList()
            : List.of();
    return new Match(chosen, others);
  }

  private static Duration distance(Backup b, Instant jobStart) {
    return Duration.between(b.startTime().orElseThrow(), jobStart).abs();
  }
}
