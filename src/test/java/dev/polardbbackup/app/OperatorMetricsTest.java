package dev.polardbbackup.app;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.polardb.CallListener;
import java.time.Duration;
import java.time.Instant;
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
}
