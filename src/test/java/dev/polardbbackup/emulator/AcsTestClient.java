package dev.polardbbackup.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.polardbbackup.signing.AcsEncoding;
import dev.polardbbackup.signing.SignatureV1;
import dev.polardbbackup.signing.SignatureV3;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * Signs and sends RPC calls the way Alibaba's SDKs do (V3 like tea-openapi, V1 like
 * aliyun-java-sdk-core), using {@code dev.polardbbackup.signing}, with knobs to break each part of
 * a signature on purpose.
 */
final class AcsTestClient {
  static final String POLARDB_VERSION = "2017-08-01";
  private static final DateTimeFormatter TIMESTAMP =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private final ObjectMapper json = new ObjectMapper();
  private final URI base;
  private final Clock clock;
  private String accessKeyId;
  private String secret;
  private String securityToken;

  AcsTestClient(URI base, Clock clock, String accessKeyId, String secret) {
    this.base = base;
    this.clock = clock;
    this.accessKeyId = accessKeyId;
    this.secret = secret;
  }

  AcsTestClient withCredentials(String id, String secret, String securityToken) {
    AcsTestClient copy = new AcsTestClient(base, clock, id, secret);
    copy.securityToken = securityToken;
    return copy;
  }

  record Reply(int status, JsonNode body, HttpHeaders headers) {
    String code() {
      return body.path("Code").asText("OK");
    }

    String text(String field) {
      return body.path(field).asText(null);
    }
  }

  /** One call being put together; defaults give a correctly signed request. */
  final class Call {
    private final String action;
    private final Map<String, String> params = new LinkedHashMap<>();
    private String version = POLARDB_VERSION;
    private String nonce = UUID.randomUUID().toString();
    private Instant timestamp = clock.instant();
    private String method = "POST";
    private boolean formBody;
    private UnaryOperator<String> tamperSignature = s -> s;
    private UnaryOperator<String> tamperSignedHeaders = s -> s;
    private final Map<String, String> extraHeaders = new LinkedHashMap<>();

    private Call(String action) {
      this.action = action;
    }

    Call param(String name, String value) {
      params.put(name, value);
      return this;
    }

    Call version(String version) {
      this.version = version;
      return this;
    }

    Call nonce(String nonce) {
      this.nonce = nonce;
      return this;
    }

    Call timestamp(Instant timestamp) {
      this.timestamp = timestamp;
      return this;
    }

    Call get() {
      this.method = "GET";
      return this;
    }

    /** Sends the action's parameters as a form body instead of in the query. */
    Call formBody() {
      this.formBody = true;
      return this;
    }

    Call tamperSignature(UnaryOperator<String> tamper) {
      this.tamperSignature = tamper;
      return this;
    }

    Call tamperSignedHeaders(UnaryOperator<String> tamper) {
      this.tamperSignedHeaders = tamper;
      return this;
    }

    Call header(String name, String value) {
      extraHeaders.put(name, value);
      return this;
    }

    /** V3 (ACS3-HMAC-SHA256), parameters in the query and an empty body unless formBody(). */
    Reply v3() {
      return send(v3Request());
    }

    HttpRequest v3Request() {
      String body = formBody ? AcsEncoding.canonicalQuery(params) : "";
      Map<String, String> query = formBody ? Map.of() : params;
      Map<String, String> headers = new TreeMap<>();
      headers.put("host", base.getHost() + ":" + base.getPort());
      headers.put("x-acs-action", action);
      headers.put("x-acs-version", version);
      headers.put("x-acs-date", TIMESTAMP.format(timestamp));
      headers.put("x-acs-signature-nonce", nonce);
      headers.put("x-acs-content-sha256", AcsEncoding.contentSha256(body));
      if (securityToken != null) {
        headers.put("x-acs-security-token", securityToken);
      }
      if (formBody) {
        headers.put("content-type", "application/x-www-form-urlencoded");
      }
      headers.putAll(extraHeaders);
      String canonical =
          SignatureV3.canonicalRequest(method, query, headers, headers.get("x-acs-content-sha256"));
      String signature = tamperSignature.apply(SignatureV3.sign(secret, canonical));
      String signedHeaders = tamperSignedHeaders.apply(SignatureV3.signedHeaderNames(headers));
      HttpRequest.Builder request =
          HttpRequest.newBuilder(uri(query)).timeout(Duration.ofSeconds(10));
      headers.forEach(
          (name, value) -> {
            if (!name.equals("host")) {
              request.header(name, value);
            }
          });
      request.header(
          "Authorization",
          new SignatureV3.Authorization(accessKeyId, signedHeaders, signature).header());
      request.method(method, publisher(body));
      return request.build();
    }

    /** V1 (HMAC-SHA1), every parameter in the query (or in a form body). */
    Reply v1() {
      return send(v1Request());
    }

    HttpRequest v1Request() {
      Map<String, String> all = new LinkedHashMap<>(params);
      all.put("Action", action);
      all.put("Version", version);
      all.put("Format", "JSON");
      all.put("AccessKeyId", accessKeyId);
      all.put("SignatureMethod", SignatureV1.METHOD);
      all.put("SignatureVersion", SignatureV1.VERSION);
      all.put("SignatureNonce", nonce);
      all.put("Timestamp", TIMESTAMP.format(timestamp));
      if (securityToken != null) {
        all.put("SecurityToken", securityToken);
      }
      all.put("Signature", tamperSignature.apply(SignatureV1.sign(secret, method, all)));
      String encoded = AcsEncoding.canonicalQuery(all);
      HttpRequest.Builder request =
          HttpRequest.newBuilder(formBody ? base.resolve("/") : URI.create(base + "/?" + encoded))
              .timeout(Duration.ofSeconds(10));
      if (formBody) {
        request.header("Content-Type", "application/x-www-form-urlencoded");
      }
      request.method(method, publisher(formBody ? encoded : ""));
      return request.build();
    }

    private URI uri(Map<String, String> query) {
      return query.isEmpty()
          ? base.resolve("/")
          : URI.create(base + "/?" + AcsEncoding.canonicalQuery(query));
    }
  }

  Call call(String action) {
    return new Call(action);
  }

  /** An unsigned STS-style call: Action, Version and Format in the query, the rest as a form. */
  Reply unsigned(String action, String version, Map<String, String> form) {
    String query =
        "Action=" + action + "&Format=JSON&Version=" + AcsEncoding.percentEncode(version);
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(base + "/?" + query))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(publisher(AcsEncoding.canonicalQuery(form)))
            .build();
    return send(request);
  }

  Reply raw(HttpRequest request) {
    return send(request);
  }

  JsonNode admin(String method, String path, String jsonBody) {
    HttpRequest request =
        HttpRequest.newBuilder(base.resolve(path))
            .method(method, publisher(jsonBody == null ? "" : jsonBody))
            .build();
    return send(request).body();
  }

  Reply adminReply(String method, String path, String jsonBody) {
    return send(
        HttpRequest.newBuilder(base.resolve(path))
            .method(method, publisher(jsonBody == null ? "" : jsonBody))
            .build());
  }

  /** Sends without catching: a dropped connection surfaces as IOException. */
  HttpResponse<String> sendRaw(HttpRequest request) throws IOException, InterruptedException {
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private Reply send(HttpRequest request) {
    try {
      HttpResponse<String> response = sendRaw(request);
      JsonNode body = json.readTree(response.body());
      return new Reply(response.statusCode(), body, response.headers());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static HttpRequest.BodyPublisher publisher(String body) {
    return body.isEmpty()
        ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8);
  }
}
