package dev.polardbbackup.emulator;

import java.time.Instant;
import java.util.Map;

/**
 * One RestoreTable that took effect: into which cluster, from which backup set or point in time
 * (the other one is null), and which database became which ({@code databases}: source name to new
 * name).
 */
public record TableRestoreRecord(
    String dbClusterId,
    String backupId,
    Instant restoreTime,
    Map<String, String> databases,
    Instant restoredAt,
    String requestId) {

  public TableRestoreRecord {
    databases = Map.copyOf(databases);
  }
}
