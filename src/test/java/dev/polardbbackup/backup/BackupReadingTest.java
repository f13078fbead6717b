package dev.polardbbackup.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.polardbbackup.model.Phase;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupSpec;
import dev.polardbbackup.model.PolarDBBackupStatus;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What the quota-wait alert and the backups-by-phase panel read from one backup. */
class BackupReadingTest {
  private static final Instant ACCEPTED = Instant.parse("2030-01-01T10:00:00Z");

  private static PolarDBBackup backup() {
    var backup =
        new PolarDBBackup("team-a", "nightly-1", new PolarDBBackupSpec("pc-1", "cn-hangzhou"));
    backup.getMetadata().setCreationTimestamp("2030-01-01T09:59:58Z");
    return backup;
  }

  @Test
  void aBackupWaitingForQuotaHasWaitedSinceItStoppedBeingReady() {
    var backup = backup();
    var status = PolarDBBackupStatus.accept("uid-1", backup.getSpec(), 1, ACCEPTED);
    // Refused twice, an hour apart: the wait began when the backup was accepted, not at the last
    // refusal.
    status.waitForQuota("uid-1", true, "slots used", ACCEPTED.plusSeconds(60), "r-1", ACCEPTED);
    status.waitForQuota(
        "uid-1", true, "slots used", ACCEPTED.plusSeconds(3700), "r-2", ACCEPTED.plusSeconds(3600));
    backup.setStatus(status);

    BackupReading reading = BackupReading.of(backup);

    assertEquals(Phase.WaitingForQuota, reading.phase());
    assertEquals(Optional.of(ACCEPTED), reading.waitingForQuotaSince());
    assertEquals("pc-1", reading.dbClusterId());
    assertEquals("cn-hangzhou", reading.regionId());
    assertEquals("team-a", reading.namespace());
    assertEquals("nightly-1", reading.name());
  }

  @Test
  void onlyABackupWaitingForQuotaHasAWaitAndAnUnseenOneIsPending() {
    var running = backup();
    var status = PolarDBBackupStatus.accept("uid-1", running.getSpec(), 1, ACCEPTED);
    running.setStatus(status);

    assertEquals(Optional.empty(), BackupReading.of(running).waitingForQuotaSince());
    assertEquals(Phase.Pending, BackupReading.of(running).phase());
    assertEquals(Phase.Pending, BackupReading.of(backup()).phase());
    assertEquals(Optional.empty(), BackupReading.of(backup()).waitingForQuotaSince());
  }
}
