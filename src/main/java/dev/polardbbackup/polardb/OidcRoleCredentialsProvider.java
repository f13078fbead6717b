package dev.polardbbackup.polardb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import okhttp3.FormBody;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * RRSA, the ACK pod-identity way: exchange the projected service-account token for STS credentials
 * through {@code AssumeRoleWithOIDC}, and cache them until shortly before they expire. The token
 * file is read again on every exchange because the kubelet rotates it. The exchange is not signed:
 * the OIDC token is the proof.
 */
public final class OidcRoleCredentialsProvider implements CredentialsProvider {

  static final Duration REFRESH_BEFORE_EXPIRY = Duration.ofMinutes(15);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String roleArn;
  private final String oidcProviderArn;
  private final Path tokenFile;
  private final String roleSessionName;
  private final Duration duration;
  private final URI stsEndpoint;
  private final OkHttpClient http;
  private final Clock clock;

  private Credentials cached;
  private Instant cachedUntil = Instant.MIN;

  public OidcRoleCredentialsProvider(
      String roleArn,
      String oidcProviderArn,
      Path tokenFile,
      String roleSessionName,
      Duration duration,
      URI stsEndpoint,
      OkHttpClient http,
      Clock clock) {
    this.roleArn = roleArn;
    this.oidcProviderArn = oidcProviderArn;
    this.tokenFile = tokenFile;
    this.roleSessionName = roleSessionName;
    this.duration = duration;
    this.stsEndpoint = stsEndpoint;
    this.http = http;
    this.clock = clock;
  }

  @Override
  public synchronized Credentials credentials() throws CredentialsException {
    if (cached != null && clock.instant().isBefore(cachedUntil)) {
      return cached;
    }
    Exchanged fresh = exchange();
    cached = fresh.credentials();
    Duration lifetime = Duration.between(clock.instant(), fresh.expiration());
    Duration margin =
        lifetime.compareTo(REFRESH_BEFORE_EXPIRY.multipliedBy(2)) > 0
            ? REFRESH_BEFORE_EXPIRY
            : lifetime.dividedBy(4);
    cachedUntil = fresh.expiration().minus(margin);
    return cached;
  }

  @Override
  public synchronized void invalidate() {
    cached = null;
    cachedUntil = Instant.MIN;
  }

  private record Exchanged(Credentials credentials, Instant expiration) {}

  private Exchanged exchange() throws CredentialsException {
    String token = readToken();
    HttpUrl url =
        HttpUrl.get(stsEndpoint.toString())
            .newBuilder()
            .encodedPath("/")
            .addQueryParameter("Action", "AssumeRoleWithOIDC")
            .addQueryParameter("Format", "JSON")
            .addQueryParameter("Version", "2015-04-01")
            .build();
    FormBody body =
        new FormBody.Builder()
            .add("RoleArn", roleArn)
            .add("OIDCProviderArn", oidcProviderArn)
            .add("OIDCToken", token)
            .add("RoleSessionName", roleSessionName)
            .add("DurationSeconds", Long.toString(duration.toSeconds()))
            .build();
    Request request =
        new Request.Builder().url(url).post(body).header("Accept", "application/json").build();
    try (Response response = http.newCall(request).execute()) {
      ResponseBody responseBody = response.body();
      JsonNode reply = JSON.readTree(responseBody == null ? "" : responseBody.string());
      if (!response.isSuccessful() || reply == null || !reply.has("Credentials")) {
        throw new CredentialsException(
            failure(
                "STS AssumeRoleWithOIDC refused: "
                    + text(reply, "Code")
                    + ": "
                    + text(reply, "Message")
                    + " (HTTP "
                    + response.code()
                    + ", RequestId "
                    + text(reply, "RequestId")
                    + ")"));
      }
      JsonNode c = reply.get("Credentials");
      Credentials credentials =
          new Credentials(
              text(c, "AccessKeyId"),
              text(c, "AccessKeySecret"),
              Optional.of(text(c, "SecurityToken")),
              "RRSA (" + roleArn + ")");
      return new Exchanged(credentials, Instant.parse(text(c, "Expiration")));
    } catch (IOException e) {
      throw new CredentialsException(
          failure("STS at " + stsEndpoint + " unreachable: " + e.getClass().getSimpleName()));
    } catch (DateTimeParseException | IllegalArgumentException e) {
      throw new CredentialsException(failure("STS reply has unusable credentials"));
    }
  }

  private String readToken() throws CredentialsException {
    try {
      String token = Files.readString(tokenFile).trim();
      if (token.isEmpty()) {
        throw new CredentialsException(failure("OIDC token file " + tokenFile + " is empty"));
      }
      return token;
    } catch (IOException e) {
      throw new CredentialsException(
          failure("cannot read OIDC token file " + tokenFile + " (ALIBABA_CLOUD_OIDC_TOKEN_FILE)"));
    }
  }

  private String failure(String detail) {
    return "RRSA credentials for role " + roleArn + ": " + detail;
  }

  private static String text(JsonNode node, String field) {
    return node != null && node.hasNonNull(field) ? node.get(field).asText() : "";
  }
}
