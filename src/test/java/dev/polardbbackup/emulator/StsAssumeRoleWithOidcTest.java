package dev.polardbbackup.emulator;

import static dev.polardbbackup.emulator.EmulatorHarness.CLUSTER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class StsAssumeRoleWithOidcTest {
  static final String ROLE = "acs:ram::1234567890123456:role/polardb-backup";
  static final String PROVIDER = "acs:ram::1234567890123456:oidc-provider/ack-rrsa-c123";

  private final EmulatorHarness h = EmulatorHarness.start(b -> b.oidcRole(ROLE, PROVIDER));

  @AfterEach
  void stop() {
    h.close();
  }

  static String jwt() {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String header =
        b64.encodeToString("{\"alg\":\"RS256\",\"kid\":\"k1\"}".getBytes(StandardCharsets.UTF_8));
    String claims =
        b64.encodeToString(
            ("{\"iss\":\"https://oidc-ack-cn-hangzhou.oss-cn-hangzhou.aliyuncs.com/c123\","
                    + "\"sub\":\"system:serviceaccount:backups:operator\","
                    + "\"aud\":[\"sts.aliyuncs.com\"]}")
                .getBytes(StandardCharsets.UTF_8));
    return header + "." + claims + ".c2lnbmF0dXJl";
  }

  private AcsTestClient.Reply assume(Map<String, String> overrides) {
    Map<String, String> form = new LinkedHashMap<>();
    form.put("RoleArn", ROLE);
    form.put("OIDCProviderArn", PROVIDER);
    form.put("OIDCToken", jwt());
    form.put("RoleSessionName", "polardb-backup-operator");
    form.putAll(overrides);
    form.values().removeIf(v -> v == null);
    return h.client.unsigned("AssumeRoleWithOIDC", "2015-04-01", form);
  }

  private AcsTestClient stsClient(JsonNode credentials) {
    return h.client.withCredentials(
        credentials.path("AccessKeyId").asText(),
        credentials.path("AccessKeySecret").asText(),
        credentials.path("SecurityToken").asText());
  }

  @Test
  void oidcTokenIsExchangedForTemporaryCredentialsThatWorkWithTheirToken() {
    AcsTestClient.Reply reply = assume(Map.of());

    assertEquals(200, reply.status(), reply.body().toString());
    JsonNode credentials = reply.body().path("Credentials");
    assertTrue(credentials.path("AccessKeyId").asText().startsWith("STS."));
    assertEquals(
        WireTime.seconds(EmulatorHarness.START.plus(Duration.ofHours(1))),
        credentials.path("Expiration").asText());
    assertEquals(
        "acs:ram::1234567890123456:assumed-role/polardb-backup/polardb-backup-operator",
        reply.body().path("AssumedRoleUser").path("Arn").asText());

    AcsTestClient sts = stsClient(credentials);
    assertEquals(
        200, sts.call("DescribeDBClusterAttribute").param("DBClusterId", CLUSTER).v3().status());
    assertEquals(
        200, sts.call("DescribeDBClusterAttribute").param("DBClusterId", CLUSTER).v1().status());
  }

  @Test
  void temporaryCredentialsExpireAtTheirExpiration() {
    JsonNode credentials = assume(Map.of("DurationSeconds", "900")).body().path("Credentials");
    assertEquals(
        Instant.parse("2025-03-10T02:15:00Z"),
        WireTime.parseSeconds(credentials.path("Expiration").asText()));
    AcsTestClient sts = stsClient(credentials);

    h.clock.advance(Duration.ofMinutes(14));
    assertEquals(
        200, sts.call("DescribeDBClusterAttribute").param("DBClusterId", CLUSTER).v3().status());

    h.clock.advance(Duration.ofMinutes(1));
    AcsTestClient.Reply expired =
        sts.call("DescribeDBClusterAttribute").param("DBClusterId", CLUSTER).v3();
    assertEquals(400, expired.status());
    assertEquals("InvalidSecurityToken.Expired", expired.code());
  }

  @Test
  void temporaryKeyWithoutOrWithAnUnknownTokenIsMalformed() {
    JsonNode credentials = assume(Map.of()).body().path("Credentials");
    String id = credentials.path("AccessKeyId").asText();
    String secret = credentials.path("AccessKeySecret").asText();

    AcsTestClient noToken = h.client.withCredentials(id, secret, null);
    assertEquals(
        "InvalidSecurityToken.Malformed",
        noToken.call("DescribeDBClusterAttribute").param("DBClusterId", CLUSTER).v3().code());

    AcsTestClient madeUp = h.client.withCredentials(id, secret, "CAISmadeup");
    AcsTestClient.Reply reply =
        madeUp.call("DescribeDBClusterAttribute").param("DBClusterId", CLUSTER).v1();
    assertEquals(400, reply.status());
    assertEquals("InvalidSecurityToken.Malformed", reply.code());
  }

  @Test
  void tokenOfAnotherKeyIsMismatchWithAccessKey() {
    JsonNode first = assume(Map.of()).body().path("Credentials");
    JsonNode second = assume(Map.of()).body().path("Credentials");

    AcsTestClient crossed =
        h.client.withCredentials(
            first.path("AccessKeyId").asText(),
            first.path("AccessKeySecret").asText(),
            second.path("SecurityToken").asText());
    assertEquals(
        "InvalidSecurityToken.MismatchWithAccessKey",
        crossed.call("DescribeDBClusterAttribute").param("DBClusterId", CLUSTER).v3().code());

    AcsTestClient longTermWithToken =
        h.client.withCredentials(
            EmulatorHarness.KEY_ID, EmulatorHarness.SECRET, first.path("SecurityToken").asText());
    assertEquals(
        "InvalidSecurityToken.MismatchWithAccessKey",
        longTermWithToken
            .call("DescribeDBClusterAttribute")
            .param("DBClusterId", CLUSTER)
            .v1()
            .code());
  }

  @Test
  void tokenThatIsNotAJwtIsInvalid() {
    AcsTestClient.Reply garbage = assume(Map.of("OIDCToken", "not-a-jwt"));
    assertEquals(400, garbage.status());
    assertEquals("InvalidParameter.OIDCToken", garbage.code());

    Map<String, String> none = new LinkedHashMap<>();
    none.put("OIDCToken", null);
    assertEquals("InvalidParameter.OIDCToken", assume(none).code());
  }

  @Test
  void roleThatDoesNotTrustTheProviderIsNoPermission() {
    AcsTestClient.Reply reply =
        assume(Map.of("RoleArn", "acs:ram::1234567890123456:role/someone-else"));
    assertEquals(403, reply.status());
    assertEquals("NoPermission", reply.code());
  }

  @Test
  void shortDurationAndBadSessionNameAreInvalidParameters() {
    assertEquals(
        "InvalidParameter.DurationSeconds", assume(Map.of("DurationSeconds", "600")).code());
    assertEquals("InvalidParameter.RoleSessionName", assume(Map.of("RoleSessionName", "a")).code());
    assertEquals(
        "InvalidParameter.RoleSessionName", assume(Map.of("RoleSessionName", "has space")).code());
  }
}
