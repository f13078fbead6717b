package dev.polardbbackup.backup;

import java.time.Duration;

/**
 * How patient the controller is. The defaults suit real PolarDB; tests shrink them.
 *
 * @param quotaBackoff between CreateBackup attempts while the manual-backup quota is used up
 * @param errorBackoff after throttling, 5xx and lost replies
 * @param authRetry after an auth failure of the operator's own credentials; the longest wait after
 *     a missing or invalid Secret or a Secret's refused credentials
 * @param clusterWaitTimeout how long a missing or non-Running cluster is waited for before Failed
 * @param queueRecheck how often a backup queued behind an older one of the same cluster looks again
 *     (no API call is made for it)
 * @param pollMin shortest interval between progress checks of a running backup
 * @param pollMax longest interval between progress checks of a running backup; also how long a job
 *     that DescribeBackupTasks has never listed may stay unlisted before it counts as ended
 * @param lookGather how much later a backup's look may be put off to share it with a backup of the
 *     same cluster due after it (a quarter more for the cluster's last looks): longer saves PolarDB
 *     calls when a cluster's backups end apart, at the price of seeing the earlier ones end that
 *     much later
 * @param backupNotFoundTimeout how long a finished job may have no visible backup set before Failed
 * @param deletionTimeout how long deletion of the cloud backup is tried before the finalizer is
 *     released anyway (with a Warning event)
 * @param deletionRetry interval between deletion attempts
 * @param tokenReuseWindow how long after its first use a ClientToken is trusted to be remembered by
 *     PolarDB (it documents no window; other Alibaba services say 30 days, AWS 8 to 36 hours). A
 *     token first sent longer ago is never sent again before a look for the backup it may have made
 * @param secretCacheTtl how long a Secret read for credentials is used before it is read again.
 *     Nothing watches Secrets (a cache of every Secret in the cluster would cost memory in
 *     proportion to all of them, and expose them all); a Secret that turned out to be missing,
 *     invalid or refused is read again at the next attempt whatever this says
 * @param credentialsRetryInitial the first retry after a missing or invalid Secret or a Secret's
 *     refused credentials; later retries wait as long as the problem has lasted so far, up to
 *     {@code authRetry}, so that a fixed Secret is noticed soon without a watch
 * @param recheckInterval how often a Succeeded backup's set is looked for again (one shared look
 *     per cluster, with one DescribeBackupPolicy for its retention on cluster deletion): a set
 *     deleted behind the operator's back, or with its cluster, is reported within this interval
 */
