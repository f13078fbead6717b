package dev.polardbbackup.restore;

import dev.polardbbackup.model.NewCluster;
import dev.polardbbackup.polardb.ApiError;
import dev.polardbbackup.polardb.ApiResult;
import dev.polardbbackup.polardb.ListedCluster;
import dev.polardbbackup.polardb.PolarDbClient;
import java.util.List;

/**
 * The clusters of the restore's region that carry its uid tag ({@link NewCluster#TAG_UID}): how the
 * cluster of a CreateDBCluster whose reply was lost is found once its ClientToken can no longer be
 * sent again. Every clone the operator makes carries the tag, and the UID is this resource's alone,
 * so one listed cluster is this restore's; several mean someone copied the tag, and none of them
 * can be trusted to be it.
 */
final class TaggedClusters {
  /** What the listing came to. */
  sealed interface Search {}

  /** Exactly one cluster carries the tag. */
  record One(String dbClusterId, String requestId) implements Search {}

  /** No cluster carries it. */
  record None(String requestId) implements Search {}

  /** More than one does: none of them is adopted or deleted. */
  record Several(List<String> dbClusterIds, String requestId) implements Search {}

  /** The listing failed; nothing is known. */
  record Unknown(ApiError error) implements Search {}

  private TaggedClusters() {}

  static Search find(RestorePass pass, PolarDbClient polarDb) {
    ApiResult<List<ListedCluster>> listed =
        polarDb.describeDBClustersByTag(pass.spec().regionId(), NewCluster.TAG_UID, pass.uid());
    if (!listed.isOk()) {
      return new Unknown(listed.error());
    }
    String requestId = ((ApiResult.Ok<List<ListedCluster>>) listed).requestId();
    // The tag is checked again here: an endpoint that ignored the filter must not make a stranger's
    // cluster look like ours.
    List<String> ids =
        listed.value().stream()
            .filter(c -> pass.uid().equals(c.tags().get(NewCluster.TAG_UID)))
            .map(ListedCluster::dbClusterId)
            .distinct()
            .toList();
    if (ids.isEmpty()) {
      return new None(requestId);
    }
    return ids.size() == 1 ? new One(ids.get(0), requestId) : new Several(ids, requestId);
  }
}
