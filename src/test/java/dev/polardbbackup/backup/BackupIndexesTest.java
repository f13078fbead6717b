package dev.polardbbackup.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupSpec;
import dev.polardbbackup.model.PolarDBBackupStatus;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A backup is indexed under the cluster its rules compare, so an index read misses none. */
class BackupIndexesTest {
  @Test
  void aBackupNotYetAcceptedIsIndexedByItsSpecAndNotByAnAcceptedId() {
    PolarDBBackup b = backup("cn-hangzhou", "pc-spec");
    assertEquals(List.of("cn-hangzhou/pc-spec"), index(BackupIndexes.CLUSTER, b));
    assertEquals(List.of(), index(BackupIndexes.ACCEPTED_CLUSTER_ID, b));
  }

  @Test
  void anAcceptedBackupIsIndexedByTheClusterItAcceptedThoughItsSpecWasEdited() {
    PolarDBBackup b = backup("cn-hangzhou", "pc-edited");
    b.setStatus(
        PolarDBBackupStatus.accept(
            "uid", new PolarDBBackupSpec("pc-accepted", "cn-shanghai"), 1, Instant.EPOCH));
    assertEquals(List.of("cn-shanghai/pc-accepted"), index(BackupIndexes.CLUSTER, b));
    assertEquals(List.of("pc-accepted"), index(BackupIndexes.ACCEPTED_CLUSTER_ID, b));
    assertEquals(ClusterRef.of(b).toString(), index(BackupIndexes.CLUSTER, b).get(0));
  }

  private static List<String> index(String name, PolarDBBackup b) {
    return BackupIndexes.all().get(name).apply(b);
  }

  private static PolarDBBackup backup(String region, String cluster) {
    PolarDBBackup b = new PolarDBBackup();
    b.setSpec(new PolarDBBackupSpec(cluster, region));
    return b;
  }
}
