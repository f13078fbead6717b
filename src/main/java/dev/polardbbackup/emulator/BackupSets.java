package dev.polardbbackup.emulator;

import java.time.Instant;

/** The backup set a restore names: it must be the cluster's, not deleted, and in Success. */
final class BackupSets {
  private BackupSets() {}

  static Backup usable(Backups backups, String dbClusterId, String backupId, Instant now) {
    Backup b =
        backups
            .find(dbClusterId, backupId)
            .filter(x -> !x.deleted())
            .orElseThrow(
                () ->
                    new ApiError(
                        400,
                        "InvalidBackupSetID.NotFound",
                        "Specified backup set ID " + backupId + " does not exist."));
    if (!Backup.SUCCESS.equals(b.status(now))) {
      throw new ApiError(
          400,
          "IncorrectBackupSetState",
          "The backup set " + backupId + " is in status " + b.status(now) + ", not Success.");
    }
    return b;
  }
}
