package dev.polardbbackup.emulator;

import dev.polardbbackup.signing.SignatureV1;
import dev.polardbbackup.signing.SignatureV3;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Checks a signed PolarDB request the way Alibaba's gateway does, for both signature versions: the
 * AccessKey (and STS token), the timestamp window, the signature itself (rebuilt with {@code
 * dev.polardbbackup.signing}, never re-implemented), then the nonce, so a forged request cannot
 * burn a legitimate nonce. Not thread-safe: used under the emulator's lock.
 */
final class RequestAuthenticator {
  static final Duration CLOCK_SKEW = Duration.ofMinutes(15);

  private static final List<String> V1_PARAMS =
      List.of(
          "AccessKeyId",
          "Signature",
          "SignatureMethod",
          "SignatureVersion",
          "SignatureNonce",
          "Timestamp");
  private static final List<String> V3_HEADERS =
      List.of("x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256");

  private final AccessKeys keys;
  private final NonceWindow nonces;

  RequestAuthenticator(AccessKeys keys, NonceWindow nonces) {
    this.keys = keys;
    this.nonces = nonces;
  }

  /** The AccessKeyId the request is signed with, or an {@link ApiError}. */
  String authenticate(ApiRequest request, Instant now) {
    if (request.header("authorization") != null) {
      return verifyV3(request, now);
    }
    if (request.param("Signature") != null || request.param("AccessKeyId") != null) {
      return verifyV1(request, now);
    }
    throw incomplete(
        "The request carries no signature: send an Authorization header (ACS3-HMAC-SHA256) or"
            + " the AccessKeyId and Signature parameters (HMAC-SHA1).");
  }

  private String verifyV3(ApiRequest request, Instant now) {
    SignatureV3.Authorization auth =
        SignatureV3.Authorization.parse(request.header("authorization"))
            .orElseThrow(
                () ->
                    incomplete(
                        "The Authorization header must read ACS3-HMAC-SHA256"
                            + " Credential=...,SignedHeaders=...,Signature=..."));
    for (String header : V3_HEADERS) {
      if (isBlank(request.header(header))) {
        throw incomplete("The header " + header + " is missing.");
      }
    }
    Map<String, String> signedHeaders = signedHeaderValues(request, auth.signedHeaders());

    String secret = keys.secretFor(auth.accessKeyId(), request.header("x-acs-security-token"), now);
    checkTimestamp(request.header("x-acs-date"), now);

    String bodyHash = sha256Hex(request.body());
    if (!bodyHash.equalsIgnoreCase(request.header("x-acs-content-sha256").trim())) {
      throw new ApiError(
          400,
          "SignatureDoesNotMatch",
          "The x-acs-content-sha256 header is not the hex SHA-256 of the request body.");
    }
    String canonical =
        SignatureV3.canonicalRequest(
            request.method(),
            request.query(),
            signedHeaders,
            request.header("x-acs-content-sha256"));
    String expected = SignatureV3.sign(secret, canonical);
    if (!constantTimeEquals(expected, auth.signature().toLowerCase(Locale.ROOT))) {
      throw new ApiError(
          400,
          "SignatureDoesNotMatch",
          "The request signature does not conform to Aliyun standards. server string to sign is:"
              + SignatureV3.stringToSign(canonical));
    }
    nonces.use(request.header("x-acs-signature-nonce"), now);
    return auth.accessKeyId();
  }

  /**
   * The values of the headers named in SignedHeaders. Every x-acs-* header and host must be signed,
   * so none of them can be altered in transit; content-type may be.
   */
  private static Map<String, String> signedHeaderValues(ApiRequest request, String names) {
    Set<String> signed = new TreeSet<>();
    for (String name : names.split(";")) {
      signed.add(name.trim().toLowerCase(Locale.ROOT));
    }
    List<String> unsigned = new ArrayList<>();
    for (String name : request.headers().keySet()) {
      if ((name.equals("host") || name.startsWith("x-acs-")) && !signed.contains(name)) {
        unsigned.add(name);
      }
    }
    if (!unsigned.isEmpty()) {
      throw incomplete(
          "SignedHeaders must include host and every x-acs-* header; missing " + unsigned);
    }
    Map<String, String> values = new LinkedHashMap<>();
    for (String name : signed) {
      String value = request.header(name);
      if (value == null) {
        throw incomplete("SignedHeaders names " + name + ", which the request does not carry.");
      }
      values.put(name, value);
    }
    return values;
  }

  private String verifyV1(ApiRequest request, Instant now) {
    Map<String, String> params = request.params();
    for (String name : V1_PARAMS) {
      if (isBlank(params.get(name))) {
        throw incomplete("The parameter " + name + " is missing.");
      }
    }
    if (!SignatureV1.METHOD.equals(params.get("SignatureMethod"))
        || !SignatureV1.VERSION.equals(params.get("SignatureVersion"))) {
      throw incomplete("Only SignatureMethod HMAC-SHA1 with SignatureVersion 1.0 is supported.");
    }
    String accessKeyId = params.get("AccessKeyId");
    String secret = keys.secretFor(accessKeyId, emptyToNull(params.get("SecurityToken")), now);
    checkTimestamp(params.get("Timestamp"), now);

    Map<String, String> signed = new LinkedHashMap<>(params);
    String signature = signed.remove("Signature");
    String stringToSign = SignatureV1.stringToSign(request.method(), signed);
    if (!constantTimeEquals(SignatureV1.sign(secret, stringToSign), signature)) {
      throw new ApiError(
          400,
          "SignatureDoesNotMatch",
          "Specified signature is not matched with our calculation. server string to sign is:"
              + stringToSign);
    }
    nonces.use(params.get("SignatureNonce"), now);
    return accessKeyId;
  }

  private static void checkTimestamp(String text, Instant now) {
    Instant timestamp;
    try {
      timestamp = WireTime.parseSeconds(text.trim());
    } catch (DateTimeParseException e) {
      throw new ApiError(
          400,
          "InvalidTimeStamp.Format",
          "Specified time stamp or date value is not well formatted (yyyy-MM-ddTHH:mm:ssZ, UTC).");
    }
    if (Duration.between(timestamp, now).abs().compareTo(CLOCK_SKEW) > 0) {
      throw new ApiError(
          400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.");
    }
  }

  private static ApiError incomplete(String why) {
    return new ApiError(
        400,
        "IncompleteSignature",
        "The request signature does not conform to Aliyun standards. " + why);
  }

  private static boolean constantTimeEquals(String a, String b) {
    return MessageDigest.isEqual(
        a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  static String sha256Hex(byte[] body) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-256", e);
    }
  }

  private static boolean isBlank(String value) {
    return value == null || value.isBlank();
  }

  private static String emptyToNull(String value) {
    return isBlank(value) ? null : value;
  }
}
