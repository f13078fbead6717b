package dev.polardbbackup.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.backup.BackupReading;
import dev.polardbbackup.deploy.MonitoringMetricNames;
import dev.polardbbackup.model.Phase;
import dev.polardbbackup.polardb.CallListener;
import dev.polardbbackup.schedule.ScheduleReading;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The fast half of "no alert or panel on a metric that does not exist": every operator metric the
 * rules and the dashboard query is in a scrape of {@link OperatorMetrics} once each thing it counts
 * has happened. JOSDK's {@code operator_sdk_*} and the Kubernetes client's request counter need a
 * running operator; OperatorIT checks every name, those included, against a real /metrics.
 */
class MonitoredMetricsTest {

  @Test
  void everyOperatorMetricTheAlertsAndDashboardUseIsScraped() {
    OperatorMetrics metrics = new OperatorMetrics();
    Instant t = Instant.ofEpochSecond(1_800_000_000L);
    metrics.observe(
        () ->
            List.of(
                new BackupReading(
                    "ns", "a", "cn-hangzhou", "pc-1", Phase.Succeeded, Optional.empty()),
                new BackupReading(
                    "ns", "b", "cn-hangzhou", "pc-1", Phase.WaitingForQuota, Optional.of(t))),
        () ->
            List.of(
                new ScheduleReading(
                    "ns",
                    "nightly",
                    Optional.of(Duration.ofDays(1)),
                    Optional.of(t),
                    Optional.of(t),
                    false)),
        () -> true);
    metrics.backupStarted("cn-hangzhou", "pc-1");
    metrics.backupSucceeded("cn-hangzhou", "pc-1", t);
    metrics.backupFailed("cn-hangzhou", "pc-2", "BackupFailed");
    metrics.quotaWait("cn-hangzhou", "pc-1");
    metrics.onCall(new CallListener.Call("CreateBackup", "OK", "", Duration.ofMillis(12)));
    metrics.onCall(
        new CallListener.Call(
            "CreateBackup", "AUTH", "InvalidAccessKeyId.NotFound", Duration.ZERO));

    Set<String> exposed = MonitoringMetricNames.exposedIn(metrics.scrape());

    Set<String> used = new TreeSet<>(MonitoringMetricNames.usedByRulesAndDashboard());
    used.removeIf(n -> n.startsWith("operator_sdk_") || n.equals("kubernetes_api_requests_total"));
    assertTrue(used.size() >= 10, "the extraction found the operator's metrics: " + used);
    Set<String> missing = new TreeSet<>(used);
    missing.removeAll(exposed);
    assertEquals(Set.of(), missing, "used by the rules or dashboard, absent from /metrics");
  }
}
