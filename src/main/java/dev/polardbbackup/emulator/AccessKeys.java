package dev.polardbbackup.emulator;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Who may call: long-term AccessKeys, temporary STS credentials (each bound to its SecurityToken
 * and valid until its expiration), and the RAM denials set by tests. Not thread-safe: used under
 * the emulator's lock. Secrets never leave this class except to verify a signature.
 */
final class AccessKeys {

  record StsSession(
      String accessKeyId,
      String accessKeySecret,
      String securityToken,
      Instant expiration,
      String roleArn,
      String roleSessionName) {}

  private final Map<String, String> secrets = new LinkedHashMap<>();
  private final Set<String> inactive = new HashSet<>();
  private final Map<String, StsSession> sessionsByKey = new HashMap<>();
  private final Map<String, StsSession> sessionsByToken = new HashMap<>();
  private final Map<String, Set<String>> denied = new HashMap<>();
  private final String accountId;

  AccessKeys(Map<String, String> secrets, String accountId) {
    this.secrets.putAll(secrets);
    this.accountId = accountId;
  }

  void deactivate(String accessKeyId) {
    inactive.add(accessKeyId);
  }

  void deny(String accessKeyId, String action) {
    denied.computeIfAbsent(accessKeyId, k -> new HashSet<>()).add(action);
  }

  void addSession(StsSession session) {
    sessionsByKey.put(session.accessKeyId(), session);
    sessionsByToken.put(session.securityToken(), session);
  }

  /**
   * The secret to verify a request with, after checking that the key exists, is active, and that a
   * temporary key comes with its own, unexpired SecurityToken.
   *
   * @param securityToken null when the request carried none
   */
  String secretFor(String accessKeyId, String securityToken, Instant now) {
    StsSession session = sessionsByKey.get(accessKeyId);
    if (session == null) {
      String secret = secrets.get(accessKeyId);
      if (secret == null) {
        throw new ApiError(
            404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.");
      }
      if (inactive.contains(accessKeyId)) {
        throw new ApiError(400, "InvalidAccessKeyId.Inactive", "Specified access key is disabled.");
      }
      if (securityToken != null) {
        // A token sent with a long-term key belongs to some other (temporary) key.
        throw tokenProblem(securityToken);
      }
      return secret;
    }
    if (inactive.contains(accessKeyId)) {
      throw new ApiError(400, "InvalidAccessKeyId.Inactive", "Specified access key is disabled.");
    }
    if (securityToken == null || !securityToken.equals(session.securityToken())) {
      throw tokenProblem(securityToken);
    }
    if (!now.isBefore(session.expiration())) {
      throw new ApiError(
          400, "InvalidSecurityToken.Expired", "Specified SecurityToken is expired.");
    }
    return session.accessKeySecret();
  }

  private ApiError tokenProblem(String securityToken) {
    if (securityToken == null || !sessionsByToken.containsKey(securityToken)) {
      return new ApiError(
          400,
          "InvalidSecurityToken.Malformed",
          securityToken == null
              ? "A temporary (STS) AccessKeyId must be sent with its SecurityToken."
              : "Specified SecurityToken is malformed.");
    }
    return new ApiError(
        400,
        "InvalidSecurityToken.MismatchWithAccessKey",
        "Specified SecurityToken mismatch with the AccessKey.");
  }

  /** RAM: a denial set for this key and action answers 403 with Alibaba's diagnostic object. */
  void requireAllowed(String accessKeyId, String action) {
    if (!denied.getOrDefault(accessKeyId, Set.of()).contains(action)) {
      return;
    }
    ObjectNode detail = JsonNodeFactory.instance.objectNode();
    detail.put("PolicyType", "AccountLevelIdentityBasedPolicy");
    detail.put("AuthPrincipalOwnerId", accountId);
    detail.put(
        "AuthPrincipalType",
        sessionsByKey.containsKey(accessKeyId) ? "AssumedRoleUser" : "SubUser");
    detail.put("AuthPrincipalDisplayName", accessKeyId);
    detail.put("NoPermissionType", "ImplicitDeny");
    detail.put("AuthAction", "polardb:" + action);
    detail.put("EncodedDiagnosticMessage", "emulator-denied-" + action);
    throw new ApiError(
            403,
            "Forbidden.RAM",
            "User not authorized to operate on the specified resource, or this API doesn't support"
                + " RAM.")
        .withDetail("AccessDeniedDetail", detail);
  }
}
