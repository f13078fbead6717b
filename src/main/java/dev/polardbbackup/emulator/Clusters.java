package dev.polardbbackup.emulator;

import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The PolarDB clusters the emulator knows, and how their next backups will end. A cluster made by
 * CreateDBCluster is {@code Creating} until its time is up on the emulator's clock, then {@code
 * Running}: the switch happens whenever the cluster is next looked at, so no timer is needed.
 */
final class Clusters {
  static final String RUNNING = "Running";
  static final String CREATING = "Creating";
  private static final Pattern ID = Pattern.compile("pc-[a-z0-9]+");

  record Cluster(String id, String regionId, String status, Instant creationTime) {}

  private final Map<String, Cluster> clusters = new LinkedHashMap<>();
  private final Map<String, String> failureReasons = new HashMap<>();
  private final Map<String, String> endStatuses = new HashMap<>();
  private final Map<String, Instant> runningAt = new HashMap<>();
  private final Clock clock;

  Clusters(Clock clock) {
    this.clock = clock;
  }

  static boolean wellFormed(String dbClusterId) {
    return ID.matcher(dbClusterId).matches();
  }

  static String requireWellFormed(String dbClusterId) {
    if (dbClusterId == null || !wellFormed(dbClusterId)) {
      throw new IllegalArgumentException(
          "a PolarDB cluster id looks like pc-[a-z0-9]+, not " + dbClusterId);
    }
    return dbClusterId;
  }

  /** Adds a cluster, or changes the region and status of a known one (keeping its age). */
  void put(String id, String regionId, String status, Instant now) {
    requireWellFormed(id);
    runningAt.remove(id);
    Cluster known = clusters.get(id);
    Instant created = known == null ? now : known.creationTime();
    clusters.put(id, new Cluster(id, regionId, status, created));
  }

  /** A new cluster that reports {@code Creating} until {@code readyAt}, then {@code Running}. */
  void putCreating(String id, String regionId, Instant now, Instant readyAt) {
    put(id, regionId, CREATING, now);
    runningAt.put(id, readyAt);
  }

  void setStatus(String id, String status) {
    runningAt.remove(id);
    Cluster known = clusters.get(id);
    if (known == null) {
      throw new IllegalArgumentException("no such cluster: " + id);
    }
    clusters.put(id, new Cluster(id, known.regionId(), status, known.creationTime()));
  }

  /** Forgets a deleted cluster, and how its next backups were to end. */
  void remove(String id) {
    clusters.remove(id);
    runningAt.remove(id);
    failureReasons.remove(id);
    endStatuses.remove(id);
  }

  /** Every cluster, in the order they were added, each as it is now. */
  List<Cluster> all() {
    List.copyOf(clusters.keySet()).forEach(this::settle);
    return List.copyOf(clusters.values());
  }

  Optional<Cluster> find(String id) {
    settle(id);
    return Optional.ofNullable(clusters.get(id));
  }

  /**
   * The cluster named by a request. Alibaba answers a malformed id and an unknown one with
   * different codes, and with status 404 in most actions but 400 in some (DescribeBackupTasks).
   */
  Cluster lookup(String id, int notFoundStatus) {
    if (!wellFormed(id)) {
      throw new ApiError(
          notFoundStatus,
          "InvalidDBClusterId.Malformed",
          "The specified parameter DBClusterId is not valid.");
    }
    settle(id);
    Cluster cluster = clusters.get(id);
    if (cluster == null) {
      throw new ApiError(
          notFoundStatus,
          "InvalidDBClusterId.NotFound",
          "The DBClusterId provided does not exist.");
    }
    return cluster;
  }

  /** A cluster whose creation time is up is Running from then on. */
  private void settle(String id) {
    Instant ready = runningAt.get(id);
    Cluster known = clusters.get(id);
    if (ready != null && known != null && !clock.instant().isBefore(ready)) {
      runningAt.remove(id);
      clusters.put(id, new Cluster(id, known.regionId(), RUNNING, known.creationTime()));
    }
  }

  static void requireRunning(Cluster cluster) {
    if (!RUNNING.equals(cluster.status())) {
      throw new ApiError(
          403,
          "OperationDenied.DBClusterStatus",
          "The operation is not permitted due to status of cluster (" + cluster.status() + ").");
    }
  }

  void failBackups(String id, String reason) {
    failureReasons.put(id, reason == null || reason.isBlank() ? "backup failed" : reason);
  }

  void succeedBackups(String id) {
    failureReasons.remove(id);
  }

  /** Why the next backup of this cluster will fail, or null if it will succeed. */
  /** Backups of the cluster made from now on end in {@code status}; null for Success/Failed. */
  void endBackupsAs(String id, String status) {
    if (status == null) {
      endStatuses.remove(id);
    } else {
      endStatuses.put(id, status);
    }
  }

  String nextEndStatus(String id) {
    return endStatuses.get(id);
  }

  String nextFailureReason(String id) {
    return failureReasons.get(id);
  }
}
