package dev.polardbbackup.restore;

import dev.polardbbackup.access.CloudAccess;
import dev.polardbbackup.kube.Events;
import dev.polardbbackup.model.PolarDBRestore;
import dev.polardbbackup.model.Reasons;
import dev.polardbbackup.model.RestoreTarget;
import dev.polardbbackup.polardb.ApiError;
import dev.polardbbackup.polardb.ApiResult;
import dev.polardbbackup.polardb.FailureKind;
import dev.polardbbackup.polardb.PolarDbClient;
import dev.polardbbackup.polardb.RestorePoint;
import dev.polardbbackup.polardb.TableRestore;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Databases and tables restored into the source cluster under new names ({@code RestoreTable}),
 * exactly once although the call has no ClientToken. Before the first call the cluster's databases
 * are listed: a new name that exists already is refused, so that from then on a new name that
 * exists can only be this restore's work. The intent is written before every call; after an unknown
 * outcome the call is sent again, and {@code InvalidDBName.Duplicate} then means the first call
 * worked. Where PolarDB cannot list a cluster's current databases (one reading of
 * DescribeMetaList), that check is skipped and the message says so.
 */
final class TablePhase {
  static final String DUPLICATE = "InvalidDBName.Duplicate";

  private final Clock clock;
  private final Events events;
  private final ClonePhase failures;

  TablePhase(Clock clock, Events events, ClonePhase failures) {
    this.clock = clock;
    this.events = events;
    this.failures = failures;
  }

  UpdateControl<PolarDBRestore> restore(
      RestorePass pass, PolarDbClient polarDb, SourcePhase.Resolved source, CloudAccess access) {
    Instant now = clock.instant();
    String cluster = source.sourceDbClusterId();
    List<RestoreTarget.DatabaseRestore> databases = pass.spec().target().tables();
    if (pass.status.getTableRestoreSent() == null) {
      ApiResult<Optional<Set<String>>> present =
          DatabaseCheck.databases(polarDb, cluster, Optional.empty());
      if (!present.isOk()) {
        return failures.failed(pass, present.error(), "DescribeMetaList", access, false);
      }
      Optional<String> taken =
          present
              .value()
              .flatMap(
                  names ->
                      databases.stream()
                          .map(RestoreTarget.DatabaseRestore::newName)
                          .filter(names::contains)
                          .findFirst());
      if (taken.isPresent()) {
        return failures.fail(
            pass,
            Reasons.INVALID_SPEC,
            "Database "
                + taken.get()
                + " exists already in cluster "
                + cluster
                + ": choose another newName (nothing was restored).",
            null);
      }
    }
    boolean first = pass.status.sendingTableRestore(now);
    pass.save();
    ApiResult<Void> sent = polarDb.restoreTable(request(cluster, source, databases));
    if (sent.isOk()) {
      return restored(pass, "PolarDB restored the tables into cluster " + cluster, sent);
    }
    ApiError error = sent.error();
    if (DUPLICATE.equals(error.code())) {
      if (!first) {
        // Absent before the first call, present now: the first call did it.
        return restored(
            pass,
            "An earlier RestoreTable, whose reply was lost, restored the tables into cluster "
                + cluster
                + " (the new names exist now: "
                + error.code()
                + ")",
            sent);
      }
      return failures.fail(
          pass, Reasons.INVALID_REQUEST, "RestoreTable failed: " + error.describe() + ".", null);
    }
    if (error.kind() == FailureKind.NOT_FOUND || error.kind() == FailureKind.INVALID_REQUEST) {
      return failures.fail(
          pass, Reasons.INVALID_REQUEST, "RestoreTable failed: " + error.describe() + ".", null);
    }
    return failures.failed(pass, error, "RestoreTable", access, false);
  }

  private UpdateControl<PolarDBRestore> restored(
      RestorePass pass, String what, ApiResult<Void> reply) {
    String requestId =
        reply instanceof ApiResult.Ok<Void> ok ? ok.requestId() : reply.error().requestId();
    Instant now = clock.instant();
    pass.status.tableRestoreStarted(requestId, now);
    pass.status.tablesRestored(requestId, now);
    String message = what + " (RequestId " + requestId + ").";
    events.normal(pass.restore, Reasons.RESTORE_SUCCEEDED, message);
    pass.log("{}", message);
    return pass.saveAndWait(null);
  }

  private static TableRestore request(
      String cluster, SourcePhase.Resolved source, List<RestoreTarget.DatabaseRestore> databases) {
    RestorePoint point =
        source
            .pointInTime()
            .map(RestorePoint::time)
            .orElseGet(() -> RestorePoint.backup(source.cloneDataPoint()));
    return new TableRestore(
        cluster,
        point,
        databases.stream()
            .map(
                d ->
                    new TableRestore.Database(
                        d.name(),
                        d.newName(),
                        d.tables() == null
                            ? List.of()
                            : d.tables().stream()
                                .map(t -> new TableRestore.Table(t.name(), t.effectiveNewName()))
                                .toList()))
            .toList());
  }
}
