package dev.polardbbackup.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.backup.BackupReading;
import dev.polardbbackup.deploy.MonitoringMetricNames;
import dev.polardbbackup.model.Phase;
import dev.polardbbackup.polardb.CallListener;
import dev.polardbbackup.schedule.ScheduleReading;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Constants;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.javaoperatorsdk.operator.processing.GroupVersionKind;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The fast half of "no alert or panel on a metric that does not exist": every operator metric the
 * rules and the dashboard query is in a scrape of {@link OperatorMetrics} once each thing it counts
 * has happened. JOSDK's {@code operator_sdk_*} and the Kubernetes client's request counter need a
 * running operator; OperatorIT checks every name, those included, against a real /metrics, but for
 * the reconcile-error counter, which JOSDK writes only at the first error: that one is checked
 * here, by having JOSDK's own metrics record an error.
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

    // What OperatorApp hands JOSDK, on the same registry, told of one reconcile that threw.
    MicrometerMetrics.withoutPerResourceMetrics(metrics.registry)
        .failedReconciliation(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName("b")
                .withNamespace("ns")
                .endMetadata()
                .build(),
            new IllegalStateException("a bug"),
            Map.of(
                Constants.RESOURCE_GVK_KEY,
                new GroupVersionKind("polardbbackup.dev", "v1alpha1", "PolarDBBackup")));

    Set<String> exposed = MonitoringMetricNames.exposedIn(metrics.scrape());

    Set<String> used = new TreeSet<>(MonitoringMetricNames.usedByRulesAndDashboard());
    used.removeIf(n -> n.startsWith("operator_sdk_") || n.equals("kubernetes_api_requests_total"));
    used.addAll(MonitoringMetricNames.BORN_AT_FIRST_RECONCILE_ERROR);
    assertTrue(used.size() >= 10, "the extraction found the operator's metrics: " + used);
    Set<String> missing = new TreeSet<>(used);
    missing.removeAll(exposed);
    assertEquals(Set.of(), missing, "used by the rules or dashboard, absent from /metrics");
  }
}
