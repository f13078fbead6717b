package dev.polardbbackup.app;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.backup.BackupReading;
import dev.polardbbackup.model.Phase;
import dev.polardbbackup.polardb.CallListener;
import dev.polardbbackup.schedule.ScheduleReading;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class OperatorMetricsTest {

  @Test
  void backupAndApiCallMetricsAppearInPrometheusText() {
    OperatorMetrics metrics = new OperatorMetrics();
    metrics.backupStarted("cn-hangzhou", "pc-1");
    metrics.backupSucceeded("cn-hangzhou", "pc-1", Instant.ofEpochSecond(1_800_000_000L));
    metrics.backupFailed("cn-hangzhou", "pc-2", "BackupFailed");
    metrics.quotaWait("cn-hangzhou", "pc-1");
    metrics.onCall(new CallListener.Call("CreateBackup", "OK", "", Duration.ofMillis(12)));

    String text = metrics.scrape();

    assertTrue(
        text.contains("polardb_backups_started_total{cluster=\"pc-1\",region=\"cn-hangzhou\"} 1.0"),
        text);
    assertTrue(
        text.contains(
            "polardb_backups_succeeded_total{cluster=\"pc-1\",region=\"cn-hangzhou\"} 1.0"),
        text);
    assertTrue(
        text.contains(
            "polardb_backups_failed_total{cluster=\"pc-2\",reason=\"BackupFailed\",region=\"cn-hangzhou\"} 1.0"),
        text);
    assertTrue(text.contains("polardb_backup_quota_waits_total"), text);
    assertTrue(
        text.contains(
            "polardb_last_successful_backup_timestamp_seconds{cluster=\"pc-1\",region=\"cn-hangzhou\"} 1.8E9"),
        text);
    assertTrue(
        text.contains(
            "polardb_api_calls_seconds_count{action=\"CreateBackup\",code=\"\",outcome=\"OK\"} 1"),
        text);
  }

  private static BackupReading backup(String name, Phase phase, Instant waitingSince) {
    return new BackupReading(
        "team-a", name, "cn-hangzhou", "pc-1", phase, Optional.ofNullable(waitingSince));
  }

  @Test
  void objectsAreReadAtEachScrapeAndADeletedOnesSeriesGoes() {
    OperatorMetrics metrics = new OperatorMetrics();
    List<BackupReading> backups = new ArrayList<>();
    List<ScheduleReading> schedules = new ArrayList<>();
    AtomicBoolean leading = new AtomicBoolean(true);
    metrics.observe(() -> List.copyOf(backups), () -> List.copyOf(schedules), leading::get);
    backups.add(backup("a", Phase.Succeeded, null));
    backups.add(backup("b", Phase.Succeeded, null));
    backups.add(backup("c", Phase.WaitingForQuota, Instant.ofEpochSecond(1_800_000_000L)));
    schedules.add(
        new ScheduleReading(
            "team-a",
            "nightly",
            Optional.of(Duration.ofDays(1)),
            Optional.of(Instant.ofEpochSecond(1_800_000_100L)),
            Optional.of(Instant.ofEpochSecond(1_700_000_000L)),
            true));

    String text = metrics.scrape();

    assertTrue(
        text.contains("polardb_backups{namespace=\"team-a\",phase=\"Succeeded\"} 2.0"), text);
    assertTrue(
        text.contains("polardb_backups{namespace=\"team-a\",phase=\"WaitingForQuota\"} 1.0"), text);
    assertTrue(
        text.contains(
            "polardb_backup_waiting_for_quota_since_timestamp_seconds{backup=\"c\",cluster=\"pc-1\",namespace=\"team-a\",region=\"cn-hangzhou\"} 1.8E9"),
        text);
    assertTrue(
        text.contains(
            "polardb_schedule_interval_seconds{namespace=\"team-a\",schedule=\"nightly\"} 86400.0"),
        text);
    assertTrue(
        text.contains(
            "polardb_schedule_last_successful_backup_timestamp_seconds{namespace=\"team-a\",schedule=\"nightly\"} 1.8000001E9"),
        text);
    assertTrue(
        text.contains(
            "polardb_schedule_created_timestamp_seconds{namespace=\"team-a\",schedule=\"nightly\"} 1.7E9"),
        text);
    assertTrue(
        text.contains("polardb_schedule_stalled{namespace=\"team-a\",schedule=\"nightly\"} 1.0"),
        text);
    assertTrue(text.contains("polardb_operator_leader 1.0"), text);

    backups.remove(2);
    schedules.clear();
    String later = metrics.scrape();

    assertTrue(later.contains("phase=\"Succeeded\"} 2.0"), later);
    assertFalse(later.contains("phase=\"WaitingForQuota\""), later);
    assertFalse(later.contains("backup=\"c\""), later);
    assertFalse(later.contains("schedule=\"nightly\""), later);
  }

  @Test
  void aStandbyReportsNoObjectsSoThatSumsCountEachBackupOnce() {
    OperatorMetrics metrics = new OperatorMetrics();
    AtomicBoolean leading = new AtomicBoolean(false);
    metrics.observe(
        () -> List.of(backup("a", Phase.Succeeded, null)),
        () ->
            List.of(
                new ScheduleReading(
                    "team-a",
                    "nightly",
                    Optional.of(Duration.ofDays(1)),
                    Optional.empty(),
                    Optional.empty(),
                    false)),
        leading::get);

    String standby = metrics.scrape();
    leading.set(true);
    String leader = metrics.scrape();

    assertTrue(standby.contains("polardb_operator_leader 0.0"), standby);
    assertFalse(standby.contains("polardb_backups{"), standby);
    assertFalse(standby.contains("schedule=\"nightly\""), standby);
    assertTrue(leader.contains("polardb_operator_leader 1.0"), leader);
    assertTrue(
        leader.contains("polardb_backups{namespace=\"team-a\",phase=\"Succeeded\"} 1.0"), leader);
    assertTrue(
        leader.contains("polardb_schedule_stalled{namespace=\"team-a\",schedule=\"nightly\"} 0.0"),
        leader);
  }
}
