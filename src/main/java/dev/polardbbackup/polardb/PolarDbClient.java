package dev.polardbbackup.polardb;

import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import okhttp3.OkHttpClient;

/**
 * The PolarDB OpenAPI for one endpoint and one credential. Every call is a V3-signed {@code POST /}
 * with the action's parameters in the query string and an empty body, signed afresh (new nonce and
 * timestamp) on every attempt. Calls never throw for service or network failures: they return an
 * {@link ApiResult} whose error is classified.
 *
 * <p>The client retries on its own only where a failure proves nothing happened and a fresh
 * signature or credential cures it (nonce reuse, clock skew, expired STS token), and only once.
 * Every other retry is the caller's decision.
 */
public final class PolarDbClient {

  public static final String API_VERSION = "2017-08-01";
  private static final DateTimeFormatter MINUTES =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm'Z'").withZone(ZoneOffset.UTC);

  /**
   * The most DescribeBackups pages one listing reads. The operator lists either one backup by id or
   * a cluster's manual backups, which the quota keeps to a handful, so an honest answer fits in a
   * page or two; 100 pages are 3,000 to 10,000 backups. An endpoint still "not done" after that is
   * not paging as documented (for instance it ignores PageNumber and claims a huge
   * TotalRecordCount): reading on would never end, and the caller holds a reconcile thread.
   */
  static final int MAX_PAGES = 100;

  private final RpcTransport rpc;

  public PolarDbClient(
      URI endpoint,
      CredentialsProvider credentials,
      OkHttpClient http,
      Clock clock,
      CallListener listener) {
    this(endpoint, credentials, http, clock, listener, () -> UUID.randomUUID().toString());
  }

  PolarDbClient(
      URI endpoint,
      CredentialsProvider credentials,
      OkHttpClient http,
      Clock clock,
      CallListener listener,
      Supplier<String> nonces) {
    this.rpc = new RpcTransport(endpoint, credentials, http, clock, listener, nonces);
  }

  /** Starts a manual backup. The ClientToken makes a repeated call return the same job. */
  public ApiResult<String> createBackup(String dbClusterId, String clientToken) {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("DBClusterId", dbClusterId);
    params.put("ClientToken", clientToken);
    return rpc.call("CreateBackup", params, reply -> Replies.requiredText(reply, "BackupJobId"));
  }

  public ApiResult<List<BackupTask>> describeBackupTasks(
      String dbClusterId, Optional<String> backupJobId) {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("DBClusterId", dbClusterId);
    backupJobId.ifPresent(id -> params.put("BackupJobId", id));
    return rpc.call("DescribeBackupTasks", params, Replies::parseTasks);
  }

  public ApiResult<BackupPage> describeBackups(DescribeBackupsQuery query) {
    return rpc.call(
        "DescribeBackups", backupsParams(query), reply -> Replies.parseBackupPage(reply, query));
  }

  /**
   * One page of the backup sets a deleted cluster's {@code BackupRetentionPolicyOnClusterDeletion}
   * ({@code ALL} or {@code LATEST}) kept; the same parameters and reply as DescribeBackups.
   */
  public ApiResult<BackupPage> describeDetachedBackups(DescribeBackupsQuery query) {
    return rpc.call(
        "DescribeDetachedBackups",
        backupsParams(query),
        reply -> Replies.parseBackupPage(reply, query));
  }

  private static Map<String, String> backupsParams(DescribeBackupsQuery query) {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("DBClusterId", query.dbClusterId());
    params.put("StartTime", MINUTES.format(query.startTime().truncatedTo(ChronoUnit.MINUTES)));
    Instant end = query.endTime().truncatedTo(ChronoUnit.MINUTES);
    if (end.isBefore(query.endTime()) || !end.isAfter(query.startTime())) {
      end = end.plus(1, ChronoUnit.MINUTES);
    }
    params.put("EndTime", MINUTES.format(end));
    query.backupId().ifPresent(v -> params.put("BackupId", v));
    query.backupStatus().ifPresent(v -> params.put("BackupStatus", v));
    query.backupMode().ifPresent(v -> params.put("BackupMode", v));
    params.put("PageSize", Integer.toString(query.pageSize()));
    params.put("PageNumber", Integer.toString(query.pageNumber()));
    return params;
  }

  /**
   * Every backup matching the query, following pages. Stops at the first failed page and returns
   * its error, and fails rather than return a list cut short when the pages do not end within
   * {@link #MAX_PAGES}.
   */
  public ApiResult<List<Backup>> describeAllBackups(DescribeBackupsQuery query) {
    return allPages("DescribeBackups", query, this::describeBackups);
  }

