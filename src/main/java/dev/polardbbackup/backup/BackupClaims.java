package dev.polardbbackup.backup;

import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupStatus;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which PolarDBBackup (by UID) has taken which backup set, within this process. Two backups of one
 * cluster matched by start time in parallel reconciles would otherwise both see a set as unclaimed
 * before either status write reaches the cache.
 */
final class BackupClaims {
  private final Map<ClusterRef, Map<String, String>> byCluster = new ConcurrentHashMap<>();

  /** Takes {@code backupId} for {@code uid}; false when another UID already holds it. */
  boolean claim(ClusterRef cluster, String backupId, String uid) {
    String holder =
        byCluster
            .computeIfAbsent(cluster, k -> new ConcurrentHashMap<>())
            .putIfAbsent(backupId, uid);
    return holder == null || holder.equals(uid);
  }

  /** The sets of this cluster held now: backup id to the UID that holds it. */
  Map<String, String> held(ClusterRef cluster) {
    return Map.copyOf(byCluster.getOrDefault(cluster, Map.of()));
  }

  /** The resource is gone: its sets are no longer held here. */
  void releaseAll(String uid) {
    byCluster.values().forEach(claims -> claims.values().removeIf(uid::equals));
  }

  /**
   * No live backup of the cluster is left: its map goes once no claim is in it. A backup still
   * being deleted keeps its claims until its own {@link #releaseAll}, and forgets the cluster
   * after.
   */
  void forget(ClusterRef cluster) {
    byCluster.computeIfPresent(cluster, (key, claims) -> claims.isEmpty() ? null : claims);
  }

  /** The clusters this holds claims, or an empty claim map, for. */
  Set<ClusterRef> clusters() {
    return Set.copyOf(byCluster.keySet());
  }

  /**
   * The statuses of {@code others}, where one that names no set yet but holds a claim in {@code
   * claims} (backup id to UID) is shown as having identified the claimed set (the lowest id, should
   * it hold several).
   */
  static List<PolarDBBackupStatus> asKnownHere(
      List<PolarDBBackup> others, Map<String, String> claims) {
    Map<String, String> setByHolder = new java.util.HashMap<>();
    claims.forEach(
        (set, holder) ->
            setByHolder.merge(
                holder, set, (a, b) -> BackupSetLocator.ID_ORDER.compare(a, b) <= 0 ? a : b));
    return others.stream()
        .map(
            other -> {
              PolarDBBackupStatus status = other.getStatus();
              String claimed = setByHolder.get(other.getMetadata().getUid());
              if (status.getBackupId() != null || claimed == null) {
                return status;
              }
              PolarDBBackupStatus known = status.copy();
              known.identified(claimed);
              return known;
            })
        .toList();
  }
}
