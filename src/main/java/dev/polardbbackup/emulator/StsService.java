package dev.polardbbackup.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * STS {@code AssumeRoleWithOIDC}, the exchange behind RRSA on ACK: an unsigned call that trades a
 * service-account JWT for temporary credentials. Only role/provider pairs configured on the
 * emulator are trusted; the JWT is checked for shape only (the emulator has no OIDC issuer to
 * verify it against). Not thread-safe: used under the emulator's lock.
 */
final class StsService {
  static final Duration MIN_DURATION = Duration.ofSeconds(900);
  static final Duration MAX_DURATION = Duration.ofHours(12);

  private static final Pattern JWT =
      Pattern.compile("[A-Za-z0-9_-]+=*\\.[A-Za-z0-9_-]+=*\\.[A-Za-z0-9_-]*=*");
  private static final Pattern SESSION_NAME = Pattern.compile("[A-Za-z0-9.@_-]{2,64}");

  record TrustedRole(String roleArn, String oidcProviderArn) {}

  private final Set<TrustedRole> roles;
  private final Duration lifetime;
  private final AccessKeys keys;
  private final Ids ids;
  private final ObjectMapper json = new ObjectMapper();

  StsService(Set<TrustedRole> roles, Duration lifetime, AccessKeys keys, Ids ids) {
    this.roles = Set.copyOf(roles);
    this.lifetime = lifetime;
    this.keys = keys;
    this.ids = ids;
  }

  ObjectNode assumeRoleWithOidc(Params params, Instant now) {
    String roleArn = params.required("RoleArn");
    String providerArn = params.required("OIDCProviderArn");
    String token =
        params
            .optional("OIDCToken")
            .orElseThrow(
                () ->
                    new ApiError(
                        400, "InvalidParameter.OIDCToken", "The parameter OIDCToken is missing."));
    JsonNode claims = claimsOf(token);
    String sessionName = params.optional("RoleSessionName").orElse("emulator-session");
    if (!SESSION_NAME.matcher(sessionName).matches()) {
      throw new ApiError(
          400,
          "InvalidParameter.RoleSessionName",
          "The parameter RoleSessionName must be 2 to 64 characters of [A-Za-z0-9.@_-].");
    }
    Duration requested = durationOf(params);
    if (!roles.contains(new TrustedRole(roleArn, providerArn))) {
      throw new ApiError(
          403,
          "NoPermission",
          "You are not authorized to do this action. The role does not trust this OIDC provider.");
    }
    Duration granted =
        requested == null || requested.compareTo(lifetime) > 0 ? lifetime : requested;

    AccessKeys.StsSession session =
        new AccessKeys.StsSession(
            ids.stsAccessKeyId(),
            ids.secret(),
            ids.securityToken(),
            now.plus(granted),
            roleArn,
            sessionName);
    keys.addSession(session);

    ObjectNode reply = JsonNodeFactory.instance.objectNode();
    ObjectNode credentials = reply.putObject("Credentials");
    credentials.put("AccessKeyId", session.accessKeyId());
    credentials.put("AccessKeySecret", session.accessKeySecret());
    credentials.put("SecurityToken", session.securityToken());
    credentials.put("Expiration", WireTime.seconds(session.expiration()));
    ObjectNode user = reply.putObject("AssumedRoleUser");
    user.put("Arn", assumedRoleArn(roleArn, sessionName));
    user.put("AssumedRoleId", ids.accountId().substring(0, 12) + ":" + sessionName);
    ObjectNode info = reply.putObject("OIDCTokenInfo");
    info.put("Subject", claims.path("sub").asText(""));
    info.put("Issuer", claims.path("iss").asText(""));
    JsonNode aud = claims.path("aud");
    info.put("ClientIds", aud.isArray() && aud.size() > 0 ? aud.get(0).asText() : aud.asText(""));
    return reply;
  }

  /** acs:ram::123:role/name becomes acs:ram::123:assumed-role/name/session, as STS writes it. */
  private static String assumedRoleArn(String roleArn, String sessionName) {
    int slash = roleArn.indexOf(":role/");
    return slash < 0
        ? roleArn + "/" + sessionName
        : roleArn.substring(0, slash)
            + ":assumed-role/"
            + roleArn.substring(slash + 6)
            + "/"
            + sessionName;
  }

  private JsonNode claimsOf(String token) {
    ApiError garbage =
        new ApiError(400, "InvalidParameter.OIDCToken", "The parameter OIDCToken is invalid.");
    if (!JWT.matcher(token).matches()) {
      throw garbage;
    }
    String[] parts = token.split("\\.");
    try {
      JsonNode header = json.readTree(Base64.getUrlDecoder().decode(parts[0]));
      JsonNode claims = json.readTree(Base64.getUrlDecoder().decode(parts[1]));
      if (header == null || !header.isObject() || claims == null || !claims.isObject()) {
        throw garbage;
      }
      return claims;
    } catch (IOException | IllegalArgumentException e) {
      throw garbage;
    }
  }

  private static Duration durationOf(Params params) {
    String text = params.optional("DurationSeconds").orElse(null);
    if (text == null) {
      return null;
    }
    try {
      Duration requested = Duration.ofSeconds(Long.parseLong(text));
      if (requested.compareTo(MIN_DURATION) >= 0 && requested.compareTo(MAX_DURATION) <= 0) {
        return requested;
      }
    } catch (NumberFormatException e) {
      // fall through to the error below
    }
    throw new ApiError(
        400,
        "InvalidParameter.DurationSeconds",
        "The parameter DurationSeconds must be between 900 and 43200.");
  }
}
