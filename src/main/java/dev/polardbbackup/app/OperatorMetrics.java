package dev.polardbbackup.app;

import dev.polardbbackup.backup.BackupListener;
import dev.polardbbackup.polardb.CallListener;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The operator's own metrics, next to JOSDK's reconcile metrics in one Prometheus registry: backups
 * started, succeeded, failed and waiting for quota; PolarDB API calls by action and outcome with
 * latency; Kubernetes API requests by verb; and the last successful backup per cluster.
 */
final class OperatorMetrics implements BackupListener, CallListener {
  final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Map<String, AtomicLong> lastSuccess = new ConcurrentHashMap<>();

  @Override
  public void backupStarted(String regionId, String dbClusterId) {
    counter("polardb_backups_started", regionId, dbClusterId).increment();
  }

  @Override
  public void backupSucceeded(String regionId, String dbClusterId, Instant completedAt) {
    counter("polardb_backups_succeeded", regionId, dbClusterId).increment();
    lastSuccess
        .computeIfAbsent(
            regionId + "/" + dbClusterId,
            key -> {
              AtomicLong seconds = new AtomicLong();
              registry.gauge(
                  "polardb_last_successful_backup_timestamp_seconds",
                  io.micrometer.core.instrument.Tags.of("region", regionId, "cluster", dbClusterId),
                  seconds);
              return seconds;
            })
        .accumulateAndGet(completedAt.getEpochSecond(), Math::max);
  }

  @Override
  public void backupFailed(String regionId, String dbClusterId, String reason) {
    Counter.builder("polardb_backups_failed")
        .tags("region", regionId, "cluster", dbClusterId, "reason", reason)
        .register(registry)
        .increment();
  }

  @Override
  public void quotaWait(String regionId, String dbClusterId) {
    counter("polardb_backup_quota_waits", regionId, dbClusterId).increment();
  }

  /**
   * Meters of a cluster that no PolarDBBackup names any more go, so that the series are bounded by
   * the objects that exist. A counter that comes back later starts from zero, which Prometheus
   * reads as a counter reset.
   */
  @Override
  public void clusterForgotten(String regionId, String dbClusterId) {
    lastSuccess.remove(regionId + "/" + dbClusterId);
    registry.getMeters().stream()
        .filter(m -> regionId.equals(m.getId().getTag("region")))
        .filter(m -> dbClusterId.equals(m.getId().getTag("cluster")))
        .forEach(registry::remove);
  }

  private Counter counter(String name, String regionId, String dbClusterId) {
    return Counter.builder(name)
        .tags("region", regionId, "cluster", dbClusterId)
        .register(registry);
  }

  /** Every HTTP attempt of the PolarDB client. */
  @Override
  public void onCall(Call call) {
    Timer.builder("polardb_api_calls")
        .description("PolarDB OpenAPI calls by action and outcome")
        .tags("action", call.action(), "outcome", call.outcome(), "code", call.errorCode())
        .register(registry)
        .record(call.latency());
  }

  /** Counts the Kubernetes API requests this process makes, by verb. */
  Interceptor kubernetesRequests() {
    return new Interceptor() {
      @Override
      public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
        String verb = request.method();
        if ("GET".equals(verb)
            && request.uri().getQuery() != null
            && request.uri().getQuery().contains("watch=true")) {
          verb = "WATCH";
        }
        Counter.builder("kubernetes_api_requests")
            .tag("method", verb)
            .register(registry)
            .increment();
      }
    };
  }

  String scrape() {
    return registry.scrape();
  }
}
