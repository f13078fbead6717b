package dev.polardbbackup.backup;

import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupStatus;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Indexes of the controller's cache by cluster, so that a rule about "the other backups of this
 * cluster" reads those few and not every backup the replica holds: a scan per reconcile made the
 * work of N backups grow as N squared. A rule still filters what an index returns exactly as it
 * filtered the whole cache; an index only narrows where it looks.
 */
final class BackupIndexes {
  /** By {@link ClusterRef#of}: the cluster accepted at first sight, else the one the spec names. */
  static final String CLUSTER = "cluster";

  /** By the cluster id accepted at first sight; a backup that accepted none is not indexed. */
  static final String ACCEPTED_CLUSTER_ID = "acceptedClusterId";

  private BackupIndexes() {}

  static Map<String, Function<PolarDBBackup, List<String>>> all() {
    return Map.of(
        CLUSTER,
        b -> List.of(ClusterRef.of(b).toString()),
        ACCEPTED_CLUSTER_ID,
        BackupIndexes::acceptedClusterId);
  }

  private static List<String> acceptedClusterId(PolarDBBackup b) {
    PolarDBBackupStatus status = b.getStatus();
    return status == null || status.getAcceptedDbClusterId() == null
        ? List.of()
        : List.of(status.getAcceptedDbClusterId());
  }
}
