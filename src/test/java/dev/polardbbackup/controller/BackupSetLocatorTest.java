package dev.polardbbackup.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.polardb.Backup;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BackupSetLocatorTest {
  private static final Instant T = Instant.parse("2026-11-29T03:00:00Z");

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

  private static String found(Optional<Backup> b) {
    return b.map(Backup::backupId).orElse("none");
  }

  @Test
  void takesTheUnclaimedBackupThatStartedClosestToTheJob() {
    List<Backup> backups =
        List.of(
            manual("100", T.minusSeconds(40)),
            manual("101", T.plusSeconds(1)),
            manual("102", T.plusSeconds(30)));
    assertEquals("101", found(BackupSetLocator.locate("9", T, backups, Set.of(), Set.of())));
    assertEquals(
        "102", found(BackupSetLocator.locate("9", T.plusSeconds(25), backups, Set.of(), Set.of())));
  }

  @Test
  void neverTakesABackupAnotherResourceClaimed() {
    List<Backup> backups = List.of(manual("101", T), manual("102", T.plusSeconds(50)));
    assertEquals("102", found(BackupSetLocator.locate("9", T, backups, Set.of("101"), Set.of())));
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
    List<Backup> backups = List.of(automated, manual("201", T.minusSeconds(600)));
    assertEquals("none", found(BackupSetLocator.locate("9", T, backups, Set.of(), Set.of())));
  }

  @Test
  void jobsOfTheSameSecondTakeBackupsInIdOrder() {
    List<Backup> backups = List.of(manual("300", T), manual("301", T), manual("302", T));
    assertEquals(
        "300", found(BackupSetLocator.locate("50", T, backups, Set.of(), Set.of("51", "52"))));
    assertEquals(
        "301", found(BackupSetLocator.locate("51", T, backups, Set.of(), Set.of("50", "52"))));
    assertEquals(
        "302", found(BackupSetLocator.locate("52", T, backups, Set.of(), Set.of("50", "51"))));
    // once 50 has claimed 300, 51 is first among the rest
    assertEquals(
        "301", found(BackupSetLocator.locate("51", T, backups, Set.of("300"), Set.of("52"))));
    // numeric order, not text order
    assertTrue(BackupSetLocator.ID_ORDER.compare("99", "100") < 0);
  }

  @Test
  void waitsWhenFewerBackupsThanJobsAreListed() {
    List<Backup> backups = List.of(manual("300", T));
    assertEquals("none", found(BackupSetLocator.locate("51", T, backups, Set.of(), Set.of("50"))));
  }

  @Test
  void waitsRatherThanTakeABackupSomeoneElseStartedInTheSameSecond() {
    // 300 was made by hand in the same second as our job's 301: which is ours cannot be told, and
    // taking 300 would later delete someone else's backup.
    List<Backup> backups = List.of(manual("300", T), manual("301", T));
    assertEquals("none", found(BackupSetLocator.locate("51", T, backups, Set.of(), Set.of())));
  }
}