  /** Every backup set a deleted cluster left that matches the query, following pages. */
  public ApiResult<List<Backup>> describeAllDetachedBackups(DescribeBackupsQuery query) {
    return allPages("DescribeDetachedBackups", query, this::describeDetachedBackups);
  }

  private static ApiResult<List<Backup>> allPages(
      String action,
      DescribeBackupsQuery query,
      java.util.function.Function<DescribeBackupsQuery, ApiResult<BackupPage>> describe) {
    List<Backup> all = new ArrayList<>();
    String requestId = null;
    for (int page = 1; page <= MAX_PAGES; page++) {
      ApiResult<BackupPage> result = describe.apply(query.page(page));
      if (!result.isOk()) {
        return new ApiResult.Failed<>(result.error());
      }
      requestId = ((ApiResult.Ok<BackupPage>) result).requestId();
      BackupPage backups = result.value();
      all.addAll(backups.backups());
      if (!backups.hasMore()) {
        return new ApiResult.Ok<>(all, requestId);
      }
    }
    return new ApiResult.Failed<>(
        new ApiError(
            FailureKind.OUTCOME_UNKNOWN,
            "TooManyPages",
            action
                + " still had more after "
                + MAX_PAGES
                + " pages of "
                + query.pageSize()
                + "; the endpoint does not page as documented",
            requestId,
            200,
            Optional.empty()));
  }

  public ApiResult<Void> deleteBackup(String dbClusterId, String backupId) {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("DBClusterId", dbClusterId);
    params.put("BackupId", backupId);
    return rpc.call("DeleteBackup", params, reply -> null);
  }

  public ApiResult<ClusterAttribute> describeDBClusterAttribute(String dbClusterId) {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("DBClusterId", dbClusterId);
    return rpc.call(
        "DescribeDBClusterAttribute",
        params,
        reply -> Replies.parseClusterAttribute(reply, dbClusterId));
  }

  /**
   * Every cluster of the region that carries the tag {@code key=value} ({@code Tag.1.Key}, {@code
   * Tag.1.Value}), following pages. Like {@link #describeAllBackups}, it fails rather than return a
   * list cut short, at the first failed page or after {@link #MAX_PAGES} pages.
   */
  public ApiResult<List<ListedCluster>> describeDBClustersByTag(
      String regionId, String key, String value) {
    final int pageSize = 100;
    List<ListedCluster> all = new ArrayList<>();
    String requestId = null;
    for (int page = 1; page <= MAX_PAGES; page++) {
      Map<String, String> params = new LinkedHashMap<>();
      params.put("RegionId", regionId);
      params.put("Tag.1.Key", key);
      params.put("Tag.1.Value", value);
      params.put("PageSize", Integer.toString(pageSize));
      params.put("PageNumber", Integer.toString(page));
      ApiResult<Replies.ClusterPage> result =
          rpc.call("DescribeDBClusters", params, Replies::parseClusterPage);
      if (!result.isOk()) {
        return new ApiResult.Failed<>(result.error());
      }
      requestId = ((ApiResult.Ok<Replies.ClusterPage>) result).requestId();
      Replies.ClusterPage clusters = result.value();
      all.addAll(clusters.clusters());
      boolean more =
          clusters.clusters().size() >= pageSize
              && (long) page * pageSize < clusters.totalRecordCount();
      if (!more) {
        return new ApiResult.Ok<>(List.copyOf(all), requestId);
      }
    }
    return new ApiResult.Failed<>(
        new ApiError(
            FailureKind.OUTCOME_UNKNOWN,
            "TooManyPages",
            "DescribeDBClusters still had more after "
                + MAX_PAGES
                + " pages of "
                + pageSize
                + "; the endpoint does not page as documented",
            requestId,
            200,
            Optional.empty()));
  }

  /**
   * Clones a cluster into a new, billed one. The reply comes before the cluster is ready: it is
   * {@code Creating} until DescribeDBClusterAttribute says {@code Running}. After a lost reply,
   * send the same request again: the ClientToken returns the first cluster.
   */
  public ApiResult<CreatedCluster> createDBCluster(CloneRequest request) {
    return rpc.call(
        "CreateDBCluster",
        request.parameters(),
        reply ->
            new CreatedCluster(
                Replies.requiredText(reply, "DBClusterId"),
                Replies.text(reply, "OrderId").orElse(""),
                Replies.text(reply, "ResourceGroupId").orElse("")));
  }

