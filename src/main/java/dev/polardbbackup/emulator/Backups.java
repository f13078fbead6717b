package dev.polardbbackup.emulator;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every manual backup ever made, the ClientTokens that made them, and the quota that limits them.
 * Not thread-safe: used under the emulator's lock.
 */
final class Backups {

  /** What a ClientToken was first used for, so a retry can be answered the same way. */
  private record TokenUse(String fingerprint, Backup backup) {}

  private final List<Backup> backups = new ArrayList<>();
  private final Map<String, TokenUse> tokens = new HashMap<>();
  private final Quota quota;
  private final boolean jobIdEqualsBackupId;
  private final Duration tokenTtl;

  Backups(Quota quota, boolean jobIdEqualsBackupId, Duration tokenTtl) {
    this.quota = quota;
    this.jobIdEqualsBackupId = jobIdEqualsBackupId;
    this.tokenTtl = tokenTtl;
  }

  /**
   * The backup an earlier request with this ClientToken created, if any. Alibaba-wide rule: the
   * same token with the same parameters returns the first result; with other parameters it is an
   * error. How long a token is remembered is not documented: a token first used more than {@code
   * tokenTtl} ago is forgotten, so the request counts as new.
   */
  Optional<Backup> replay(String clientToken, String fingerprint, Instant now) {
    if (clientToken == null) {
      return Optional.empty();
    }
    TokenUse use = tokens.get(clientToken);
    // Compared as a span, not as createdAt + ttl, which would overflow for PolarDbEmulator.FOREVER.
    if (use != null && Duration.between(use.backup().createdAt, now).compareTo(tokenTtl) > 0) {
      tokens.remove(clientToken);
      use = null;
    }
    if (use == null) {
      return Optional.empty();
    }
    if (!use.fingerprint().equals(fingerprint)) {
      throw new ApiError(
          400,
          "IdempotentParameterMismatch",
          "The request uses the same client token as a previous, but non-identical request.");
    }
    return Optional.of(use.backup());
  }

  /** A new manual backup; {@code clientToken} and {@code fingerprint} are null without a token. */
  Backup create(
      String dbClusterId,
      String clientToken,
      String fingerprint,
      BackupRecord.Origin origin,
      Instant now,
      Duration duration,
      String failureReason,
      String endStatus,
      Ids ids) {
    checkQuota(dbClusterId, now);
    String backupId = ids.backupId();
    String jobId = jobIdEqualsBackupId ? backupId : ids.backupJobId();
    Backup backup =
        new Backup(
            backupId,
            jobId,
            dbClusterId,
            clientToken,
            origin,
            now,
            duration,
            failureReason,
            endStatus,
            ids.backupSetSize());
    backups.add(backup);
    if (clientToken != null) {
      tokens.put(clientToken, new TokenUse(fingerprint, backup));
    }
    return backup;
  }

  /** Throws BackupTimesExceeded when the cluster has no room for another manual backup. */
  void checkQuota(String dbClusterId, Instant now) {
    quota.check(backups, dbClusterId, now);
  }

  /** The cluster's backups, newest first, deleted ones included. */
  List<Backup> ofCluster(String dbClusterId) {
    return backups.stream()
        .filter(b -> b.dbClusterId.equals(dbClusterId))
        .sorted(Comparator.comparing((Backup b) -> b.createdAt).reversed())
        .toList();
  }

  Optional<Backup> find(String dbClusterId, String backupId) {
    return backups.stream()
        .filter(b -> b.dbClusterId.equals(dbClusterId) && b.backupId.equals(backupId))
        .findFirst();
  }

  List<BackupRecord> records(Instant now) {
    return backups.stream().map(b -> b.record(now)).toList();
  }

  /**
   * The manual-backup limit. The docs say three manual backups may exist at a time (delete one to
   * make room), but the error says "per day"; the emulator can play either reading. Running and
   * failed backups count too (the docs do not say, so assume the stricter reading).
   */
  record Quota(int limit, PolarDbEmulator.QuotaMode mode, ZoneId dailyZone) {

    void check(List<Backup> all, String dbClusterId, Instant now) {
      long used =
          switch (mode) {
            case RETAINED ->
                all.stream()
                    .filter(b -> b.dbClusterId.equals(dbClusterId) && !b.deleted() && !b.detached())
                    .count();
            case DAILY -> {
              LocalDate today = LocalDate.ofInstant(now, dailyZone);
              yield all.stream()
                  .filter(b -> b.dbClusterId.equals(dbClusterId))
                  .filter(b -> LocalDate.ofInstant(b.createdAt, dailyZone).equals(today))
                  .count();
            }
          };
      if (used >= limit) {
        throw new ApiError(
            403,
            "BackupTimesExceeded",
            "The backup times exceeds the limit per day. ("
                + used
                + " of "
                + limit
                + " manual backups)");
      }
    }
  }
}
