package dev.polardbbackup.signing;

import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Alibaba Cloud's V3 signature ({@code ACS3-HMAC-SHA256}) for RPC calls: a canonical request over
 * method, URI {@code /}, the canonical query, the signed headers ({@code host}, {@code
 * content-type} if present, every {@code x-acs-*}) and the body hash; then {@code
 * hex(HMAC-SHA256(secret, "ACS3-HMAC-SHA256\n" + hex(SHA-256(canonicalRequest))))}.
 */
public final class SignatureV3 {
  public static final String ALGORITHM = "ACS3-HMAC-SHA256";

  private static final Pattern AUTHORIZATION =
      Pattern.compile(
          "ACS3-HMAC-SHA256\\s+Credential=([^,\\s]+),\\s*SignedHeaders=([^,\\s]+),\\s*Signature=([0-9a-fA-F]+)\\s*");

  private SignatureV3() {}

  /** The parts of an {@code Authorization} header. */
  public record Authorization(String accessKeyId, String signedHeaders, String signature) {
    public String header() {
      return ALGORITHM
          + " Credential="
          + accessKeyId
          + ",SignedHeaders="
          + signedHeaders
          + ",Signature="
          + signature;
    }

    public static Optional<Authorization> parse(String header) {
      if (header == null) {
        return Optional.empty();
      }
      Matcher m = AUTHORIZATION.matcher(header.trim());
      return m.matches()
          ? Optional.of(new Authorization(m.group(1), m.group(2), m.group(3)))
          : Optional.empty();
    }
  }

  /** Lowercase names of the headers that a V3 signature covers, out of the headers given. */
  public static TreeMap<String, String> headersToSign(Map<String, String> headers) {
    TreeMap<String, String> signed = new TreeMap<>();
    headers.forEach(
        (name, value) -> {
          String lower = name.toLowerCase(Locale.ROOT);
          if (lower.equals("host") || lower.equals("content-type") || lower.startsWith("x-acs-")) {
            signed.put(lower, value.trim());
          }
        });
    return signed;
  }

  public static String signedHeaderNames(Map<String, String> signedHeaders) {
    return String.join(";", new TreeMap<>(signedHeaders).keySet());
  }

  /**
   * The canonical request. {@code signedHeaders} maps lowercase header names to values; all of them
   * are signed.
   */
  public static String canonicalRequest(
      String httpMethod,
      Map<String, String> query,
      Map<String, String> signedHeaders,
      String payloadSha256) {
    TreeMap<String, String> sorted = new TreeMap<>();
    signedHeaders.forEach((k, v) -> sorted.put(k.toLowerCase(Locale.ROOT), v.trim()));
    StringBuilder canonicalHeaders = new StringBuilder();
    sorted.forEach((k, v) -> canonicalHeaders.append(k).append(':').append(v).append('\n'));
    return httpMethod.toUpperCase(Locale.ROOT)
        + "\n/\n"
        + AcsEncoding.canonicalQuery(query)
        + "\n"
        + canonicalHeaders
        + "\n"
        + String.join(";", sorted.keySet())
        + "\n"
        + payloadSha256;
  }

  public static String stringToSign(String canonicalRequest) {
    return ALGORITHM + "\n" + AcsEncoding.sha256Hex(canonicalRequest);
  }

  public static String sign(String accessKeySecret, String canonicalRequest) {
    return HexFormat.of()
        .formatHex(Hmac.compute("HmacSHA256", accessKeySecret, stringToSign(canonicalRequest)));
  }
}
