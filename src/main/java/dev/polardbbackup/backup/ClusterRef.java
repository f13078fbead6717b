package dev.polardbbackup.backup;

import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupStatus;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * A PolarDB cluster as the API names it: a region and a cluster id. What this process keeps per
 * cluster (the CreateBackup lock, shared looks, claims) is keyed by it.
 */
record ClusterRef(String regionId, String dbClusterId) {

  /**
   * The cluster a backup works on: the one it accepted at first sight (the spec is immutable, and
   * an edit on a server that does not enforce that is ignored), else the one its spec names.
   */
  static ClusterRef of(PolarDBBackup b) {
    PolarDBBackupStatus s = b.getStatus();
    if (s != null && s.getAcceptedDbClusterId() != null) {
      return new ClusterRef(s.getAcceptedRegionId(), s.getAcceptedDbClusterId());
    }
    return b.getSpec() == null
        ? new ClusterRef("", "")
        : new ClusterRef(b.getSpec().regionId(), b.getSpec().dbClusterId());
  }

  /** Every cluster a backup names, in its spec or in what it accepted. */
  static Set<ClusterRef> named(PolarDBBackup b) {
    Set<ClusterRef> refs = new LinkedHashSet<>();
    if (b.getSpec() != null) {
      refs.add(new ClusterRef(b.getSpec().regionId(), b.getSpec().dbClusterId()));
    }
    PolarDBBackupStatus s = b.getStatus();
    if (s != null && s.getAcceptedDbClusterId() != null) {
      refs.add(new ClusterRef(s.getAcceptedRegionId(), s.getAcceptedDbClusterId()));
    }
    return refs;
  }

  @Override
  public String toString() {
    return regionId + "/" + dbClusterId;
  }
}
