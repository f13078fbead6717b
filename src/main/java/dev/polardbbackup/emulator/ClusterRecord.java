package dev.polardbbackup.emulator;

import java.time.Instant;
import java.util.Map;

/**
 * One cluster CreateDBCluster made, as the emulator saw it when the ledger was taken. {@code
 * clientToken} is null when the request had none; {@code sourceDbClusterId} and {@code
 * cloneDataPoint} (as sent, {@code LATEST} when absent) are null for a cluster that is no clone.
 * {@code deleted} turns true when DeleteDBCluster or the console removed it; {@code deletedAt} is
 * null until then.
 */
public record ClusterRecord(
    String dbClusterId,
    String orderId,
    String clientToken,
    String sourceDbClusterId,
    String cloneDataPoint,
    Instant createdAt,
    boolean deleted,
    Instant deletedAt,
    Map<String, String> tags) {

  public ClusterRecord {
    tags = Map.copyOf(tags);
  }
}
