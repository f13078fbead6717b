package dev.polardbbackup.emulator;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The emulated service: clusters, backups, credentials and injected faults, behind one lock so
 * parallel requests never lose an update. All time comes from the injected {@link Clock} and all
 * randomness from the seed, so tests can move time forward instead of waiting.
 *
 * <p>Requests take the steps of Alibaba's gateway (route, authenticate, authorize, inject faults,
 * run the action) in {@code Gateway}; the public methods here build and steer the service.
 */
public final class PolarDbEmulator {

  /**
   * How the manual-backup quota is read. RETAINED: at most N manual backups exist at a time
   * (running, successful or failed all count; DeleteBackup frees one). DAILY: at most N manual
   * backups are created per calendar day in the daily quota zone.
   */
  public enum QuotaMode {
    RETAINED,
    DAILY
  }

  /**
   * Whether a repeated ClientToken is answered before or after the checks a new backup must pass.
   * Alibaba does not document it. TOKEN_FIRST: a retry of a token that made a backup returns that
   * backup's BackupJobId whatever the cluster and quota are now. QUOTA_FIRST: the cluster is looked
   * up and must be Running, and the manual-backup quota must have room, before the token is
   * replayed; so a retry can be refused with BackupTimesExceeded by a quota that its own first
   * backup filled.
   */
  public enum QuotaCheckOrder {
    TOKEN_FIRST,
    QUOTA_FIRST
  }

  /** A ClientToken lifetime that never ends: the default {@link Builder#tokenTtl(Duration)}. */
  public static final Duration FOREVER = ChronoUnit.FOREVER.getDuration();

  private final Object lock = new Object();
  private final Clock clock;
  private final Clusters clusters;
  private final Backups backups;
  private final AccessKeys keys;
  private final Faults faults;
  private final PolarDbActions actions;
  private final Console console;
  private final Gateway gateway;
  private Duration backupDuration;
  private Duration clusterCreationDuration;
  private final ClusterCreations creations;
  private final Schemas schemas;

