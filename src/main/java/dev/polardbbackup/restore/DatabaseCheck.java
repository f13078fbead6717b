package dev.polardbbackup.restore;

import dev.polardbbackup.model.PolarDBRestoreStatus;
import dev.polardbbackup.model.Reasons;
import dev.polardbbackup.polardb.ApiError;
import dev.polardbbackup.polardb.ApiResult;
import dev.polardbbackup.polardb.DatabaseMeta;
import dev.polardbbackup.polardb.FailureKind;
import dev.polardbbackup.polardb.MetaListQuery;
import dev.polardbbackup.polardb.MetaPage;
import dev.polardbbackup.polardb.PolarDbClient;
import dev.polardbbackup.polardb.RestorePoint;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Whether a new cluster lists every database its backup set (or point in time) can give back, by
 * {@code DescribeMetaList} on both: the {@link PolarDBRestoreStatus#DATABASES_LISTED} condition,
 * which a restore drill reads as its verdict. Where PolarDB lists databases only of a backup or a
 * point in time (one reading of the API), the clone's own cannot be listed: the condition is then
 * Unknown and says that only the backup's list was read.
 */
final class DatabaseCheck {
  private static final int MAX_PAGES = 100;
  private static final int NAMES_SHOWN = 10;

  /** What to record, or a failure worth trying again (throttling, an unreachable API). */
  sealed interface Result {}

  /** The condition to set: status True, False or Unknown, with its reason and message. */
  record Checked(String status, String reason, String message) implements Result {}

  record TryAgain(ApiError error) implements Result {}

  private DatabaseCheck() {}

  static Result check(PolarDbClient polarDb, String source, RestorePoint point, String clone) {
    ApiResult<Optional<Set<String>>> backup = databases(polarDb, source, Optional.of(point));
    if (!backup.isOk()) {
      return refused(backup.error(), "the backup's databases");
    }
    SortedSet<String> expected = new TreeSet<>(backup.value().orElseThrow());
    ApiResult<Optional<Set<String>>> cloned = databases(polarDb, clone, Optional.empty());
    if (!cloned.isOk()) {
      return refused(cloned.error(), "the databases of cluster " + clone);
    }
    if (cloned.value().isEmpty()) {
      return new Checked(
          "Unknown",
          Reasons.CLONE_NOT_LISTABLE,
          "The backup lists "
              + count(expected)
              + (expected.isEmpty() ? "" : " (" + names(expected) + ")")
              + "; PolarDB lists a cluster's databases only of a backup or a point in time, so"
              + " those of cluster "
              + clone
              + " could not be compared.");
    }
    SortedSet<String> missing = new TreeSet<>(expected);
    missing.removeAll(cloned.value().get());
    if (!missing.isEmpty()) {
      return new Checked(
          "False",
          Reasons.DATABASES_MISSING,
          "Cluster "
              + clone
              + " does not list "
              + missing.size()
              + " of the "
              + count(expected)
              + " the backup lists: "
              + names(missing)
              + ".");
    }
    return new Checked(
        "True",
        Reasons.ALL_LISTED,
        "Cluster "
            + clone
            + " lists all "
            + count(expected)
            + " the backup lists"
            + (expected.isEmpty() ? "." : ": " + names(expected) + "."));
  }

  /**
   * The databases of {@code cluster} as of the point, or as it is now without one. Empty when asked
   * without a point and PolarDB lists only a backup's or a point's databases.
   */
  static ApiResult<Optional<Set<String>>> databases(
      PolarDbClient polarDb, String cluster, Optional<RestorePoint> point) {
    Set<String> names = new TreeSet<>();
    MetaListQuery query = new MetaListQuery(cluster, point, Optional.empty(), 100, 1);
    for (int page = 1; page <= MAX_PAGES; page++) {
      ApiResult<MetaPage> listed = polarDb.describeMetaList(query.page(page));
      if (!listed.isOk()) {
        if (point.isEmpty() && listed.error().kind() == FailureKind.INVALID_REQUEST) {
          return new ApiResult.Ok<>(Optional.empty(), null);
        }
        return new ApiResult.Failed<>(listed.error());
      }
      listed.value().databases().stream().map(DatabaseMeta::name).forEach(names::add);
      if (!listed.value().hasMore()) {
        break;
      }
    }
    return new ApiResult.Ok<>(Optional.of(names), null);
  }

  private static Result refused(ApiError error, String what) {
    return switch (error.kind()) {
      case THROTTLED, TRANSIENT, OUTCOME_UNKNOWN, WRONG_CLUSTER_STATE -> new TryAgain(error);
      default ->
          new Checked(
              "Unknown",
              Reasons.LIST_FAILED,
              "DescribeMetaList of "
                  + what
                  + " failed: "
                  + error.describe()
                  + (error.kind() == FailureKind.AUTH
                      ? " (the credential needs the RAM action polardb:DescribeMetaList)."
                      : "."));
    };
  }

  /** "3 databases". */
  private static String count(SortedSet<String> databases) {
    return databases.size() + (databases.size() == 1 ? " database" : " databases");
  }

  /** "a, b, c", at most ten names. */
  private static String names(SortedSet<String> databases) {
    String shown = String.join(", ", databases.stream().limit(NAMES_SHOWN).toList());
    int more = databases.size() - NAMES_SHOWN;
    return shown + (more > 0 ? " and " + more + " more" : "");
  }
}
