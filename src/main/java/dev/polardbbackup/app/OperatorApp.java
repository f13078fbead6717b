package dev.polardbbackup.app;

import dev.polardbbackup.access.SecretReader;
import dev.polardbbackup.backup.ControllerSettings;
import dev.polardbbackup.backup.PolarDBBackupReconciler;
import dev.polardbbackup.kube.Events;
import dev.polardbbackup.polardb.DefaultCredentialsChain;
import dev.polardbbackup.polardb.PolarDbClientFactory;
import dev.polardbbackup.policy.PolarDBBackupPolicyReconciler;
import dev.polardbbackup.restore.PolarDBRestoreReconciler;
import dev.polardbbackup.restore.RestoreSettings;
import dev.polardbbackup.schedule.PolarDBBackupScheduleReconciler;
import dev.polardbbackup.schedule.ScheduleSettings;
import dev.polardbbackup.shard.LeaseFence;
import dev.polardbbackup.shard.ShardGuard;
import dev.polardbbackup.shard.ShardLabeller;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The running operator: Kubernetes client, PolarDB clients, controller, metrics and endpoints. */
final class OperatorApp implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OperatorApp.class);

  private final Operator operator;
  private final HttpEndpoints endpoints;
  private final KubernetesClient kubernetes;
  private final AtomicBoolean leading = new AtomicBoolean();
  private final AtomicBoolean stopped = new AtomicBoolean();
  private final ShardGuard shardGuard;
  private final Optional<LeaseFence> fence;
  private final ShardLabeller labeller;
  private final Events events;

  private OperatorApp(OperatorSettings settings, Config kubeConfig, Map<String, String> env)
      throws IOException {
    Clock clock = Clock.systemUTC();
    OperatorMetrics metrics = new OperatorMetrics();
    kubernetes =
        new KubernetesClientBuilder()
            .withConfig(kubeConfig)
            .withHttpClientBuilderConsumer(
                b -> b.addOrReplaceInterceptor("metrics", metrics.kubernetesRequests()))
            .build();
    var http = PolarDbClientFactory.httpClient(Duration.ofSeconds(10), Duration.ofSeconds(30));
    var credentials =
        DefaultCredentialsChain.create(Optional.empty(), env, settings.stsEndpoint(), http, clock);
    var clients = new PolarDbClientFactory(settings.polarDbEndpoint(), http, clock, metrics);
    // With leader election, no work before the Leases of other shard counts have been read.
    shardGuard =
        settings.leaderElection().isPresent()
            ? ShardGuard.fenced(settings.shard(), settings.leaderElection().get().retryPeriod())
            : ShardGuard.open(settings.shard());
    fence =
        settings
            .leaderElection()
            .map(
                le ->
                    new LeaseFence(
                        kubernetes,
                        le.leaseNamespace(),
                        le.leaseName(),
                        le.identity(),
                        shardGuard,
                        le.retryPeriod(),
                        clock));
    labeller = new ShardLabeller(kubernetes, shardGuard);

    operator =
        new Operator(
            o -> {
              o.withKubernetesClient(kubernetes)
                  .withUseSSAToPatchPrimaryResource(settings.serverSideApply())
                  .withReconciliationTerminationTimeout(settings.shutdownTimeout())
                  .withConcurrentReconciliationThreads(settings.reconcileThreads())
                  .withMetrics(MicrometerMetrics.withoutPerResourceMetrics(metrics.registry));
              settings
                  .leaderElection()
                  .ifPresent(le -> o.withLeaderElectionConfiguration(leaderElection(settings, le)));
            });
    // One writer of Events for the whole process: a reconcile does not wait for its Events.
    events = new Events(kubernetes, clock);
    // One reader of Secrets by GET for the whole process, in whatever namespace they are.
    var secrets = new SecretReader(kubernetes, clock, settings.controller().secretCacheTtl());
    var reconciler =
        new PolarDBBackupReconciler(
            clients,
            credentials,
            settings.controller(),
            clock,
            new SecureRandom(),
            events,
            metrics,
            secrets,
            settings.operatorNamespace().orElse(null),
            shardGuard);
    var schedules =
        new PolarDBBackupScheduleReconciler(ScheduleSettings.defaults(), clock, events, shardGuard);
    var policies =
        new PolarDBBackupPolicyReconciler(
            clients,
            credentials,
            settings.policies(),
            clock,
            events,
            secrets,
            settings.operatorNamespace().orElse(null),
            shardGuard);
    var restores =
        new PolarDBRestoreReconciler(
            clients,
            credentials,
            restoreSettings(settings.controller()),
            clock,
            events,
            secrets,
            settings.operatorNamespace().orElse(null),
            shardGuard);
    metrics.observe(
        reconciler::readings,
        schedules::readings,
        // A leader held by the shard fence reconciles nothing, so it does not count.
        () ->
            (settings.leaderElection().isEmpty() || leading.get())
                && shardGuard.fencedBy().isEmpty());
    operator.register(reconciler, c -> watchNamespaces(c, settings));
    operator.register(schedules, c -> watchNamespaces(c, settings));
    operator.register(policies, c -> watchNamespaces(c, settings));
    operator.register(restores, c -> watchNamespaces(c, settings));
    endpoints =
        new HttpEndpoints(
            settings.httpAddress(), () -> !stopped.get(), () -> ready(settings), metrics::scrape);
  }

  /**
   * The restore controller's timers from the same flags as the backups': a restore trusts PolarDB
   * to remember a ClientToken exactly as long as a backup does (--token-reuse-window), retries a
   * lost reply as soon (--error-backoff-initial), and gives up a deletion as late
   * (--deletion-timeout).
   */
  static RestoreSettings restoreSettings(ControllerSettings controller) {
    RestoreSettings defaults = RestoreSettings.defaults();
    return new RestoreSettings(
        controller.pollMax().dividedBy(4),
        defaults.sourceRecheck(),
        controller.errorBackoff().initial(),
        defaults.capacityRetry(),
        controller.deletionRetry(),
        controller.deletionTimeout(),
        controller.tokenReuseWindow());
  }

  /** The watched namespaces and, when sharded, only this shard's buckets. */
  private static void watchNamespaces(
      ControllerConfigurationOverrider<?> controller, OperatorSettings settings) {
    if (!settings.namespaces().isEmpty()) {
      controller.settingNamespaces(settings.namespaces());
    }
    settings.shard().selector().ifPresent(controller::withLabelSelector);
  }

  private LeaderElectionConfiguration leaderElection(
      OperatorSettings settings, OperatorSettings.LeaderElection le) {
    return new LeaderElectionConfiguration(
        settings.shard().leaseName(le.leaseName()),
        le.leaseNamespace(),
        le.leaseDuration(),
        le.renewDeadline(),
        le.retryPeriod(),
        le.identity(),
        new LeaderCallbacks(
            () -> {
              leading.set(true);
              log.info("became leader ({})", le.identity());
              fence.ifPresent(LeaseFence::lookSoon);
            },
            () -> {
              leading.set(false);
              log.info("stopped leading ({})", le.identity());
              if (le.exitOnStopLeading() && !stopped.get()) {
                exitAfterLostLease();
              }
            },
            leader -> log.info("current leader: {}", leader)),
        // Never JOSDK's own exit: it calls System.exit from inside Operator.stop(), which our
        // SIGTERM hook runs, and System.exit inside a shutdown hook blocks for ever.
        false);
  }

  /**
   * A replica that lost its lease must not go on reconciling: exit, and let Kubernetes restart it
   * as a standby. From another thread, so that this callback returns and releases the elector,
   * which the shutdown hook then stops.
   */
  private static void exitAfterLostLease() {
    log.error("lost the leader lease; exiting so that a fresh replica takes over");
    new Thread(() -> System.exit(1), "lost-lease-exit").start();
  }

  /**
   * Ready once started and, for the replica that reconciles, once every informer is synced and
   * healthy. A standby replica (leader election on, not leading) is ready: it serves nothing but
   * must not block rollouts.
   */
  private boolean ready(OperatorSettings settings) {
    if (stopped.get() || !operator.getRuntimeInfo().isStarted()) {
      return false;
    }
    boolean reconciling = settings.leaderElection().isEmpty() || leading.get();
    return !reconciling || operator.getRuntimeInfo().allEventSourcesAreHealthy();
  }

  static OperatorApp start(OperatorSettings settings, Config kubeConfig, Map<String, String> env)
      throws IOException {
    OperatorApp app = new OperatorApp(settings, kubeConfig, env);
    try {
      // Fail fast, in one line, when the API server cannot be reached at all.
      app.kubernetes.getKubernetesVersion();
      app.fence.ifPresent(LeaseFence::start);
      app.operator.start();
      app.labeller.start(settings.namespaces(), Duration.ofSeconds(30));
    } catch (RuntimeException e) {
      app.close();
      throw new IllegalStateException(
          "cannot start against the Kubernetes API server at "
              + kubeConfig.getMasterUrl()
              + ": "
              + rootCause(e),
          e);
    }
    log.info(
        "operator started ({}): watching {}, PolarDB endpoint {}, leader election {}, endpoints on port {}",
        settings.shard(),
        settings.namespaces().isEmpty() ? "all namespaces" : settings.namespaces(),
        settings.polarDbEndpoint().map(Object::toString).orElse("regional"),
        settings
            .leaderElection()
            .map(
                le ->
                    "on (lease "
                        + le.leaseNamespace()
                        + "/"
                        + settings.shard().leaseName(le.leaseName())
                        + ")")
            .orElse("off"),
        app.endpoints.port());
    return app;
  }

  private static String rootCause(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
  }

  int httpPort() {
    return endpoints.port();
  }

  /** Stops reconciling, letting in-flight reconciles finish within the shutdown timeout. */
  @Override
  public void close() {
    if (stopped.compareAndSet(false, true)) {
      log.info("shutting down");
      try {
        labeller.close();
        fence.ifPresent(LeaseFence::close);
        operator.stop();
      } finally {
        // After the reconciles: the Events they recorded are written before the client closes.
        events.close();
        endpoints.close();
        kubernetes.close();
      }
    }
  }
}
