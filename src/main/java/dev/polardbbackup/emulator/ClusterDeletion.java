package dev.polardbbackup.emulator;

import java.util.List;

/**
 * What deleting a cluster did to its backup sets under {@code
 * backupRetentionPolicyOnClusterDeletion} ({@code ALL}, {@code LATEST} or {@code NONE}): the sets
 * kept (detached from the cluster) and the sets deleted with it, newest first.
 */
public record ClusterDeletion(
    String dbClusterId,
    String backupRetentionPolicyOnClusterDeletion,
    List<String> keptBackupIds,
    List<String> deletedBackupIds) {

  public ClusterDeletion {
    keptBackupIds = List.copyOf(keptBackupIds);
    deletedBackupIds = List.copyOf(deletedBackupIds);
  }
}
