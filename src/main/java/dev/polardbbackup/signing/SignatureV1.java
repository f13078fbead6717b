package dev.polardbbackup.signing;

import java.util.Base64;
import java.util.Map;

/**
 * Alibaba Cloud's V1 RPC signature: {@code Base64(HMAC-SHA1(secret + "&", StringToSign))} where
 * StringToSign is {@code METHOD&%2F&encode(canonicalQuery)}. The {@code Signature} parameter itself
 * is never part of the parameters signed.
 */
public final class SignatureV1 {
  public static final String METHOD = "HMAC-SHA1";
  public static final String VERSION = "1.0";

  private SignatureV1() {}

  public static String stringToSign(String httpMethod, Map<String, String> params) {
    return httpMethod.toUpperCase(java.util.Locale.ROOT)
        + "&"
        + AcsEncoding.percentEncode("/")
        + "&"
        + AcsEncoding.percentEncode(AcsEncoding.canonicalQuery(params));
  }

  public static String sign(String accessKeySecret, String stringToSign) {
    return Base64.getEncoder()
        .encodeToString(Hmac.compute("HmacSHA1", accessKeySecret + "&", stringToSign));
  }

  public static String sign(String accessKeySecret, String httpMethod, Map<String, String> params) {
    return sign(accessKeySecret, stringToSign(httpMethod, params));
  }
}
