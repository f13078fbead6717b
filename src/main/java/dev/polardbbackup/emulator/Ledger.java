package dev.polardbbackup.emulator;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * A consistent snapshot of every backup, every call, every cluster CreateDBCluster made and every
 * table restore, for tests to assert on ("exactly one cluster per restore", "no clone left
 * behind").
 */
public record Ledger(
    List<BackupRecord> backups,
    List<ApiCall> calls,
    List<ClusterRecord> clusters,
    List<TableRestoreRecord> tableRestores) {

  public Ledger {
    backups = List.copyOf(backups);
    calls = List.copyOf(calls);
    clusters = List.copyOf(clusters);
    tableRestores = List.copyOf(tableRestores);
  }

  public Ledger(List<BackupRecord> backups, List<ApiCall> calls) {
    this(backups, calls, List.of(), List.of());
  }

  /** How many clusters a ClientToken created: anything but 0 or 1 means idempotency broke. */
  public long clustersCreatedWithToken(String clientToken) {
    return clusters.stream().filter(c -> Objects.equals(c.clientToken(), clientToken)).count();
  }

  /** Clusters per ClientToken (clusters created without a token are left out). */
  public Map<String, Long> clustersByClientToken() {
    return clusters.stream()
        .filter(c -> c.clientToken() != null)
        .collect(
            Collectors.groupingBy(ClusterRecord::clientToken, TreeMap::new, Collectors.counting()));
  }

  /** Clusters CreateDBCluster made that are not deleted (yet). */
  public List<ClusterRecord> liveClusters() {
    return clusters.stream().filter(c -> !c.deleted()).toList();
  }

  /**
   * How many backups a ClientToken created. Anything but 0 or 1 means idempotency is broken
   * somewhere.
   */
  public long backupsCreatedWithToken(String clientToken) {
    return backups.stream().filter(b -> Objects.equals(b.clientToken(), clientToken)).count();
  }

  /** Calls per action, sorted by action name, faults and lost responses included. */
  public Map<String, Long> callsByAction() {
    return calls.stream()
        .collect(Collectors.groupingBy(ApiCall::action, TreeMap::new, Collectors.counting()));
  }

  /** Backups per ClientToken (backups created without a token are left out). */
  public Map<String, Long> backupsByClientToken() {
    return backups.stream()
        .filter(b -> b.clientToken() != null)
        .collect(
            Collectors.groupingBy(BackupRecord::clientToken, TreeMap::new, Collectors.counting()));
  }

  public List<BackupRecord> backupsOf(String dbClusterId) {
    return backups.stream().filter(b -> b.dbClusterId().equals(dbClusterId)).toList();
  }

  public List<ApiCall> callsTo(String action) {
    return calls.stream().filter(c -> c.action().equals(action)).toList();
  }
}
