package dev.polardbbackup.app;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Per-cluster series are bounded by the clusters that PolarDBBackups name, not by history. */
class ForgottenClusterMetricsTest {

  @Test
  void aForgottenClusterLeavesNoSeriesAndTheOthersKeepTheirs() {
    OperatorMetrics metrics = new OperatorMetrics();
    for (int i = 0; i < 100; i++) {
      String cluster = "pc-madeup" + i;
      metrics.backupStarted("cn-hangzhou", cluster);
      metrics.backupSucceeded("cn-hangzhou", cluster, Instant.ofEpochSecond(1_800_000_000L));
      metrics.backupFailed("cn-hangzhou", cluster, "BackupFailed");
      metrics.quotaWait("cn-hangzhou", cluster);
    }
    metrics.backupStarted("cn-hangzhou", "pc-kept");
    metrics.backupSucceeded("cn-hangzhou", "pc-kept", Instant.ofEpochSecond(1_800_000_000L));
    // Same id in another region: a different cluster, kept.
    metrics.backupStarted("cn-beijing", "pc-madeup0");

    for (int i = 0; i < 100; i++) {
      metrics.clusterForgotten("cn-hangzhou", "pc-madeup" + i);
    }

    String text = metrics.scrape();
    assertFalse(text.contains("cluster=\"pc-madeup1"), text);
    assertFalse(text.contains("cluster=\"pc-madeup0\",region=\"cn-hangzhou\""), text);
    assertTrue(text.contains("cluster=\"pc-madeup0\",region=\"cn-beijing\""), text);
    assertTrue(
        text.contains(
            "polardb_last_successful_backup_timestamp_seconds{cluster=\"pc-kept\",region=\"cn-hangzhou\"} 1.8E9"),
        text);
    assertTrue(
        metrics.registry.getMeters().stream()
                .filter(m -> m.getId().getTag("cluster") != null)
                .count()
            == 4,
        text);

    // A forgotten cluster that comes back is counted afresh, its gauge included.
    metrics.backupSucceeded("cn-hangzhou", "pc-madeup7", Instant.ofEpochSecond(1_900_000_000L));
    assertTrue(
        metrics
            .scrape()
            .contains(
                "polardb_last_successful_backup_timestamp_seconds{cluster=\"pc-madeup7\",region=\"cn-hangzhou\"} 1.9E9"));
  }
}
