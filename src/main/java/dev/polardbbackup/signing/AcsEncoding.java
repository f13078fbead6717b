package dev.polardbbackup.signing;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.stream.Collectors;

/** The percent-encoding and canonical query string that both signature versions are built on. */
public final class AcsEncoding {
  private AcsEncoding() {}

  /**
   * RFC 3986 percent-encoding of UTF-8 bytes, leaving only {@code A-Z a-z 0-9 - _ . ~} as they are
   * (so a space is {@code %20}, {@code *} is {@code %2A}, and {@code ~} stays).
   */
  public static String percentEncode(String value) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    StringBuilder out = new StringBuilder(bytes.length + 16);
    for (byte b : bytes) {
      int c = b & 0xff;
      if ((c >= 'A' && c <= 'Z')
          || (c >= 'a' && c <= 'z')
          || (c >= '0' && c <= '9')
          || c == '-'
          || c == '_'
          || c == '.'
          || c == '~') {
        out.append((char) c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)));
        out.append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return out.toString();
  }

  /** Encoded {@code name=value} pairs sorted by encoded name and joined with {@code &}. */
  public static String canonicalQuery(Map<String, String> params) {
    return params.entrySet().stream()
        .map(e -> Map.entry(percentEncode(e.getKey()), percentEncode(e.getValue())))
        .sorted(Map.Entry.comparingByKey())
        .map(e -> e.getKey() + "=" + e.getValue())
        .collect(Collectors.joining("&"));
  }

  static String sha256Hex(String text) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(digest.digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-256", e);
    }
  }

  /** Hex SHA-256 of an empty body: the {@code x-acs-content-sha256} of every RPC call we make. */
  public static final String EMPTY_BODY_SHA256 = sha256Hex("");

  /** Hex SHA-256 of a body, for {@code x-acs-content-sha256}. */
  public static String contentSha256(String body) {
    return sha256Hex(body);
  }
}
