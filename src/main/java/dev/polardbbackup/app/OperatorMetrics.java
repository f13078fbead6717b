package dev.polardbbackup.app;

import dev.polardbbackup.backup.BackupListener;
import dev.polardbbackup.backup.BackupReading;
import dev.polardbbackup.polardb.CallListener;
import dev.polardbbackup.schedule.ScheduleReading;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The operator's own metrics, next to JOSDK's reconcile metrics in one Prometheus registry: backups
 * started, succeeded, failed and waiting for quota; PolarDB API calls by action and outcome with
 * latency; Kubernetes API requests by verb; and the last successful backup per cluster.
 *
 * <p>What the objects say now (backups by phase, backups waiting for quota, each schedule's
 * interval, last success and stall) is read from the controllers' caches at each scrape, so that
 * the series are exactly the objects that exist: a deleted object's series is gone at the next
 * scrape.
 */
final class OperatorMetrics implements BackupListener, CallListener {
  final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Map<String, AtomicLong> lastSuccess = new ConcurrentHashMap<>();
  private Supplier<List<BackupReading>> backups = List::of;
  private Supplier<List<ScheduleReading>> schedules = List::of;
  private BooleanSupplier leading = () -> false;
  private final MultiGauge backupsByPhase =
      MultiGauge.builder("polardb_backups")
          .description("PolarDBBackup objects by namespace and phase")
          .register(registry);
  private final MultiGauge waitingForQuota =
      MultiGauge.builder("polardb_backup_waiting_for_quota_since_timestamp_seconds")
          .description("Since when each backup in WaitingForQuota has not been Ready")
          .register(registry);
  private final MultiGauge scheduleInterval =
      MultiGauge.builder("polardb_schedule_interval_seconds")
          .description(
              "The longest gap between a schedule's cron ticks; absent while it is suspended,"
                  + " paused or invalid")
          .register(registry);
  private final MultiGauge scheduleLastSuccess =
      MultiGauge.builder("polardb_schedule_last_successful_backup_timestamp_seconds")
          .description("When a schedule's most recent successful backup completed")
          .register(registry);
  private final MultiGauge scheduleCreated =
      MultiGauge.builder("polardb_schedule_created_timestamp_seconds")
          .description("When a schedule was created (its age before its first success)")
          .register(registry);
  private final MultiGauge scheduleStalled =
      MultiGauge.builder("polardb_schedule_stalled")
          .description("1 while a schedule's Stalled condition is True, else 0")
          .register(registry);

  /**
   * Reads the objects at each scrape from these, and exports whether this replica is the one that
   * reconciles. Only that replica reports the objects: a standby's caches may be as full as the
   * leader's, and two replicas reporting them would count every backup twice in a sum.
   */
  void observe(
      Supplier<List<BackupReading>> backups,
      Supplier<List<ScheduleReading>> schedules,
      BooleanSupplier leading) {
    this.backups = backups;
    this.schedules = schedules;
    this.leading = leading;
    Gauge.builder("polardb_operator_leader", () -> leading.getAsBoolean() ? 1 : 0)
        .description(
            "1 on the replica that reconciles: the leader (of its shard, and not held by the"
                + " shard fence), or the only replica without leader election")
        .register(registry);
  }

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
    readObjects();
    return registry.scrape();
  }

  /**
   * One pass over the caches; rows of objects gone since the last scrape are removed, and all of
   * them while this replica does not lead.
   */
  private synchronized void readObjects() {
    Map<List<String>, Integer> byPhase = new HashMap<>();
    boolean reporting = leading.getAsBoolean();
    List<MultiGauge.Row<?>> waiting = new ArrayList<>();
    for (BackupReading b : reporting ? backups.get() : List.<BackupReading>of()) {
      byPhase.merge(List.of(b.namespace(), b.phase().name()), 1, Integer::sum);
      b.waitingForQuotaSince()
          .ifPresent(
              since ->
                  waiting.add(
                      MultiGauge.Row.of(
                          Tags.of(
                              "namespace", b.namespace(),
                              "backup", b.name(),
                              "region", b.regionId(),
                              "cluster", b.dbClusterId()),
                          since.getEpochSecond())));
    }
    List<MultiGauge.Row<?>> phases = new ArrayList<>();
    byPhase.forEach(
        (key, count) ->
            phases.add(
                MultiGauge.Row.of(Tags.of("namespace", key.get(0), "phase", key.get(1)), count)));
    backupsByPhase.register(phases, true);
    waitingForQuota.register(waiting, true);

    List<MultiGauge.Row<?>> intervals = new ArrayList<>();
    List<MultiGauge.Row<?>> successes = new ArrayList<>();
    List<MultiGauge.Row<?>> created = new ArrayList<>();
    List<MultiGauge.Row<?>> stalled = new ArrayList<>();
    for (ScheduleReading s : reporting ? schedules.get() : List.<ScheduleReading>of()) {
      Tags tags = Tags.of("namespace", s.namespace(), "schedule", s.name());
      s.interval().ifPresent(i -> intervals.add(MultiGauge.Row.of(tags, i.toSeconds())));
      s.lastSuccess().ifPresent(t -> successes.add(MultiGauge.Row.of(tags, t.getEpochSecond())));
      s.created().ifPresent(t -> created.add(MultiGauge.Row.of(tags, t.getEpochSecond())));
      stalled.add(MultiGauge.Row.of(tags, s.stalled() ? 1 : 0));
    }
    scheduleInterval.register(intervals, true);
    scheduleLastSuccess.register(successes, true);
    scheduleCreated.register(created, true);
    scheduleStalled.register(stalled, true);
  }
}
