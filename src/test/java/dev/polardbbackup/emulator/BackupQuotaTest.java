package dev.polardbbackup.emulator;

import static dev.polardbbackup.emulator.EmulatorHarness.CLUSTER;
import static dev.polardbbackup.emulator.EmulatorHarness.OTHER_CLUSTER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;

class BackupQuotaTest {

  @Test
  void retainedQuotaRefusesAFourthBackupUntilOneIsDeleted() {
    try (EmulatorHarness h = EmulatorHarness.start()) {
      String firstJob = h.createBackup().text("BackupJobId");
      h.createBackup();
      h.createBackup();

      AcsTestClient.Reply refused = h.createBackup();
      assertEquals(403, refused.status());
      assertEquals("BackupTimesExceeded", refused.code());
      assertTrue(refused.text("Message").contains("per day"));
      assertEquals(200, h.createBackup(OTHER_CLUSTER, null).status(), "the quota is per cluster");

      h.clock.advance(Duration.ofMinutes(2));
      assertEquals("BackupTimesExceeded", h.createBackup().code(), "finished backups still count");
      assertEquals(200, h.deleteBackup(CLUSTER, h.backupIdOf(firstJob)).status());
      assertEquals(200, h.createBackup().status());
    }
  }

  @Test
  void failedBackupHoldsItsSlotForEverWhenFailedSetsCannotBeDeleted() {
    try (EmulatorHarness h = EmulatorHarness.start(b -> b.quota(1))) {
      h.emulator.failBackups(CLUSTER, "disk full");
      String job = h.createBackup().text("BackupJobId");
      h.clock.advance(Duration.ofMinutes(2));

      assertEquals("BackupTimesExceeded", h.createBackup().code());
      assertEquals("IncorrectBackupSetState", h.deleteBackup(CLUSTER, h.backupIdOf(job)).code());
      h.clock.advance(Duration.ofDays(2));
      assertEquals("BackupTimesExceeded", h.createBackup().code());
    }
  }

  @Test
  void failedBackupFreesItsSlotWhenFailedSetsMayBeDeleted() {
    try (EmulatorHarness h = EmulatorHarness.start(b -> b.quota(1).deleteFailedBackups(true))) {
      h.emulator.failBackups(CLUSTER, "disk full");
      String job = h.createBackup().text("BackupJobId");
      h.clock.advance(Duration.ofMinutes(2));

      assertEquals("BackupTimesExceeded", h.createBackup().code());
      assertEquals(200, h.deleteBackup(CLUSTER, h.backupIdOf(job)).status());
      assertEquals(200, h.createBackup().status());
    }
  }

  @Test
  void dailyQuotaResetsAtMidnightInTheQuotaZone() {
    try (EmulatorHarness h =
        EmulatorHarness.start(
            b ->
                b.quota(2)
                    .quotaMode(PolarDbEmulator.QuotaMode.DAILY)
                    .dailyQuotaZone(ZoneId.of("Asia/Shanghai")))) {
      // 23:30 in Shanghai.
      h.clock.set(Instant.parse("2025-03-10T15:30:00Z"));
      String job = h.createBackup().text("BackupJobId");
      h.createBackup();
      assertEquals("BackupTimesExceeded", h.createBackup().code());

      h.clock.advance(Duration.ofMinutes(2));
      assertEquals(200, h.deleteBackup(CLUSTER, h.backupIdOf(job)).status());
      assertEquals(
          "BackupTimesExceeded", h.createBackup().code(), "deleting does not give back a day slot");

      h.clock.set(Instant.parse("2025-03-10T16:00:00Z"));
      assertEquals(200, h.createBackup().status());
      assertEquals(200, h.createBackup().status());
      assertEquals("BackupTimesExceeded", h.createBackup().code());
    }
  }
}
