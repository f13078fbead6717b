package dev.polardbbackup.emulator;

import java.util.Base64;
import java.util.Random;
import java.util.UUID;

/**
 * Every identifier and made-up number the emulator hands out, all drawn from one seeded random so
 * that a run can be repeated exactly. Not thread-safe: used under the emulator's lock.
 */
final class Ids {
  private static final String ALPHANUMERIC =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  private static final long GIB = 1L << 30;

  private final Random random;
  private long lastBackupId;
  private long lastJobId;

  Ids(long seed) {
    this.random = new Random(seed);
    // BackupId and BackupJobId come from different ranges so that code which confuses them fails.
    this.lastBackupId = 4_000_000_000L + random.nextInt(1_000_000_000);
    this.lastJobId = 300_000_000L + random.nextInt(100_000_000);
  }

  /** Alibaba's RequestId shape: an uppercase UUID. */
  String requestId() {
    return new UUID(random.nextLong(), random.nextLong()).toString().toUpperCase();
  }

  String backupId() {
    lastBackupId += 1 + random.nextInt(97);
    return Long.toString(lastBackupId);
  }

  String backupJobId() {
    lastJobId += 1 + random.nextInt(13);
    return Long.toString(lastJobId);
  }

  /** Between 1 and 16 GiB, like a small cluster's snapshot. */
  long backupSetSize() {
    return GIB + (long) (random.nextDouble() * 15 * GIB);
  }

  /** PolarDB's cluster id shape: {@code pc-} and 14 lowercase letters and digits. */
  String dbClusterId() {
    return "pc-" + alphanumeric(14).toLowerCase(java.util.Locale.ROOT);
  }

  /** Fifteen digits, like an Alibaba order id. */
  String orderId() {
    return Long.toString(200_000_000_000_000L + (long) (random.nextDouble() * 7e14));
  }

  String stsAccessKeyId() {
    return "STS.NT" + alphanumeric(22);
  }

  String secret() {
    return alphanumeric(44);
  }

  /** STS security tokens are long opaque base64 strings starting with CAIS. */
  String securityToken() {
    byte[] bytes = new byte[240];
    random.nextBytes(bytes);
    return "CAIS" + Base64.getEncoder().encodeToString(bytes);
  }

  /** Sixteen digits, like an Alibaba account id. */
  String accountId() {
    return Long.toString(1_000_000_000_000_000L + (long) (random.nextDouble() * 8e15));
  }

  private String alphanumeric(int length) {
    StringBuilder out = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      out.append(ALPHANUMERIC.charAt(random.nextInt(ALPHANUMERIC.length())));
    }
    return out.toString();
  }
}
