package dev.polardbbackup.emulator;

import static dev.polardbbackup.emulator.EmulatorHarness.CLUSTER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SignatureVerificationTest {
  private final EmulatorHarness h = EmulatorHarness.start();

  @AfterEach
  void stop() {
    h.close();
  }

  private AcsTestClient.Call describeCluster() {
    return h.client.call("DescribeDBClusterAttribute").param("DBClusterId", CLUSTER);
  }

  @Test
  void v3SignedCallIsAcceptedAndCarriesItsRequestIdTwice() {
    AcsTestClient.Reply reply = describeCluster().v3();

    assertEquals(200, reply.status(), reply.body().toString());
    assertEquals(CLUSTER, reply.text("DBClusterId"));
    String requestId = reply.text("RequestId");
    assertEquals(requestId, reply.headers().firstValue("x-acs-request-id").orElseThrow());
    assertEquals(
        "application/json;charset=utf-8", reply.headers().firstValue("content-type").orElseThrow());
  }

  @Test
  void v3SignedCallWithFormBodyIsAccepted() {
    assertEquals(200, describeCluster().formBody().v3().status());
  }

  @Test
  void v1SignedCallIsAcceptedInQueryFormBodyAndGet() {
    assertEquals(200, describeCluster().v1().status());
    assertEquals(200, describeCluster().formBody().v1().status());
    assertEquals(200, describeCluster().get().v1().status());
    assertEquals(200, describeCluster().get().v3().status());
  }

  @Test
  void tamperedV3SignatureIsSignatureDoesNotMatch() {
    AcsTestClient.Reply reply = describeCluster().tamperSignature(s -> s.substring(1) + "0").v3();

    assertEquals(400, reply.status());
    assertEquals("SignatureDoesNotMatch", reply.code());
    assertTrue(reply.body().has("HostId"));
    assertTrue(reply.text("Recommend").contains("SignatureDoesNotMatch"));
  }

  @Test
  void tamperedV1SignatureIsRejectedWithTheServerStringToSign() {
    AcsTestClient.Reply reply = describeCluster().tamperSignature(s -> "AAAA" + s).v1();

    assertEquals(400, reply.status());
    assertEquals("SignatureDoesNotMatch", reply.code());
    assertTrue(
        reply
            .text("Message")
            .startsWith(
                "Specified signature is not matched with our calculation. server string to sign"
                    + " is:POST&%2F&AccessKeyId%3D"),
        reply.text("Message"));
  }

  @Test
  void wrongSecretIsSignatureDoesNotMatch() {
    AcsTestClient other = h.client.withCredentials(EmulatorHarness.KEY_ID, "not-the-secret", null);
    AcsTestClient.Reply reply =
        other.call("DescribeDBClusterAttribute").param("DBClusterId", CLUSTER).v3();
    assertEquals("SignatureDoesNotMatch", reply.code());
  }

  @Test
  void bodyThatDoesNotMatchItsHashIsRejected() {
    AcsTestClient.Reply reply =
        describeCluster().header("x-acs-content-sha256", "00".repeat(32)).v3();
    assertEquals(400, reply.status());
    assertEquals("SignatureDoesNotMatch", reply.code());
  }

  @Test
  void unknownAccessKeyIsNotFound() {
    AcsTestClient stranger = h.client.withCredentials("LTAI5tNobody", "x", null);
    AcsTestClient.Reply reply =
        stranger.call("DescribeDBClusterAttribute").param("DBClusterId", CLUSTER).v1();
    assertEquals(404, reply.status());
    assertEquals("InvalidAccessKeyId.NotFound", reply.code());
  }

  @Test
  void deactivatedAccessKeyIsInactive() {
    h.emulator.deactivateAccessKey(EmulatorHarness.KEY_ID);
    AcsTestClient.Reply reply = describeCluster().v3();
    assertEquals(400, reply.status());
    assertEquals("InvalidAccessKeyId.Inactive", reply.code());
  }

  @Test
  void reusedNonceIsRejectedWithinFifteenMinutesOnly() {
    assertEquals(200, describeCluster().nonce("nonce-1").v3().status());

    AcsTestClient.Reply again = describeCluster().nonce("nonce-1").v1();
    assertEquals(400, again.status());
    assertEquals("SignatureNonceUsed", again.code());

    h.clock.advance(Duration.ofMinutes(16));
    assertEquals(200, describeCluster().nonce("nonce-1").v3().status());
  }

  @Test
  void timestampMoreThanFifteenMinutesOffIsExpired() {
    AcsTestClient.Reply old =
        describeCluster().timestamp(h.clock.instant().minus(Duration.ofMinutes(16))).v3();
    assertEquals(400, old.status());
    assertEquals("InvalidTimeStamp.Expired", old.code());

    AcsTestClient.Reply future =
        describeCluster().timestamp(h.clock.instant().plus(Duration.ofMinutes(16))).v1();
    assertEquals("InvalidTimeStamp.Expired", future.code());

    AcsTestClient.Reply slightlyOff =
        describeCluster().timestamp(h.clock.instant().minus(Duration.ofMinutes(14))).v3();
    assertEquals(200, slightlyOff.status());
  }

  @Test
  void requestWithoutSignatureIsIncompleteSignature() {
    AcsTestClient.Reply reply =
        h.client.raw(
            HttpRequest.newBuilder(
                    URI.create(
                        h.server.baseUri()
                            + "/?Action=DescribeDBClusterAttribute&Version=2017-08-01"
                            + "&DBClusterId="
                            + CLUSTER))
                .POST(HttpRequest.BodyPublishers.noBody())
                .build());
    assertEquals(400, reply.status());
    assertEquals("IncompleteSignature", reply.code());
  }

  @Test
  void xAcsHeaderLeftOutOfSignedHeadersIsIncompleteSignature() {
    AcsTestClient.Reply reply =
        describeCluster().tamperSignedHeaders(s -> s.replace(";x-acs-signature-nonce", "")).v3();
    assertEquals(400, reply.status());
    assertEquals("IncompleteSignature", reply.code());
    assertTrue(reply.text("Message").contains("x-acs-signature-nonce"));
  }

  @Test
  void unknownActionIsNotFoundAndWrongVersionIsInvalid() {
    AcsTestClient.Reply unknown = h.client.call("DescribeRegions").v3();
    assertEquals(404, unknown.status());
    assertEquals("InvalidAction.NotFound", unknown.code());

    AcsTestClient.Reply wrongVersion = describeCluster().version("2014-05-26").v1();
    assertEquals(400, wrongVersion.status());
    assertEquals("InvalidVersion", wrongVersion.code());
  }

  @Test
  void deniedActionIsForbiddenByRamWithADetail() {
    h.emulator.denyAction(EmulatorHarness.KEY_ID, "CreateBackup");

    AcsTestClient.Reply denied = h.createBackup();
    assertEquals(403, denied.status());
    assertEquals("Forbidden.RAM", denied.code());
    assertEquals(
        "polardb:CreateBackup",
        denied.body().path("AccessDeniedDetail").path("AuthAction").asText());
    assertEquals(200, describeCluster().v3().status());
    assertTrue(h.emulator.ledger().backups().isEmpty());
  }

  @Test
  void rejectedCallsAreInTheLedgerWithoutSecrets() {
    describeCluster().tamperSignature(s -> "0" + s).v3();

    ApiCall call = h.emulator.ledger().calls().get(0);
    assertEquals("DescribeDBClusterAttribute", call.action());
    assertEquals(CLUSTER, call.dbClusterId());
    assertEquals(400, call.httpStatus());
    assertEquals("SignatureDoesNotMatch", call.code());
    assertFalse(call.toString().contains(EmulatorHarness.SECRET));
  }
}
