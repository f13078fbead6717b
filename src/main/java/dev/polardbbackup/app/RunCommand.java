package dev.polardbbackup.app;

import dev.polardbbackup.backup.Backoff;
import dev.polardbbackup.backup.ControllerSettings;
import dev.polardbbackup.policy.PolicySettings;
import dev.polardbbackup.shard.Shard;
import io.fabric8.kubernetes.client.ConfigBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code run}: the operator, against the current kubeconfig or the in-cluster service account. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = "Runs the operator against the current kubeconfig or in-cluster service account.")
public final class RunCommand implements Callable<Integer> {

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
      names = "--look-gather",
      defaultValue = "${env:LOOK_GATHER:-12s}",
      converter = DurationConverter.class,
      description =
          "How much later a backup's look at its cluster may be put off to share it with another"
              + " backup of the cluster; a quarter more for the cluster's last looks (env"
              + " LOOK_GATHER; 0s: never). Default: ${DEFAULT-VALUE}.")
  Duration lookGather;

  @Option(
      names = "--backup-recheck",
      defaultValue = "${env:BACKUP_RECHECK:-10m}",
      converter = DurationConverter.class,
      description =
          "How often Succeeded backups are looked for again, one shared look per cluster, to report"
              + " a backup set deleted behind the operator's back or with its cluster, and the"
              + " cluster's retention on deletion (env BACKUP_RECHECK). Default: ${DEFAULT-VALUE}.")
  Duration backupRecheck;

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
          "Retry interval after the operator's own credentials are refused, and the longest one"
              + " after a Secret problem (env AUTH_RETRY). Default: ${DEFAULT-VALUE}.")
  Duration authRetry;

  @Option(
      names = "--secret-cache-ttl",
      defaultValue = "${env:SECRET_CACHE_TTL:-15s}",
      converter = DurationConverter.class,
      description =
          "How long a credentials Secret read by GET is used before it is read again (env"
              + " SECRET_CACHE_TTL). Default: ${DEFAULT-VALUE}.")
  Duration secretCacheTtl;

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

  @Option(
      names = "--policy-resync",
      defaultValue = "${env:POLICY_RESYNC:-10m}",
      converter = DurationConverter.class,
      description =
          "How often a PolarDBBackupPolicy's cluster policy is described again to find changes made"
              + " outside it (env POLICY_RESYNC). Default: ${DEFAULT-VALUE}.")
  Duration policyResync;

  @Option(
      names = "--backup-not-found-timeout",
      defaultValue = "${env:BACKUP_NOT_FOUND_TIMEOUT:-30m}",
      converter = DurationConverter.class,
      description =
          "How long an ended job may have no backup set that can be told to be its own before the"
              + " backup fails (env BACKUP_NOT_FOUND_TIMEOUT). Default: ${DEFAULT-VALUE}.")
  Duration backupNotFoundTimeout;

  @Option(
      names = "--token-reuse-window",
      defaultValue = "${env:TOKEN_REUSE_WINDOW:-1h}",
      converter = DurationConverter.class,
      description =
          "How long PolarDB is trusted to remember a ClientToken; an older one is never re-sent before"
              + " a look for the backup it may have made (env TOKEN_REUSE_WINDOW). Default:"
              + " ${DEFAULT-VALUE}.")
  Duration tokenReuseWindow;

  @Option(
      names = "--http-port",
      defaultValue = "${env:HTTP_PORT:-8080}",
      description =
          "Port of /healthz, /readyz and /metrics (env HTTP_PORT). Default: ${DEFAULT-VALUE}.")
  int httpPort;

  @Option(
      names = "--http-bind",
      defaultValue = "${env:HTTP_BIND:-0.0.0.0}",
      description = "Address of those endpoints (env HTTP_BIND). Default: ${DEFAULT-VALUE}.")
  String httpBind;

  @Option(
      names = "--leader-election",
      defaultValue = "${env:LEADER_ELECTION:-false}",
      arity = "0..1",
      description =
          "Elect a leader through a coordination.k8s.io Lease so that several replicas are safe (env LEADER_ELECTION). Default: ${DEFAULT-VALUE}.")
  boolean leaderElection;

  @Option(
      names = "--operator-namespace",
      defaultValue = "${env:POD_NAMESPACE}",
      description =
          "The operator's own namespace, where the Secrets that PolarDBAccessGrants name live (env"
              + " POD_NAMESPACE). Default: the service account's namespace in a cluster, else"
              + " --lease-namespace.")
  String operatorNamespace;

  @Option(
      names = "--lease-name",
      defaultValue = "${env:LEASE_NAME:-polardb-backup-operator}",
      description = "Name of the Lease (env LEASE_NAME). Default: ${DEFAULT-VALUE}.")
  String leaseName;

  @Option(
      names = "--lease-namespace",
      defaultValue = "${env:POD_NAMESPACE}",
      description =
          "Namespace of the Lease (env POD_NAMESPACE); required with leader election outside a cluster.")
  String leaseNamespace;

  @Option(
      names = "--lease-duration",
      defaultValue = "${env:LEASE_DURATION:-15s}",
      converter = DurationConverter.class,
      description =
          "How long a leader's Lease is valid without renewal (env LEASE_DURATION). Default: ${DEFAULT-VALUE}.")
  Duration leaseDuration;

  @Option(
      names = "--renew-deadline",
      defaultValue = "${env:RENEW_DEADLINE:-10s}",
      converter = DurationConverter.class,
      description =
          "How long the leader tries to renew before giving up (env RENEW_DEADLINE). Default: ${DEFAULT-VALUE}.")
  Duration renewDeadline;

  @Option(
      names = "--retry-period",
      defaultValue = "${env:RETRY_PERIOD:-2s}",
      converter = DurationConverter.class,
      description =
          "Interval between leader election attempts (env RETRY_PERIOD). Default: ${DEFAULT-VALUE}.")
  Duration retryPeriod;

  @Option(
      names = "--server-side-apply",
      defaultValue = "${env:SERVER_SIDE_APPLY:-true}",
      arity = "0..1",
      description =
          "Patch the finalizer with server-side apply (env SERVER_SIDE_APPLY). Default: ${DEFAULT-VALUE}.")
  boolean serverSideApply;

  @Option(
      names = "--shutdown-timeout",
      defaultValue = "${env:SHUTDOWN_TIMEOUT:-30s}",
      converter = DurationConverter.class,
      description =
          "How long in-flight reconciles may finish on shutdown (env SHUTDOWN_TIMEOUT). Default: ${DEFAULT-VALUE}.")
  Duration shutdownTimeout;

  @Option(
      names = "--reconcile-threads",
      defaultValue = "${env:RECONCILE_THREADS:-50}",
      description = "Concurrent reconciles (env RECONCILE_THREADS). Default: ${DEFAULT-VALUE}.")
  int reconcileThreads;

  @Option(
      names = "--shards",
      defaultValue = "${env:SHARDS:-1}",
      description =
          "How many shards share the resources (env SHARDS), each one Deployment with its own"
              + " --shard; 1 to "
              + Shard.BUCKETS
              + ". More than one needs leader election. Default: ${DEFAULT-VALUE}.")
  int shards;

  @Option(
      names = "--shard",
      defaultValue = "${env:SHARD:-0}",
      description =
          "Which shard this process is, 0 to --shards minus 1 (env SHARD). Default: ${DEFAULT-VALUE}.")
  int shardIndex;

  @Option(
      names = "--log-format",
      defaultValue = "${env:LOG_FORMAT:-plain}",
      description = "plain or json (env LOG_FORMAT). Default: ${DEFAULT-VALUE}.")
  String logFormat;

  ControllerSettings controllerSettings() {
    return ControllerSettings.defaults().toBuilder()
        .quotaBackoff(new Backoff(quotaInitial, quotaMax, 0.2))
        .errorBackoff(new Backoff(errorInitial, errorMax, 0.2))
        .authRetry(authRetry)
        .clusterWaitTimeout(clusterWaitTimeout)
        .pollMin(pollMin)
        .pollMax(pollMax)
        .lookGather(lookGather)
        .backupNotFoundTimeout(backupNotFoundTimeout)
        .deletionTimeout(deletionTimeout)
        .tokenReuseWindow(tokenReuseWindow)
        .secretCacheTtl(secretCacheTtl)
        .recheckInterval(backupRecheck)
        .build();
  }

  OperatorSettings settings(Map<String, String> env) {
    if (!logFormat.equals("plain") && !logFormat.equals("json")) {
      throw new IllegalArgumentException(
          "--log-format must be plain or json, not '" + logFormat + "'");
    }
    if (httpPort < 0 || httpPort > 65535 || reconcileThreads < 1) {
      throw new IllegalArgumentException(
          "--http-port must be 0..65535 and --reconcile-threads at least 1");
    }
    Shard shard = new Shard(shardIndex, shards);
    if (shard.sharded() && !leaderElection) {
      throw new IllegalArgumentException(
          "--shards "
              + shards
              + " needs leader election: the shards' Leases are what keeps two shard counts from"
              + " acting at once");
    }
    Optional<OperatorSettings.LeaderElection> election = Optional.empty();
    if (leaderElection) {
      String ns = leaseNamespace;
      if (ns == null || ns.isBlank()) {
        ns =
            inClusterNamespace()
                .orElseThrow(
                    () ->
                        new IllegalArgumentException(
                            "--leader-election needs --lease-namespace (or POD_NAMESPACE) outside a cluster"));
      }
      String identity =
          Optional.ofNullable(env.get("POD_NAME"))
                  .or(() -> Optional.ofNullable(env.get("HOSTNAME")))
                  .orElse("operator")
              + "-"
              + Long.toHexString(new SecureRandom().nextLong() & 0xffffffL);
      election =
          Optional.of(
              new OperatorSettings.LeaderElection(
                  leaseName, ns, identity, leaseDuration, renewDeadline, retryPeriod, true));
    }
    Set<String> watched =
        namespaces == null
            ? Set.of()
            : namespaces.stream()
                .map(String::trim)
                .filter(n -> !n.isEmpty())
                .collect(Collectors.toCollection(TreeSet::new));
    Optional<String> ownNamespace =
        Optional.ofNullable(operatorNamespace)
            .filter(n -> !n.isBlank())
            .or(RunCommand::inClusterNamespace)
            .or(() -> Optional.ofNullable(leaseNamespace).filter(n -> !n.isBlank()));
    return new OperatorSettings(
        watched,
        ownNamespace,
        Optional.ofNullable(polarDbEndpoint),
        stsEndpoint,
        controllerSettings(),
        new PolicySettings(policyResync, PolicySettings.defaults().retry()),
        new InetSocketAddress(httpBind, httpPort),
        election,
        serverSideApply,
        shutdownTimeout,
        reconcileThreads,
        shard);
  }

  private static Optional<String> inClusterNamespace() {
    try {
      return Optional.of(
          Files.readString(Path.of("/var/run/secrets/kubernetes.io/serviceaccount/namespace"))
              .trim());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  @Override
  public Integer call() throws Exception {
    OperatorSettings settings;
    try {
      settings = settings(System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      return 2;
    }
    OperatorApp app;
    try {
      app = OperatorApp.start(settings, new ConfigBuilder().build(), System.getenv());
    } catch (IllegalStateException | IOException e) {
      System.err.println("error: " + e.getMessage());
      return 1;
    }
    new UntilSignalled("operator", app).await();
    return 0;
  }
}
