package dev.polardbbackup.app;

import dev.polardbbackup.backup.ControllerSettings;
import dev.polardbbackup.policy.PolicySettings;
import dev.polardbbackup.shard.Shard;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * Everything the running operator is told, parsed once at start-up from flags and environment (see
 * {@link RunCommand} for each flag, its variable and its default).
 *
 * @param namespaces watched namespaces; empty means all
 * @param operatorNamespace where the Secrets that PolarDBAccessGrants name live; empty if unknown
 * @param leaderElection empty when off
 * @param shard which part of the resources this process reconciles ({@link Shard#ONLY}: all)
 */
record OperatorSettings(
    Set<String> namespaces,
    Optional<String> operatorNamespace,
    Optional<URI> polarDbEndpoint,
    URI stsEndpoint,
    ControllerSettings controller,
    PolicySettings policies,
    InetSocketAddress httpAddress,
    Optional<LeaderElection> leaderElection,
    boolean serverSideApply,
    Duration shutdownTimeout,
    int reconcileThreads,
    Shard shard) {

  record LeaderElection(
      /** The base of the Lease's name; a shard's Lease is {@link Shard#leaseName} of it. */
      String leaseName,
      String leaseNamespace,
      String identity,
      Duration leaseDuration,
      Duration renewDeadline,
      Duration retryPeriod,
      boolean exitOnStopLeading) {}
}
