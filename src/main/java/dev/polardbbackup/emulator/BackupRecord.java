package dev.polardbbackup.emulator;

import java.time.Instant;

/**
 * One manual backup as the emulator saw it when the ledger was taken. {@code status} is {@code
 * Running}, {@code Success} or {@code Failed}; {@code clientToken} is null when the request had
 * none.
 */
public record BackupRecord(
    String backupId,
    String backupJobId,
    String dbClusterId,
    String clientToken,
    Instant createdAt,
    String status,
    boolean deleted) {}
