package dev.polardbbackup.app;

import dev.polardbbackup.controller.Backoff;
import dev.polardbbackup.controller.ControllerSettings;
import dev.polardbbackup.controller.Events;
import dev.polardbbackup.controller.PolarDBBackupReconciler;
import dev.polardbbackup.polardb.CallListener;
import dev.polardbbackup.polardb.DefaultCredentialsChain;
import dev.polardbbackup.polardb.PolarDbClientFactory;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code run}: the operator, against the current kubeconfig or the in-cluster service account. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = "Runs the operator against the current kubeconfig or in-cluster service account.")
public final class RunCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

  @Option(
      names = "--namespaces",
      split = ",",
      defaultValue = "${env:WATCH_NAMESPACES}",
      description = "Namespaces to watch, comma-separated (env WATCH_NAMESPACES). Default: all.")
  List<String> namespaces;

  @Option(
      names = "--polardb-endpoint",
      defaultValue = "${env:POLARDB_ENDPOINT}",
      description =
          "PolarDB OpenAPI endpoint for every region, e.g. the emulator's URL (env POLARDB_ENDPOINT). Default: Alibaba's regional endpoints.")
  URI polarDbEndpoint;

  @Option(
      names = "--sts-endpoint",
      defaultValue = "${env:STS_ENDPOINT:-https://sts.aliyuncs.com}",
      description = "STS endpoint for RRSA (env STS_ENDPOINT). Default: ${DEFAULT-VALUE}.")
  URI stsEndpoint;

  @Option(
      names = "--poll-min",
      defaultValue = "${env:POLL_MIN:-5s}",
      converter = DurationConverter.class,
      description =
          "Shortest interval between progress checks (env POLL_MIN). Default: ${DEFAULT-VALUE}.")
  Duration pollMin;

  @Option(
      names = "--poll-max",
      defaultValue = "${env:POLL_MAX:-2m}",
      converter = DurationConverter.class,
      description =
          "Longest interval between progress checks (env POLL_MAX). Default: ${DEFAULT-VALUE}.")
  Duration pollMax;

  @Option(
      names = "--quota-backoff-initial",
      defaultValue = "${env:QUOTA_BACKOFF_INITIAL:-1m}",
      converter = DurationConverter.class,
      description =
          "First wait after BackupTimesExceeded (env QUOTA_BACKOFF_INITIAL). Default: ${DEFAULT-VALUE}.")
  Duration quotaInitial;

  @Option(
      names = "--quota-backoff-max",
      defaultValue = "${env:QUOTA_BACKOFF_MAX:-15m}",
      converter = DurationConverter.class,
      description =
          "Longest wait between quota attempts (env QUOTA_BACKOFF_MAX). Default: ${DEFAULT-VALUE}.")
  Duration quotaMax;

  @Option(
      names = "--error-backoff-initial",
      defaultValue = "${env:ERROR_BACKOFF_INITIAL:-5s}",
      converter = DurationConverter.class,
      description =
          "First wait after throttling or a server error (env ERROR_BACKOFF_INITIAL). Default: ${DEFAULT-VALUE}.")
  Duration errorInitial;

  @Option(
      names = "--error-backoff-max",
      defaultValue = "${env:ERROR_BACKOFF_MAX:-5m}",
      converter = DurationConverter.class,
      description = "Longest wait after errors (env ERROR_BACKOFF_MAX). Default: ${DEFAULT-VALUE}.")
  Duration errorMax;

  @Option(
      names = "--auth-retry",
      defaultValue = "${env:AUTH_RETRY:-5m}",
      converter = DurationConverter.class,
      description =
          "Retry interval after credential problems (env AUTH_RETRY). Default: ${DEFAULT-VALUE}.")
  Duration authRetry;

  @Option(
      names = "--cluster-wait-timeout",
      defaultValue = "${env:CLUSTER_WAIT_TIMEOUT:-30m}",
      converter = DurationConverter.class,
      description =
          "How long a missing or non-Running cluster is waited for (env CLUSTER_WAIT_TIMEOUT). Default: ${DEFAULT-VALUE}.")
  Duration clusterWaitTimeout;

  @Option(
      names = "--deletion-timeout",
      defaultValue = "${env:DELETION_TIMEOUT:-1h}",
      converter = DurationConverter.class,
      description =
          "How long deleting a cloud backup is tried before giving up (env DELETION_TIMEOUT). Default: ${DEFAULT-VALUE}.")
  Duration deletionTimeout;

  ControllerSettings controllerSettings() {
    ControllerSettings d = ControllerSettings.defaults();
    return new ControllerSettings(
        new Backoff(quotaInitial, quotaMax, 0.2),
        new Backoff(errorInitial, errorMax, 0.2),
        authRetry,
        clusterWaitTimeout,
        d.queueRecheck(),
        pollMin,
        pollMax,
        d.backupNotFoundTimeout(),
        deletionTimeout,
        d.deletionRetry());
  }

  @Override
  public Integer call() throws InterruptedException {
    ControllerSettings settings;
    try {
      settings = controllerSettings();
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      return 2;
    }
    Clock clock = Clock.systemUTC();
    var http = PolarDbClientFactory.httpClient(Duration.ofSeconds(10), Duration.ofSeconds(30));
    var credentials =
        DefaultCredentialsChain.create(Optional.empty(), System.getenv(), stsEndpoint, http, clock);
    var clients =
        new PolarDbClientFactory(
            Optional.ofNullable(polarDbEndpoint), http, clock, CallListener.NONE);
    KubernetesClient kubernetes = new KubernetesClientBuilder().build();
    Operator operator = new Operator(o -> o.withKubernetesClient(kubernetes));
    var reconciler =
        new PolarDBBackupReconciler(
            clients,
            credentials,
            settings,
            clock,
            new SecureRandom(),
            new Events(kubernetes, clock));
    operator.register(
        reconciler,
        c -> {
          if (namespaces != null && !namespaces.isEmpty() && !namespaces.get(0).isBlank()) {
            c.settingNamespaces(namespaces.toArray(String[]::new));
          }
        });
    operator.start();
    log.info(
        "operator started; watching {}; PolarDB endpoint {}",
        namespaces == null || namespaces.isEmpty() ? "all namespaces" : namespaces,
        polarDbEndpoint == null ? "regional" : polarDbEndpoint);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  operator.stop();
                  stopped.countDown();
                },
                "shutdown"));
    stopped.await();
    return 0;
  }
}
