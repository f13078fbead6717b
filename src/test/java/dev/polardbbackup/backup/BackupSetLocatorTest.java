package dev.polardbbackup.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.polardb.Backup;
import dev.polardbbackup.polardb.BackupTask;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BackupSetLocatorTest {
  private static final Instant T = Instant.parse("2026-11-29T03:00:00Z");

  /** Our first CreateBackup went out a moment before the job started. */
  private static final Instant FIRST_SENT = T.minusMillis(300);

  private static final Instant EARLIEST = BackupSetLocator.earliestStart(FIRST_SENT);

  /** Our last send was the first: a set of ours starts at most MAX_SKEW after it. */
  private static final Instant LATEST = FIRST_SENT.plus(BackupSetLocator.MAX_SKEW);

  private static Backup manual(String id, Instant start) {
    return new Backup(
        id,
        "pc-1",
        "Success",
        "Manual",
        Optional.of(start),
        Optional.empty(),
        Optional.empty(),
        Optional.empty());
  }

  private static BackupSetLocator.Match locate(
      String jobId, Instant jobStart, List<Backup> backups, Set<String> excluded) {
    return BackupSetLocator.locate(
        jobId, Optional.of(jobStart), EARLIEST, LATEST, backups, excluded, Set.of(), 0);
  }

  private static String found(BackupSetLocator.Match m) {
    return m.set().map(Backup::backupId).orElse("none");
  }

  @Test
  void neverTakesABackupThatStartedBeforeOurFirstCreateBackup() {
    // A DBA's console backup 40 s before ours, and ours not listed yet: the DBA's is not a
    // candidate at all, however close it is.
    List<Backup> backups = List.of(manual("100", T.minusSeconds(40)));
    assertEquals("none", found(locate("9", T, backups, Set.of())));
    // Within the skew (PolarDB's clock, whole seconds) it still can be ours.
    assertEquals("101", found(locate("9", T, List.of(manual("101", T.minusSeconds(1))), Set.of())));
  }

  @Test
  void neverTakesABackupListedBeforeOurFirstCreateBackupOrClaimedByAnotherResource() {
    List<Backup> backups = List.of(manual("101", T), manual("102", T.plusSeconds(50)));
    assertEquals("102", found(locate("9", T, backups, Set.of("101"))));
    assertEquals("none", found(locate("9", T, backups, Set.of("101", "102"))));
  }

  @Test
  void takesTheClosestAndNamesTheOthersWhenMoreCouldBeOursThanWeHaveJobs() {
    // 101 is ours; 130 was made by hand 30 s later: taking 101 is right, but the match is in
    // doubt, so it must never be deleted.
    List<Backup> backups =
        List.of(manual("101", T.plusSeconds(1)), manual("130", T.plusSeconds(30)));
    BackupSetLocator.Match m = locate("9", T, backups, Set.of());
    assertEquals("101", found(m));
    assertTrue(m.ambiguous());
    assertEquals(List.of("130"), m.otherCandidates());
    // With another job of ours near that time, 130 is accounted for: no doubt.
    BackupSetLocator.Match mine =
        BackupSetLocator.locate(
            "9", Optional.of(T), EARLIEST, LATEST, backups, Set.of(), Set.of(), 1);
    assertEquals("101", found(mine));
    assertFalse(mine.ambiguous());
  }

  @Test
  void aSingleCandidateIsNotInDoubt() {
    BackupSetLocator.Match m = locate("9", T, List.of(manual("101", T.plusSeconds(1))), Set.of());
    assertEquals("101", found(m));
    assertFalse(m.ambiguous());
  }

  @Test
  void ignoresAutomatedAndFarAwayBackups() {
    Backup automated =
        new Backup(
            "200",
            "pc-1",
            "Success",
            "Automated",
            Optional.of(T),
            Optional.empty(),
            Optional.empty(),
            Optional.empty());
    List<Backup> backups = List.of(automated, manual("201", T.plusSeconds(600)));
    assertEquals("none", found(locate("9", T, backups, Set.of())));
  }

  @Test
  void jobsOfTheSameSecondTakeBackupsInIdOrder() {
    List<Backup> backups = List.of(manual("300", T), manual("301", T), manual("302", T));
    assertEquals("300", found(sameSecond("50", backups, Set.of(), Set.of("51", "52"))));
    assertEquals("301", found(sameSecond("51", backups, Set.of(), Set.of("50", "52"))));
    assertEquals("302", found(sameSecond("52", backups, Set.of(), Set.of("50", "51"))));
    // once 50 has claimed 300, 51 is first among the rest
    assertEquals("301", found(sameSecond("51", backups, Set.of("300"), Set.of("52"))));
    // numeric order, not text order
    assertTrue(BackupSetLocator.ID_ORDER.compare("99", "100") < 0);
  }

  private static BackupSetLocator.Match sameSecond(
      String jobId, List<Backup> backups, Set<String> claimed, Set<String> sameSecondJobs) {
    return BackupSetLocator.locate(
        jobId,
        Optional.of(T),
        EARLIEST,
        LATEST,
        backups,
        claimed,
        sameSecondJobs,
        sameSecondJobs.size());
  }

  @Test
  void waitsWhenFewerBackupsThanJobsAreListed() {
    List<Backup> backups = List.of(manual("300", T));
    assertEquals("none", found(sameSecond("51", backups, Set.of(), Set.of("50"))));
  }

  @Test
  void waitsRatherThanTakeABackupSomeoneElseStartedInTheSameSecond() {
    // 300 was made by hand in the same second as our job's 301: which is ours cannot be told, and
    // taking 300 would later delete someone else's backup.
    List<Backup> backups = List.of(manual("300", T), manual("301", T));
    BackupSetLocator.Match m = locate("51", T, backups, Set.of());
    assertEquals("none", found(m));
    assertTrue(m.undecided(), "deletion must know that one of them may be ours");
    assertEquals(List.of("300", "301"), m.otherCandidates());
  }

  @Test
  void aJobNeverSeenIsMatchedOnlyWithinTheWindowOfOurSendsAndOnlyWhenAlone() {
    // The job was never listed (its start is unknown): only sets started between our first send
    // and our last send (plus the skew) can be ours, and only a single one can be taken.
    List<Backup> one = List.of(manual("101", T.plusSeconds(1)), manual("500", T.plusSeconds(600)));
    assertEquals(
        "101",
        found(
            BackupSetLocator.locate(
                "9", Optional.empty(), EARLIEST, LATEST, one, Set.of(), Set.of(), 0)));
    List<Backup> two = List.of(manual("101", T.plusSeconds(1)), manual("102", T.plusSeconds(9)));
    BackupSetLocator.Match m =
        BackupSetLocator.locate(
            "9", Optional.empty(), EARLIEST, LATEST, two, Set.of(), Set.of(), 0);
    assertEquals("none", found(m));
    assertEquals(List.of("101", "102"), m.otherCandidates());
    // Two of our jobs sent in that window, two sets: job order gives set order.
    assertEquals(
        "101",
        found(
            BackupSetLocator.locate(
                "9", Optional.empty(), EARLIEST, LATEST, two, Set.of(), Set.of("12"), 1)));
    assertEquals(
        "102",
        found(
            BackupSetLocator.locate(
                "12", Optional.empty(), EARLIEST, LATEST, two, Set.of(), Set.of("9"), 1)));
  }

  @Test
  void aDbasJobListedInTheSameSecondRanksTheSetsButLeavesTheMatchInDoubt() {
    // DescribeBackupTasks lists the DBA's job 52 next to our 51: ids give the order, so 300 is
    // ours; but 301 is someone else's, so the match is never to be deleted.
    List<Backup> backups = List.of(manual("300", T), manual("301", T));
    BackupSetLocator.Match m =
        BackupSetLocator.locate(
            "51", Optional.of(T), EARLIEST, LATEST, backups, Set.of(), Set.of("52"), 0);
    assertEquals("300", found(m));
    assertTrue(m.ambiguous());
  }

  @Test
  void candidateJobsLeaveOutAutomatedOlderAndOtherResourcesJobs() {
    List<BackupTask> tasks =
        List.of(
            new BackupTask("1", "Finished", 100, "Manual", Optional.of(T), "TempBackupTask"),
            new BackupTask("2", "Finished", 100, "Automated", Optional.of(T), "NormalBackupTask"),
            new BackupTask(
                "3", "Finished", 100, "Manual", Optional.of(T.minusSeconds(60)), "TempBackupTask"),
            new BackupTask("4", "Uploading", 40, "Manual", Optional.of(T), "TempBackupTask"));
    assertEquals(
        List.of("1"),
        BackupSetLocator.candidateJobs(tasks, EARLIEST, Set.of("4")).stream()
            .map(BackupTask::backupJobId)
            .toList());
  }
}
