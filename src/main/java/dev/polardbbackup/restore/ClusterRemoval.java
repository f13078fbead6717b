package dev.polardbbackup.restore;

import dev.polardbbackup.kube.Events;
import dev.polardbbackup.model.Reasons;
import dev.polardbbackup.polardb.ApiResult;
import dev.polardbbackup.polardb.FailureKind;
import dev.polardbbackup.polardb.PolarDbClient;
import java.time.Clock;
import java.util.Optional;

/**
 * Deleting the cluster a restore made: when its {@code ttl} has passed, or when the resource goes
 * under {@code deletionPolicy: Delete}. The intent is written before the call; {@code NotFound}
 * means it is already gone. A cluster PolarDB will not delete yet (still Creating) is tried again.
 */
final class ClusterRemoval {
  /** What one attempt came to. */
  enum Result {
    GONE,
    TRY_AGAIN
  }

  private final Clock clock;
  private final Events events;

  ClusterRemoval(Clock clock, Events events) {
    this.clock = clock;
    this.events = events;
  }

  Result remove(RestorePass pass, PolarDbClient polarDb, String why, String intent) {
    String id = pass.status.getDbClusterId();
    pass.status.deleting(why, intent, clock.instant());
    pass.save();
    ApiResult<Void> deleted = polarDb.deleteDBCluster(id, Optional.empty());
    if (deleted.isOk() || deleted.error().kind() == FailureKind.NOT_FOUND) {
      String requestId =
          deleted instanceof ApiResult.Ok<Void> ok ? ok.requestId() : deleted.error().requestId();
      // NotFound: gone before this call (deleted in the console, or by an earlier call whose reply
      // was lost); the operator does not claim it deleted the cluster.
      String message =
          deleted.isOk()
              ? "Deleted cluster "
                  + id
                  + (Reasons.TTL_EXPIRED.equals(why) ? " (its ttl has passed)" : "")
                  + " (RequestId "
                  + requestId
                  + ")."
              : "Cluster "
                  + id
                  + " was already gone, nothing to delete ("
                  + deleted.error().describe()
                  + ").";
      pass.status.clusterDeleted(message, requestId, clock.instant());
      pass.save();
      events.normal(pass.restore, Reasons.CLUSTER_DELETED, message);
      pass.log("{}", message);
      return Result.GONE;
    }
    String message = "DeleteDBCluster " + id + " failed: " + deleted.error().describe();
    events.warning(pass.restore, "DeletionRetrying", message);
    pass.log("{}; trying again", message);
    return Result.TRY_AGAIN;
  }
}
