package dev.polardbbackup.signing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Alibaba's own worked examples (see shared/docs/polardb-openapi.md), byte for byte. */
class PublishedSignatureVectorsTest {

  @Test
  void v1DescribeRegionsExampleMatchesStringToSignAndSignature() {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("Timestamp", "2016-02-23T12:46:24Z");
    params.put("Action", "DescribeRegions");
    params.put("AccessKeyId", "testid");
    params.put("Format", "XML");
    params.put("SignatureMethod", "HMAC-SHA1");
    params.put("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf");
    params.put("SignatureVersion", "1.0");
    params.put("Version", "2014-05-26");

    String stringToSign = SignatureV1.stringToSign("GET", params);

    assertEquals(
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML"
            + "%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"
            + "%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z"
            + "%26Version%3D2014-05-26",
        stringToSign);
    assertEquals("OLeaidS1JvxuMvnyHOwuJ+uX5qY=", SignatureV1.sign("testsecret", stringToSign));
  }

  @Test
  void v1DescribeDedicatedHostsExampleMatchesSignature() {
    Map<String, String> params =
        Map.of(
            "AccessKeyId", "testid",
            "Action", "DescribeDedicatedHosts",
            "Format", "JSON",
            "RegionId", "cn-beijing",
            "SignatureMethod", "HMAC-SHA1",
            "SignatureNonce", "edb2b34af0af9a6d14deaf7c1a5315eb",
            "SignatureVersion", "1.0",
            "Timestamp", "2023-03-13T08:34:30Z",
            "Version", "2014-05-26");

    assertEquals("9NaGiOspFP5UPcwX8Iwt2YJXXuk=", SignatureV1.sign("testsecret", "GET", params));
  }

  @Test
  void v3RunInstancesExampleMatchesCanonicalHashAndSignature() {
    Map<String, String> query =
        Map.of(
            "ImageId", "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd",
            "RegionId", "cn-shanghai");
    TreeMap<String, String> headers =
        SignatureV3.headersToSign(
            Map.of(
                "host", "ecs.cn-shanghai.aliyuncs.com",
                "x-acs-action", "RunInstances",
                "x-acs-version", "2014-05-26",
                "x-acs-date", "2023-10-26T10:22:32Z",
                "x-acs-signature-nonce", "3156853299f313e23d1673dc12e1703d",
                "x-acs-content-sha256", AcsEncoding.EMPTY_BODY_SHA256,
                "user-agent", "not signed"));

    String canonical =
        SignatureV3.canonicalRequest("POST", query, headers, AcsEncoding.EMPTY_BODY_SHA256);

    assertEquals(
        "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version",
        SignatureV3.signedHeaderNames(headers));
    assertEquals(
        "ACS3-HMAC-SHA256\n7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259",
        SignatureV3.stringToSign(canonical));
    assertEquals(
        "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0",
        SignatureV3.sign("YourAccessKeySecret", canonical));
  }

  @Test
  void percentEncodingFollowsAlibabaRulesNotFormEncoding() {
    assertEquals("a%20b%2Ac~d%2B%2F%3D", AcsEncoding.percentEncode("a b*c~d+/="));
    assertEquals("%E4%B8%AD", AcsEncoding.percentEncode("中"));
    assertEquals("A-Z_a.z0~9", AcsEncoding.percentEncode("A-Z_a.z0~9"));
  }

  @Test
  void v3AuthorizationHeaderRoundTrips() {
    var auth = new SignatureV3.Authorization("id", "host;x-acs-date", "ab12");
    assertEquals(auth, SignatureV3.Authorization.parse(auth.header()).orElseThrow());
    assertTrue(SignatureV3.Authorization.parse("ACS3-HMAC-SHA256 junk").isEmpty());
  }

  @Test
  void anyChangedParameterChangesTheV1Signature() {
    Map<String, String> a = Map.of("Action", "CreateBackup", "DBClusterId", "pc-1");
    Map<String, String> b = Map.of("Action", "CreateBackup", "DBClusterId", "pc-2");
    assertNotEquals(SignatureV1.sign("s", "POST", a), SignatureV1.sign("s", "POST", b));
  }
}