  /**
   * Releases a cluster; its backup sets go or stay by {@code
   * backupRetentionPolicyOnClusterDeletion} ({@code ALL}, {@code LATEST}, {@code NONE}), or by the
   * cluster's own policy when empty. A cluster already gone answers NOT_FOUND.
   */
  public ApiResult<Void> deleteDBCluster(
      String dbClusterId, Optional<String> backupRetentionPolicyOnClusterDeletion) {
    Map<String, String> params = cluster(dbClusterId);
    backupRetentionPolicyOnClusterDeletion.ifPresent(
        v -> params.put("BackupRetentionPolicyOnClusterDeletion", v));
    return rpc.call("DeleteDBCluster", params, reply -> null);
  }

  /** One page of the databases (with their tables) a backup set or a moment can give back. */
  public ApiResult<MetaPage> describeMetaList(MetaListQuery query) {
    Map<String, String> params = cluster(query.dbClusterId());
    query.point().ifPresent(p -> params.putAll(p.parameters()));
    query.dbName().ifPresent(db -> params.put("GetDbName", db));
    params.put("PageSize", Integer.toString(query.pageSize()));
    params.put("PageNumber", Integer.toString(query.pageNumber()));
    return rpc.call("DescribeMetaList", params, reply -> Replies.parseMetaPage(reply, query));
  }

  /**
   * Restores databases and tables into the same cluster under new names. There is no ClientToken: a
   * repeat of a restore that worked answers {@code InvalidDBName.Duplicate} (INVALID_REQUEST),
   * which after a lost reply means "already done"; check DescribeMetaList to be sure.
   */
  public ApiResult<Void> restoreTable(TableRestore restore) {
    Map<String, String> params = cluster(restore.dbClusterId());
    params.put("TableMeta", restore.tableMeta());
    params.putAll(restore.point().parameters());
    return rpc.call("RestoreTable", params, reply -> null);
  }

  /** Every address of every endpoint of the cluster; none while it is still being created. */
  public ApiResult<List<ClusterEndpoint>> describeDBClusterEndpoints(String dbClusterId) {
    return rpc.call("DescribeDBClusterEndpoints", cluster(dbClusterId), Replies::parseEndpoints);
  }

  /** The cluster's automatic backup policy, read in whichever spelling PolarDB answers with. */
  public ApiResult<BackupPolicy> describeBackupPolicy(String dbClusterId) {
    return rpc.call("DescribeBackupPolicy", cluster(dbClusterId), Replies::parseBackupPolicy);
  }

  /**
   * Sends the fields set in {@code changes} and no others, under the {@code DataLevel1*} names (see
   * {@link BackupPolicy#parameters()}); PolarDB leaves the rest as they are.
   *
   * @throws IllegalArgumentException when {@code changes} sets no field: there is nothing to send
   */
  public ApiResult<Void> modifyBackupPolicy(String dbClusterId, BackupPolicy changes) {
    return rpc.call("ModifyBackupPolicy", changed(dbClusterId, changes.parameters()), r -> null);
  }

  public ApiResult<LogBackupPolicy> describeLogBackupPolicy(String dbClusterId) {
    return rpc.call("DescribeLogBackupPolicy", cluster(dbClusterId), Replies::parseLogBackupPolicy);
  }

  /**
   * Sends the fields set in {@code changes} and no others; {@code enableBackupLog} is read-only and
   * never sent.
   *
   * @throws IllegalArgumentException when {@code changes} sets no field
   */
  public ApiResult<Void> modifyLogBackupPolicy(String dbClusterId, LogBackupPolicy changes) {
    return rpc.call("ModifyLogBackupPolicy", changed(dbClusterId, changes.parameters()), r -> null);
  }

  /** The span the cluster can be restored to from its level-1 backups. */
  public ApiResult<RecoveryWindow> describeLocalAvailableRecoveryTime(String dbClusterId) {
    return rpc.call(
        "DescribeLocalAvailableRecoveryTime", cluster(dbClusterId), Replies::parseRecoveryWindow);
  }

  private static Map<String, String> cluster(String dbClusterId) {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("DBClusterId", dbClusterId);
    return params;
  }

  private static Map<String, String> changed(String dbClusterId, Map<String, String> fields) {
    if (fields.isEmpty()) {
      throw new IllegalArgumentException("no policy field to change for " + dbClusterId);
    }
    Map<String, String> params = cluster(dbClusterId);
    params.putAll(fields);
    return params;
  }
}
