package dev.polardbbackup.backup;

import dev.polardbbackup.kube.LiveCache;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupStatus;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

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
        b -> List.of(key(ClusterRef.of(b))),
        ACCEPTED_CLUSTER_ID,
        BackupIndexes::acceptedClusterId);
  }

  /** The backups whose {@link ClusterRef#of} is {@code cluster} (and, rarely, a few others). */
  static Stream<PolarDBBackup> onCluster(Context<PolarDBBackup> context, ClusterRef cluster) {
    return LiveCache.byIndex(context, CLUSTER, key(cluster));
  }

  /** The backups that accepted the cluster id {@code dbClusterId} at first sight. */
  static Stream<PolarDBBackup> acceptedOn(Context<PolarDBBackup> context, String dbClusterId) {
    return LiveCache.byIndex(context, ACCEPTED_CLUSTER_ID, dbClusterId);
  }

  private static String key(ClusterRef cluster) {
    return cluster.toString();
  }

  private static List<String> acceptedClusterId(PolarDBBackup b) {
    PolarDBBackupStatus status = b.getStatus();
    return status == null || status.getAcceptedDbClusterId() == null
        ? List.of()
        : List.of(status.getAcceptedDbClusterId());
  }
}