  private PolarDbEmulator(Builder b) {
    this.clock = b.clock;
    this.clusters = new Clusters(clock);
    Ids ids = new Ids(b.seed);
    this.backupDuration = b.backupDuration;
    this.backups =
        new Backups(
            new Backups.Quota(b.quota, b.quotaMode, b.dailyQuotaZone),
            b.jobIdEqualsBackupId,
            b.tokenTtl);
    this.keys = new AccessKeys(b.accessKeys, ids.accountId());
    RequestAuthenticator authenticator = new RequestAuthenticator(keys, new NonceWindow());
    StsService sts = new StsService(b.oidcRoles, b.stsCredentialLifetime, keys, ids);
    this.faults = new Faults(b.seed);
    this.clusterCreationDuration = b.clusterCreationDuration;
    this.creations = new ClusterCreations(b.tokenTtl);
    this.schemas = new Schemas(b.seed);
    this.actions =
        new PolarDbActions(
            clusters,
            backups,
            ids,
            () -> backupDuration,
            new PolarDbActions.Readings(
                b.quotaCheckOrder, b.taskListingLag, b.taskRetention, b.deleteFailedBackups),
            creations);
    BackupPolicies policies = new BackupPolicies(b.policyReadings);
    this.console =
        new Console(lock, clock, clusters, backups, policies, actions, creations, schemas);
    PolicyActions policyActions = new PolicyActions(clusters, backups, policies);
    ClusterActions clusterActions =
        new ClusterActions(
            clusters,
            backups,
            schemas,
            creations,
            policies,
            console,
            faults,
            ids,
            () -> clusterCreationDuration,
            new ClusterActions.Readings(b.deleteClusterWhileCreating));
    RestoreActions restoreActions =
        new RestoreActions(
            clusters, backups, schemas, creations, faults, b.metaListNeedsBackupOrTime);
    this.gateway =
        new Gateway(
            lock,
            clock,
            ids,
            keys,
            authenticator,
            sts,
            faults,
            actions,
            policyActions,
            clusterActions,
            restoreActions);
    Instant now = clock.instant();
    b.clusters.forEach(c -> clusters.put(c.id(), c.regionId(), c.status(), now));
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Settings for a new emulator. Defaults: the system UTC clock, seed 1, no access keys, no
   * clusters, backups that take 60 s, a RETAINED quota of 3 manual backups per cluster (DAILY
   * counts days in Asia/Shanghai) checked after a repeated ClientToken is replayed (TOKEN_FIRST),
   * ClientTokens remembered for ever, BackupJobId different from BackupId, new jobs listed at once
   * and finished ones for 60 s, failed backup sets not deletable, no trusted OIDC roles, STS
   * credentials valid for 1 h, backup policies read as {@link PolicyReadings#defaults()}, clusters
   * made by CreateDBCluster Creating for 60 s, DeleteDBCluster refused while a cluster is Creating,
   * DescribeMetaList without BackupId or RestoreTime listing the cluster as it is now.
   */
  public static final class Builder {
    private record ClusterSeed(String id, String regionId, String status) {}

    private Clock clock = Clock.systemUTC();
    private long seed = 1;
    private final Map<String, String> accessKeys = new LinkedHashMap<>();
    private final List<ClusterSeed> clusters = new ArrayList<>();
    private Duration backupDuration = Duration.ofSeconds(60);
    private int quota = 3;
    private QuotaMode quotaMode = QuotaMode.RETAINED;
    private ZoneId dailyQuotaZone = ZoneId.of("Asia/Shanghai");
    private QuotaCheckOrder quotaCheckOrder = QuotaCheckOrder.TOKEN_FIRST;
    private Duration tokenTtl = FOREVER;
    private boolean jobIdEqualsBackupId;
    private Duration taskListingLag = Duration.ZERO;
    private Duration taskRetention = Duration.ofSeconds(60);
    private boolean deleteFailedBackups;
    private final Set<StsService.TrustedRole> oidcRoles = new LinkedHashSet<>();
    private Duration stsCredentialLifetime = Duration.ofHours(1);
    private PolicyReadings policyReadings = PolicyReadings.defaults();
    private Duration clusterCreationDuration = Duration.ofSeconds(60);
    private boolean deleteClusterWhileCreating;
    private boolean metaListNeedsBackupOrTime;

    private Builder() {}

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    public Builder accessKey(String accessKeyId, String accessKeySecret) {
      requireText("accessKeyId", accessKeyId);
      requireText("accessKeySecret", accessKeySecret);
      accessKeys.put(accessKeyId, accessKeySecret);
      return this;
    }

    public Builder cluster(String dbClusterId, String regionId) {
      return cluster(dbClusterId, regionId, Clusters.RUNNING);
    }

    public Builder cluster(String dbClusterId, String regionId, String status) {
      Clusters.requireWellFormed(dbClusterId);
      requireText("regionId", regionId);
      requireText("status", status);
      clusters.add(new ClusterSeed(dbClusterId, regionId, status));
      return this;
    }

    public Builder backupDuration(Duration d) {
      this.backupDuration = requireNotNegative("backupDuration", d);
      return this;
    }

    public Builder quota(int manualBackups) {
      if (manualBackups < 0) {
        throw new IllegalArgumentException("quota must not be negative: " + manualBackups);
      }
      this.quota = manualBackups;
      return this;
    }

    public Builder quotaMode(QuotaMode mode) {
      this.quotaMode = Objects.requireNonNull(mode, "mode");
      return this;
    }

    public Builder dailyQuotaZone(ZoneId zone) {
      this.dailyQuotaZone = Objects.requireNonNull(zone, "zone");
      return this;
    }

    /**
     * When a repeated ClientToken is replayed; default TOKEN_FIRST. See {@link QuotaCheckOrder}.
     */
    public Builder quotaCheckOrder(QuotaCheckOrder order) {
      this.quotaCheckOrder = Objects.requireNonNull(order, "order");
      return this;
    }

    /**
     * How long a ClientToken is remembered, counted on the emulator's clock from the request that
     * first used it; default {@link #FOREVER}. A request with a token first used longer ago is
     * treated as new: it makes a new backup if the quota allows, as a service that forgot the token
     * would. Must be positive.
     */
    public Builder tokenTtl(Duration ttl) {
      Objects.requireNonNull(ttl, "tokenTtl");
      if (ttl.isNegative() || ttl.isZero()) {
        throw new IllegalArgumentException(
            "tokenTtl must be positive (FOREVER never forgets): " + ttl);
      }
      this.tokenTtl = ttl;
      return this;
    }

    public Builder jobIdEqualsBackupId(boolean equal) {
      this.jobIdEqualsBackupId = equal;
      return this;
    }

    /**
     * How long after its creation a job first shows in DescribeBackupTasks; default zero (at once).
     * The real service may list a new job only after a while (undocumented). DescribeBackups is not
     * affected: the backup set is listed, Running, from the start.
     */
    public Builder taskListingLag(Duration d) {
      this.taskListingLag = requireNotNegative("taskListingLag", d);
      return this;
    }

    public Builder taskRetention(Duration d) {
      this.taskRetention = requireNotNegative("taskRetention", d);
      return this;
    }

    /**
     * Whether DeleteBackup accepts a backup set in status Failed. Default false, as the docs say:
     * only a set in Success can be deleted, so a failed manual backup is refused with 403 {@code
     * IncorrectBackupSetState} (and, with the RETAINED quota, holds its slot for ever). True is the
     * other reading: failed sets are deleted like successful ones.
     */
    public Builder deleteFailedBackups(boolean allowed) {
      this.deleteFailedBackups = allowed;
      return this;
    }

    public Builder oidcRole(String roleArn, String oidcProviderArn) {
      requireText("roleArn", roleArn);
      requireText("oidcProviderArn", oidcProviderArn);
      oidcRoles.add(new StsService.TrustedRole(roleArn, oidcProviderArn));
      return this;
    }

    public Builder stsCredentialLifetime(Duration d) {
      requireNotNegative("stsCredentialLifetime", d);
      if (d.compareTo(StsService.MIN_DURATION) < 0) {
        throw new IllegalArgumentException("STS credentials live at least 900 s, not " + d);
      }
      this.stsCredentialLifetime = d;
      return this;
    }

    /** How the backup-policy actions read Alibaba's ambiguous docs. See {@link PolicyReadings}. */
    public Builder policyReadings(PolicyReadings readings) {
      this.policyReadings = Objects.requireNonNull(readings, "readings");
      return this;
    }

    /**
     * How long a cluster made by CreateDBCluster reports {@code Creating} before {@code Running},
     * on the emulator's clock; default 60 s (a real clone takes minutes).
     */
    public Builder clusterCreationDuration(Duration d) {
      this.clusterCreationDuration = requireNotNegative("clusterCreationDuration", d);
      return this;
    }

    /**
     * Whether DeleteDBCluster accepts a cluster that is still {@code Creating}. Undocumented.
     * Default false: refused with 403 {@code OperationDenied.DBClusterStatus} like any action that
     * needs a Running cluster, so a clone can only be cleaned up once it is ready. True: deleted at
     * once.
     */
    public Builder deleteClusterWhileCreating(boolean allowed) {
      this.deleteClusterWhileCreating = allowed;
      return this;
    }

    /**
     * Whether DescribeMetaList needs a BackupId or a RestoreTime. The API reference lists both as
     * optional but describes the list as what a backup can restore. Default false: without either
     * it lists the cluster's databases as they are now. True: refused with 400 {@code
     * MissingBackupId}.
     */
    public Builder metaListNeedsBackupOrTime(boolean needed) {
      this.metaListNeedsBackupOrTime = needed;
      return this;
    }

    public PolarDbEmulator build() {
      return new PolarDbEmulator(this);
    }

    private static void requireText(String name, String value) {
      if (value == null || value.isBlank()) {
        throw new IllegalArgumentException(name + " must not be blank");
      }
    }

    private static Duration requireNotNegative(String name, Duration d) {
      Objects.requireNonNull(d, name);
      if (d.isNegative()) {
        throw new IllegalArgumentException(name + " must not be negative: " + d);
      }
      return d;
    }
  }

  // ---- runtime controls ----

  public void addCluster(String id, String regionId, String status) {
    synchronized (lock) {
      clusters.put(id, regionId, status, clock.instant());
    }
  }

  public void setClusterStatus(String id, String status) {
    synchronized (lock) {
      clusters.setStatus(id, status);
    }
  }

  /** Applies to backups created afterwards. */
  public void setBackupDuration(Duration d) {
    Objects.requireNonNull(d, "d");
    synchronized (lock) {
      backupDuration = d;
    }
  }

  /** Backups of this cluster created afterwards end as BackupStatus Failed. */
  public void failBackups(String dbClusterId, String reason) {
    synchronized (lock) {
      clusters.failBackups(dbClusterId, reason);
    }
  }

  /**
   * Backups of this cluster created afterwards end in a BackupStatus PolarDB does not document
   * (only Success and Failed are); null goes back to those.
   */
  public void endBackupsAs(String dbClusterId, String status) {
    synchronized (lock) {
      clusters.endBackupsAs(dbClusterId, status);
    }
  }

  public void succeedBackups(String dbClusterId) {
    synchronized (lock) {
      clusters.succeedBackups(dbClusterId);
    }
  }

  /** Fault for one action, or {@code "*"} for every action without its own entry. */
  public void setFault(String action, FaultSpec spec) {
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(spec, "spec");
    synchronized (lock) {
      faults.set(action, spec);
    }
  }

  /**
   * The next DescribeBackups that would list backup set {@code backupId} among others (no BackupId
   * filter) leaves it out, once: a list that shifted between pages while a set was deleted, or that
   * lags behind, as a listing may. Asked for by its id, the set is always there.
   */
  public void omitFromNextListing(String backupId) {
    Objects.requireNonNull(backupId, "backupId");
    synchronized (lock) {
      actions.omitFromNextListing(backupId);
    }
  }

  /**
   * The next {@code calls} calls of {@code action} are throttled (400 {@code Throttling.User}, not
   * processed) with {@code x-acs-retry-after} set to {@code retryAfter}, before any {@link
   * FaultSpec} is drawn for them. {@link #clearFaults()} cancels those still due.
   */
  public void throttleNext(String action, int calls, Duration retryAfter) {
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(retryAfter, "retryAfter");
    if (calls < 0 || retryAfter.isNegative()) {
      throw new IllegalArgumentException("calls and retryAfter must not be negative");
    }
    synchronized (lock) {
      faults.throttleNext(action, calls, retryAfter);
    }
  }

  /** Applies to clusters CreateDBCluster makes afterwards. */
  public void setClusterCreationDuration(Duration d) {
    Objects.requireNonNull(d, "d");
    if (d.isNegative()) {
      throw new IllegalArgumentException("clusterCreationDuration must not be negative: " + d);
    }
    synchronized (lock) {
      clusterCreationDuration = d;
    }
  }

  /**
   * The next {@code calls} calls of {@code action} (CreateDBCluster or RestoreTable) that pass its
   * checks are refused with 400 {@code InsufficientResourceCapacity} and make nothing; a repeated
   * ClientToken still gets its first cluster. {@link #clearFaults()} cancels those still due.
   */
  public void shortOfCapacityNext(String action, int calls) {
    Objects.requireNonNull(action, "action");
    if (calls < 0) {
      throw new IllegalArgumentException("calls must not be negative");
    }
    synchronized (lock) {
      faults.shortOfCapacityNext(action, calls);
    }
  }

  public void clearFaults() {
    synchronized (lock) {
      faults.clear();
    }
  }

  public void deactivateAccessKey(String accessKeyId) {
    synchronized (lock) {
      keys.deactivate(accessKeyId);
    }
  }

  public void denyAction(String accessKeyId, String action) {
    synchronized (lock) {
      keys.deny(accessKeyId, action);
    }
  }

  /** A manual backup made in the console: {@link Console#createBackup(String)}. */
  public String createConsoleBackup(String dbClusterId) {
    return console.createBackup(dbClusterId);
  }

  /** Backup policies, backup sets and clusters changed in the console, behind the operator. */
  public Console console() {
    return console;
  }

  /**
   * The databases the cluster holds now (name to table names, both sorted), as DescribeMetaList
   * would list them: invented from the seed and the id, carried by a clone, added to by
   * RestoreTable.
   */
  public Map<String, List<String>> databasesOf(String dbClusterId) {
    synchronized (lock) {
      return schemas.at(dbClusterId, clock.instant());
    }
  }

  public Ledger ledger() {
    synchronized (lock) {
      return new Ledger(
          backups.records(clock.instant()),
          gateway.calls(),
          creations.records(),
          creations.restores());
    }
  }

  // ---- request handling ----

  /** Answers one RPC request; the reply may ask the server to drop the connection instead. */
  ApiReply handle(ApiRequest request) {
    return gateway.handle(request);
  }

  /** Calls of each action between passing the gateway and their reply. */
  public Map<String, Integer> inFlight() {
    return gateway.inFlight();
  }
}
