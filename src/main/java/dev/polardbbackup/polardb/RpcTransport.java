package dev.polardbbackup.polardb;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.polardbbackup.polardb.Replies.MalformedReply;
import dev.polardbbackup.signing.AcsEncoding;
import dev.polardbbackup.signing.SignatureV3;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * One RPC call to one endpoint with one credential, for {@link PolarDbClient}: a V3-signed {@code
 * POST /} with the parameters in the query string and an empty body, its reply or failure turned
 * into an {@link ApiResult} with a classified error, and each attempt reported to the {@link
 * CallListener}.
 */
final class RpcTransport {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter SECONDS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'").withZone(ZoneOffset.UTC);
  private static final RequestBody EMPTY = RequestBody.create(new byte[0], null);

  private final HttpUrl endpoint;
  private final String hostHeader;
  private final CredentialsProvider credentials;
  private final OkHttpClient http;
  private final Clock clock;
  private final CallListener listener;
  private final Supplier<String> nonces;

  RpcTransport(
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

  /**
   * One attempt, and a second only when the failure proves nothing happened and a fresh signature
   * or a refreshed credential cures it.
   */
  <T> ApiResult<T> call(String action, Map<String, String> params, Function<JsonNode, T> parser) {
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
        requestId = Replies.text(reply, "RequestId").orElse(null);
      }
      Optional<Duration> retryAfter = Replies.retryAfter(response.header("x-acs-retry-after"));
      String code = reply == null ? "" : Replies.text(reply, "Code").orElse("");
      if (!response.isSuccessful() || !code.isEmpty()) {
        if (code.isEmpty()) {
          code = "HTTP" + response.code();
        }
        String message = reply == null ? "" : Replies.text(reply, "Message").orElse("");
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
    headers.put("x-acs-version", PolarDbClient.API_VERSION);
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
}
