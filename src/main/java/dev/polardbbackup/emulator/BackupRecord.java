package dev.polardbbackup.emulator;

import java.time.Instant;
import java.util.Locale;

/**
 * One manual backup as the emulator saw it when the ledger was taken. {@code status} is {@code
 * Running}, {@code Success} or {@code Failed}; {@code clientToken} is null when the request had
 * none, and always for a console backup. {@code detached} is true for a set that outlived its
 * deleted cluster (the cluster's {@code BackupRetentionPolicyOnClusterDeletion} was ALL or LATEST);
 * a set the deletion removed is {@code deleted}.
 */
public record BackupRecord(
    String backupId,
    String backupJobId,
    String dbClusterId,
    String clientToken,
    Origin origin,
    Instant createdAt,
    String status,
    boolean deleted,
    boolean detached) {

  /**
   * Who made the backup: CreateBackup through the API, or someone in the console (see {@link
   * Console#createBackup(String)}). PolarDB lists both the same way.
   */
  public enum Origin {
    API,
    CONSOLE;

    /** As the ledger endpoint writes it: {@code api} or {@code console}. */
    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }
}
