package dev.polardbbackup.signing;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

final class Hmac {
  private Hmac() {}

  static byte[] compute(String algorithm, String key, String data) {
    try {
      Mac mac = Mac.getInstance(algorithm);
      mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), algorithm));
      return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      // Only reachable on a JVM without HmacSHA1/HmacSHA256; never carries the key.
      throw new IllegalStateException("HMAC " + algorithm + " unavailable", e);
    }
  }
}