public record ControllerSettings(
    Backoff quotaBackoff,
    Backoff errorBackoff,
    Duration authRetry,
    Duration clusterWaitTimeout,
    Duration queueRecheck,
    Duration pollMin,
    Duration pollMax,
    Duration lookGather,
    Duration backupNotFoundTimeout,
    Duration deletionTimeout,
    Duration deletionRetry,
    Duration tokenReuseWindow,
    Duration secretCacheTtl,
    Duration credentialsRetryInitial,
    Duration recheckInterval) {

  public static ControllerSettings defaults() {
    return new ControllerSettings(
        new Backoff(Duration.ofMinutes(1), Duration.ofMinutes(15), 0.2),
        new Backoff(Duration.ofSeconds(5), Duration.ofMinutes(5), 0.2),
        Duration.ofMinutes(5),
        Duration.ofMinutes(30),
        Duration.ofSeconds(10),
        Duration.ofSeconds(5),
        Duration.ofMinutes(2),
        Duration.ofSeconds(12),
        Duration.ofMinutes(30),
        Duration.ofHours(1),
        Duration.ofSeconds(15),
        Duration.ofHours(1),
        Duration.ofSeconds(15),
        Duration.ofSeconds(5),
        Duration.ofMinutes(10));
  }

  /** A copy to change a few settings of, e.g. {@code defaults().toBuilder().pollMin(d).build()}. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Changes some settings of a copy; the rest keep the values of the settings it came from. */
  public static final class Builder {
    private Backoff quotaBackoff;
    private Backoff errorBackoff;
    private Duration authRetry;
    private Duration clusterWaitTimeout;
    private Duration queueRecheck;
    private Duration pollMin;
    private Duration pollMax;
    private Duration lookGather;
    private Duration backupNotFoundTimeout;
    private Duration deletionTimeout;
    private Duration deletionRetry;
    private Duration tokenReuseWindow;
    private Duration secretCacheTtl;
    private Duration credentialsRetryInitial;
    private Duration recheckInterval;

    private Builder(ControllerSettings s) {
      quotaBackoff = s.quotaBackoff;
      errorBackoff = s.errorBackoff;
      authRetry = s.authRetry;
      clusterWaitTimeout = s.clusterWaitTimeout;
      queueRecheck = s.queueRecheck;
      pollMin = s.pollMin;
      pollMax = s.pollMax;
      lookGather = s.lookGather;
      backupNotFoundTimeout = s.backupNotFoundTimeout;
      deletionTimeout = s.deletionTimeout;
      deletionRetry = s.deletionRetry;
      tokenReuseWindow = s.tokenReuseWindow;
      secretCacheTtl = s.secretCacheTtl;
      credentialsRetryInitial = s.credentialsRetryInitial;
      recheckInterval = s.recheckInterval;
    }

    public Builder quotaBackoff(Backoff value) {
      quotaBackoff = value;
      return this;
    }

    public Builder errorBackoff(Backoff value) {
      errorBackoff = value;
      return this;
    }

    public Builder authRetry(Duration value) {
      authRetry = value;
      return this;
    }

    public Builder clusterWaitTimeout(Duration value) {
      clusterWaitTimeout = value;
      return this;
    }

    public Builder queueRecheck(Duration value) {
      queueRecheck = value;
      return this;
    }

    public Builder pollMin(Duration value) {
      pollMin = value;
      return this;
    }

    public Builder pollMax(Duration value) {
      pollMax = value;
      return this;
    }

    public Builder lookGather(Duration value) {
      lookGather = value;
      return this;
    }

    public Builder backupNotFoundTimeout(Duration value) {
      backupNotFoundTimeout = value;
      return this;
    }

    public Builder deletionTimeout(Duration value) {
      deletionTimeout = value;
      return this;
    }

    public Builder deletionRetry(Duration value) {
      deletionRetry = value;
      return this;
    }

    public Builder tokenReuseWindow(Duration value) {
      tokenReuseWindow = value;
      return this;
    }

    public Builder secretCacheTtl(Duration value) {
      secretCacheTtl = value;
      return this;
    }

    public Builder credentialsRetryInitial(Duration value) {
      credentialsRetryInitial = value;
      return this;
    }

    public Builder recheckInterval(Duration value) {
      recheckInterval = value;
      return this;
    }

    public ControllerSettings build() {
      return new ControllerSettings(
          quotaBackoff,
          errorBackoff,
          authRetry,
          clusterWaitTimeout,
          queueRecheck,
          pollMin,
          pollMax,
          lookGather,
          backupNotFoundTimeout,
          deletionTimeout,
          deletionRetry,
          tokenReuseWindow,
          secretCacheTtl,
          credentialsRetryInitial,
          recheckInterval);
    }
  }

  /**
   * The wait before the next attempt while credentials are missing, unusable or refused since
   * {@code since}: {@code credentialsRetryInitial} at first, then as long as the problem has
   * lasted, up to {@code authRetry}. A fixed Secret is noticed soon after a quick fix, and a Secret
   * left broken for days costs a read every {@code authRetry}.
   */
  Duration credentialsRetry(java.time.Clock clock, java.time.Instant since) {
    Duration waited = Duration.between(since, clock.instant());
    Duration delay =
        waited.compareTo(credentialsRetryInitial) < 0 ? credentialsRetryInitial : waited;
    return delay.compareTo(authRetry) > 0 ? authRetry : delay;
  }
}
