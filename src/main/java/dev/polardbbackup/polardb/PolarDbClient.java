package dev.polardbbackup.polardb;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.polardbbackup.signing.AcsEncoding;
import dev.polardbbackup.signing.SignatureV3;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
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
import java.util.function.Function;
import java.util.function.Supplier;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;

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
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter SECONDS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'").withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter MINUTES =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm'Z'").withZone(ZoneOffset.UTC);
  private static final RequestBody EMPTY = RequestBody.create(new byte[0], null);

  /**
   * The most DescribeBackups pages one listing reads. The operator lists either one backup by id or
   * a cluster's manual backups, which the quota keeps to a handful, so an honest answer fits in a
   * page or two; 100 pages are 3,000 to 10,000 backups. An endpoint still "not done" after that is
   * not paging as documented (for instance it ignores PageNumber and claims a huge
   * TotalRecordCount): reading on would never end, and the caller holds a reconcile thread.
   */
  static final int MAX_PAGES = 100;

  private final HttpUrl endpoint;
  private final String hostHeader;
  private final CredentialsProvider credentials;
  private final OkHttpClient http;
  private final Clock clock;
  private final CallListener listener;
  private final Supplier<String> nonces;

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
    this.endpoint = HttpUrl.get(endpoint.toString()).newBuilder().encodedPath("/").build();
    this.hostHeader =
        this.endpoint.port() == HttpUrl.defaultPort(this.endpoint.scheme())
            ? this.endpoint.host()
            : this.endpoint.host() + ":" + this.endpoint.port();
    this.credentials = credentials;
    this.http = withoutSilentRetries(http);
    this.clock = clock;
    this.listener = listener;
    this.nonces = nonces;
  }

  /**
   * okhttp would silently resend a request whose connection failed; we must see that failure,
   * because a resent CreateBackup with a reused nonce is refused and a lost reply is ambiguous.
   */
  static OkHttpClient withoutSilentRetries(OkHttpClient http) {
    return http.retryOnConnectionFailure()
        ? http.newBuilder().retryOnConnectionFailure(false).build()
        : http;
  }

  // ---- actions ----

  /** Starts a manual backup. The ClientToken makes a repeated call return the same job. */
  public ApiResult<String> createBackup(String dbClusterId, String clientToken) {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("DBClusterId", dbClusterId);
    params.put("ClientToken", clientToken);
    return call("CreateBackup", params, reply -> requiredText(reply, "BackupJobId"));
  }

  public ApiResult<List<BackupTask>> describeBackupTasks(
      String dbClusterId, Optional<String> backupJobId) {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("DBClusterId", dbClusterId);
    backupJobId.ifPresent(id -> params.put("BackupJobId", id));
    return call("DescribeBackupTasks", params, PolarDbClient::parseTasks);
  }

  public ApiResult<BackupPage> describeBackups(DescribeBackupsQuery query) {
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
    return call("DescribeBackups", params, reply -> parseBackupPage(reply, query));
  }

  /**
   * Every backup matching the query, following pages. Stops at the first failed page and returns
   * its error, and fails rather than return a list cut short when the pages do not end within
   * {@link #MAX_PAGES}.
   */
  public ApiResult<List<Backup>> describeAllBackups(DescribeBackupsQuery query) {
    List<Backup> all = new ArrayList<>();
    String requestId = null;
    for (int page = 1; page <= MAX_PAGES; page++) {
      ApiResult<BackupPage> result = describeBackups(query.page(page));
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
            "DescribeBackups still had more after "
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
    return call("DeleteBackup", params, reply -> null);
  }

  public ApiResult<ClusterAttribute> describeDBClusterAttribute(String dbClusterId) {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("DBClusterId", dbClusterId);
    return call(
        "DescribeDBClusterAttribute",
        params,
        reply ->
            new ClusterAttribute(
                text(reply, "DBClusterId").orElse(dbClusterId),
                requiredText(reply, "DBClusterStatus"),
                text(reply, "LockMode").orElse(""),
                text(reply, "RegionId").orElse("")));
  }

  // ---- one call ----

  /** A 2xx reply without the fields an action promises. */
  private static final class MalformedReply extends RuntimeException {
    MalformedReply(String message) {
      super(message);
    }
  }

  private <T> ApiResult<T> call(
      String action, Map<String, String> params, Function<JsonNode, T> parser) {
    ApiResult<T> result = attempt(action, params, parser);
    if (!result.isOk()) {
      String code = result.error().code();
      if (ErrorClassifier.curedByResigning(code)) {
        result = attempt(action, params, parser);
      } else if (ErrorClassifier.curedByRefreshingCredentials(code)) {
        credentials.invalidate();
        result = attempt(action, params, parser);
      }
    }
    return result;
  }

  private <T> ApiResult<T> attempt(
      String action, Map<String, String> params, Function<JsonNode, T> parser) {
    long started = System.nanoTime();
    ApiResult<T> result = exchange(action, params, parser);
    Duration latency = Duration.ofNanos(System.nanoTime() - started);
    if (result.isOk()) {
      listener.onCall(new CallListener.Call(action, "OK", "", latency));
    } else {
      ApiError e = result.error();
      listener.onCall(new CallListener.Call(action, e.kind().name(), e.code(), latency));
    }
    return result;
  }

  private <T> ApiResult<T> exchange(
      String action, Map<String, String> params, Function<JsonNode, T> parser) {
    Request request;
    try {
      request = sign(action, params, credentials.credentials());
    } catch (CredentialsException e) {
      return new ApiResult.Failed<>(
          ApiError.local(FailureKind.AUTH, "CredentialsUnavailable", e.getMessage()));
    }
    try (Response response = http.newCall(request).execute()) {
      ResponseBody body = response.body();
      String text = body == null ? "" : body.string();
      String requestId = response.header("x-acs-request-id");
      JsonNode reply;
      try {
        reply = text.isEmpty() ? null : JSON.readTree(text);
      } catch (JsonProcessingException e) {
        reply = null;
      }
      if (reply != null && requestId == null) {
        requestId = text(reply, "RequestId").orElse(null);
      }
      Optional<Duration> retryAfter = retryAfter(response.header("x-acs-retry-after"));
      String code = reply == null ? "" : text(reply, "Code").orElse("");
      if (!response.isSuccessful() || !code.isEmpty()) {
        if (code.isEmpty()) {
          code = "HTTP" + response.code();
        }
        String message = reply == null ? "" : text(reply, "Message").orElse("");
        FailureKind kind = ErrorClassifier.classify(response.code(), code, retryAfter.isPresent());
        return new ApiResult.Failed<>(
            new ApiError(kind, code, message, requestId, response.code(), retryAfter));
      }
      if (reply == null || !reply.isObject()) {
        // The service answered 2xx but we cannot read what it did: as ambiguous as no answer.
        return new ApiResult.Failed<>(
            new ApiError(
                FailureKind.OUTCOME_UNKNOWN,
                "MalformedReply",
                action + " answered HTTP " + response.code() + " with a body that is not JSON",
                requestId,
                response.code(),
                Optional.empty()));
      }
      try {
        return new ApiResult.Ok<>(parser.apply(reply), requestId);
      } catch (MalformedReply | IllegalArgumentException e) {
        return new ApiResult.Failed<>(
            new ApiError(
                FailureKind.OUTCOME_UNKNOWN,
                "MalformedReply",
                action + " reply: " + e.getMessage(),
                requestId,
                response.code(),
                Optional.empty()));
      }
    } catch (ConnectException | UnknownHostException e) {
      // Nothing reached the service.
      return new ApiResult.Failed<>(
          ApiError.local(
              FailureKind.TRANSIENT,
              "ConnectionFailed",
              "cannot connect to " + endpoint.host() + ": " + e.getClass().getSimpleName()));
    } catch (InterruptedIOException e) {
      return new ApiResult.Failed<>(
          ApiError.local(
              FailureKind.OUTCOME_UNKNOWN,
              "Timeout",
              action + " got no reply in time from " + endpoint.host()));
    } catch (IOException e) {
      return new ApiResult.Failed<>(
          ApiError.local(
              FailureKind.OUTCOME_UNKNOWN,
              "NoReply",
              action
                  + " lost its reply from "
                  + endpoint.host()
                  + ": "
                  + e.getClass().getSimpleName()));
    }
  }

  private Request sign(String action, Map<String, String> params, Credentials credential) {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("host", hostHeader);
    headers.put("x-acs-action", action);
    headers.put("x-acs-version", API_VERSION);
    headers.put("x-acs-date", SECONDS.format(clock.instant()));
    headers.put("x-acs-signature-nonce", nonces.get());
    headers.put("x-acs-content-sha256", AcsEncoding.EMPTY_BODY_SHA256);
    credential
        .securityToken()
        .ifPresent(
            token -> {
              headers.put("x-acs-security-token", token);
              headers.put("x-acs-accesskey-id", credential.accessKeyId());
            });
    String canonical =
        SignatureV3.canonicalRequest("POST", params, headers, AcsEncoding.EMPTY_BODY_SHA256);
    SignatureV3.Authorization authorization =
        new SignatureV3.Authorization(
            credential.accessKeyId(),
            SignatureV3.signedHeaderNames(headers),
            SignatureV3.sign(credential.accessKeySecret(), canonical));

    HttpUrl url = endpoint.newBuilder().encodedQuery(AcsEncoding.canonicalQuery(params)).build();
    Request.Builder request = new Request.Builder().url(url).post(EMPTY);
    headers.forEach((name, value) -> request.header(name.equals("host") ? "Host" : name, value));
    return request
        .header("Authorization", authorization.header())
        .header("Accept", "application/json")
        .build();
  }

  // ---- replies ----

  private static List<BackupTask> parseTasks(JsonNode reply) {
    List<BackupTask> tasks = new ArrayList<>();
    for (JsonNode job : items(reply, "BackupJob")) {
      tasks.add(
          new BackupTask(
              requiredText(job, "BackupJobId"),
              text(job, "BackupProgressStatus").orElse(""),
              text(job, "Process").map(PolarDbClient::percent).orElse(0),
              text(job, "JobMode").orElse(""),
              text(job, "StartTime").flatMap(PolarDbClient::instant),
              text(job, "TaskAction").orElse("")));
    }
    return tasks;
  }

  private static BackupPage parseBackupPage(JsonNode reply, DescribeBackupsQuery query) {
    List<Backup> backups = new ArrayList<>();
    for (JsonNode b : items(reply, "Backup")) {
      backups.add(
          new Backup(
              requiredText(b, "BackupId"),
              text(b, "DBClusterId").orElse(query.dbClusterId()),
              text(b, "BackupStatus").orElse(""),
              text(b, "BackupMode").orElse(""),
              text(b, "BackupStartTime").flatMap(PolarDbClient::instant),
              text(b, "BackupEndTime").flatMap(PolarDbClient::instant),
              text(b, "BackupSetSize").flatMap(PolarDbClient::number),
              text(b, "ConsistentTime")
                  .flatMap(PolarDbClient::number)
                  .map(Instant::ofEpochSecond)));
    }
    int total =
        text(reply, "TotalRecordCount")
            .flatMap(PolarDbClient::number)
            .orElse((long) backups.size())
            .intValue();
    // The page is the one we asked for, whatever PageNumber the reply echoes: an endpoint that
    // always echoes 1 would otherwise never reach the end.
    return new BackupPage(List.copyOf(backups), total, query.pageNumber(), query.pageSize());
  }

  /** {@code Items.<name>[]}, tolerating a missing {@code Items} on an empty page. */
  private static List<JsonNode> items(JsonNode reply, String name) {
    JsonNode list = reply.path("Items").path(name);
    List<JsonNode> out = new ArrayList<>();
    if (list.isArray()) {
      list.forEach(out::add);
    } else if (list.isObject()) {
      out.add(list);
    }
    return out;
  }

  private static Optional<String> text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value == null || value.isNull() || value.isContainerNode()
        ? Optional.empty()
        : Optional.of(value.asText());
  }

  private static String requiredText(JsonNode node, String field) {
    return text(node, field)
        .filter(v -> !v.isEmpty())
        .orElseThrow(() -> new MalformedReply("missing " + field));
  }

  private static Optional<Long> number(String text) {
    try {
      return text.isBlank() ? Optional.empty() : Optional.of(Long.parseLong(text.trim()));
    } catch (NumberFormatException e) {
      try {
        return Optional.of((long) Double.parseDouble(text.trim()));
      } catch (NumberFormatException notANumber) {
        return Optional.empty();
      }
    }
  }

  private static int percent(String text) {
    return number(text).map(n -> (int) Math.max(0, Math.min(100, n))).orElse(0);
  }

  /** UTC times as PolarDB writes them: with or without seconds. */
  static Optional<Instant> instant(String text) {
    String t = text.trim();
    if (t.isEmpty()) {
      return Optional.empty();
    }
    if (t.matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}Z")) {
      t = t.substring(0, t.length() - 1) + ":00Z";
    }
    try {
      return Optional.of(Instant.parse(t));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  private static Optional<Duration> retryAfter(String header) {
    if (header == null) {
      return Optional.empty();
    }
    return number(header).filter(ms -> ms >= 0).map(Duration::ofMillis);
  }
}
