package dev.polardbbackup.restore;

import dev.polardbbackup.access.CloudAccess;
import dev.polardbbackup.kube.Events;
import dev.polardbbackup.model.ClusterEndpoint;
import dev.polardbbackup.model.NewCluster;
import dev.polardbbackup.model.PolarDBRestore;
import dev.polardbbackup.model.PolarDBRestoreSpec;
import dev.polardbbackup.model.PolarDBRestoreStatus;
import dev.polardbbackup.model.Reasons;
import dev.polardbbackup.polardb.ApiError;
import dev.polardbbackup.polardb.ApiResult;
import dev.polardbbackup.polardb.CloneRequest;
import dev.polardbbackup.polardb.ClusterAttribute;
import dev.polardbbackup.polardb.CreatedCluster;
import dev.polardbbackup.polardb.PolarDbClient;
import dev.polardbbackup.polardb.RecoveryWindow;
import dev.polardbbackup.polardb.RestorePoint;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A new cluster from a backup set or a point in time, exactly once: CreateDBCluster carries the
 * restore's ClientToken, and the intent to call is written (with optimistic locking) before every
 * call, so that a second replica with a stale view gets a conflict instead of sending, and a reply
 * lost after the cluster was made is answered by sending the same token again, which PolarDB
 * replays. A token whose outcome stayed unknown longer than PolarDB is trusted to remember it is
 * never sent again: the cluster is looked for by the restore's uid tag instead. Then the cluster is
 * followed until it is Running.
 */
final class ClonePhase {
  private final RestoreSettings settings;
  private final Clock clock;
  private final Events events;

  ClonePhase(RestoreSettings settings, Clock clock, Events events) {
    this.settings = settings;
    this.clock = clock;
    this.events = events;
  }

  UpdateControl<PolarDBRestore> create(
      RestorePass pass, PolarDbClient polarDb, SourcePhase.Resolved source, CloudAccess access) {
    Instant now = clock.instant();
    PolarDBRestoreSpec spec = pass.spec();
    NewCluster target = spec.target().newCluster();
    if (pass.status.mayHaveUnseenCluster()) {
      Instant first = pass.status.createFirstSentInstant().orElse(now);
      if (Duration.between(first, now).compareTo(settings.tokenReuseWindow()) > 0) {
        return findByTag(pass, polarDb, access);
      }
    }
    // What the clone takes from its source unless the spec says (engine, version); and whether the
    // source can be cloned at all. Skipped while a call with this token may have worked: the
    // token, not a new look, decides then.
    String dbType = target.dbType() == null ? null : target.dbType().name();
    String dbVersion = target.dbVersion();
    if (!pass.status.mayHaveUnseenCluster()) {
      ApiResult<ClusterAttribute> described =
          polarDb.describeDBClusterAttribute(source.sourceDbClusterId());
      if (!described.isOk()) {
        return failed(pass, described.error(), "DescribeDBClusterAttribute", access, false);
      }
      ClusterAttribute sourceCluster = described.value();
      dbType = dbType != null ? dbType : blankToNull(sourceCluster.dbType());
      dbVersion = dbVersion != null ? dbVersion : blankToNull(sourceCluster.dbVersion());
      if (source.pointInTime().isPresent()) {
        Optional<String> outside =
            outsideWindow(pass, polarDb, source.sourceDbClusterId(), source.pointInTime().get());
        if (outside.isPresent()) {
          return fail(pass, Reasons.SOURCE_FAILED, outside.get(), null);
        }
      }
    } else {
      dbType = dbType != null ? dbType : "MySQL";
      dbVersion = dbVersion != null ? dbVersion : "8.0";
    }
    if (dbType == null || dbVersion == null) {
      return fail(
          pass,
          Reasons.INVALID_SPEC,
          "PolarDB does not say the engine and version of cluster "
              + source.sourceDbClusterId()
              + ": set spec.target.newCluster.dbType and dbVersion.",
          null);
    }
    CloneRequest request =
        new CloneRequest(
            spec.regionId(),
            dbType,
            dbVersion,
            target.effectivePayType().name(),
            Optional.of(target.dbNodeClass()),
            source.sourceDbClusterId(),
            source.cloneDataPoint(),
            pass.status.getClientToken(),
            Optional.of(target.zoneId()),
            Optional.of(target.vpcId()),
            Optional.of(target.vSwitchId()),
            Optional.of(
                Optional.ofNullable(target.description())
                    .orElse(
                        "PolarDBRestore "
                            + pass.restore.getMetadata().getNamespace()
                            + "/"
                            + pass.restore.getMetadata().getName())),
            target.tagsFor(
                pass.restore.getMetadata().getNamespace(),
                pass.restore.getMetadata().getName(),
                pass.uid()),
            Optional.empty());
    // The intent first: from this write on, a cluster may exist.
    boolean earlierUnknown = pass.status.sending(now);
    pass.save();
    ApiResult<CreatedCluster> created = polarDb.createDBCluster(request);
    if (created instanceof ApiResult.Ok<CreatedCluster> ok) {
      pass.status.created(ok.value().dbClusterId(), ok.value().orderId(), ok.requestId(), now);
      String message =
          "PolarDB is creating cluster "
              + ok.value().dbClusterId()
              + " from "
              + pass.status.getSource()
              + " (order "
              + ok.value().orderId()
              + ", RequestId "
              + ok.requestId()
              + ").";
      events.normal(pass.restore, Reasons.CLUSTER_CREATING, message);
      pass.log("{}", message);
      return pass.saveAndWait(settings.follow());
    }
    ApiError error = created.error();
    if (error.kind().isDefiniteRejection()) {
      pass.status.createRefused(earlierUnknown);
    }
    return failed(pass, error, "CreateDBCluster", access, earlierUnknown);
  }

  /** The new cluster, until it is Running: then the restore has Succeeded. */
  UpdateControl<PolarDBRestore> follow(
      RestorePass pass, PolarDbClient polarDb, CloudAccess access) {
    Instant now = clock.instant();
    String id = pass.status.getDbClusterId();
    ApiResult<ClusterAttribute> described = polarDb.describeDBClusterAttribute(id);
    if (!described.isOk()) {
      if (described.error().kind() == dev.polardbbackup.polardb.FailureKind.NOT_FOUND) {
        return fail(
            pass,
            Reasons.RESTORE_FAILED,
            "Cluster "
                + id
                + " no longer exists: PolarDB did not finish creating it, or it was deleted"
                + " outside this operator ("
                + described.error().describe()
                + ").",
            described.error().requestId());
      }
      return failed(pass, described.error(), "DescribeDBClusterAttribute", access, false);
    }
    ClusterAttribute cluster = described.value();
    String requestId = ((ApiResult.Ok<ClusterAttribute>) described).requestId();
    if (!cluster.isRunning()) {
      pass.status.progressed(cluster.status(), null, requestId, now);
      return pass.saveAndWait(settings.follow());
    }
    if (pass.status.condition(PolarDBRestoreStatus.DATABASES_LISTED).isEmpty()) {
      DatabaseCheck.Result result =
          DatabaseCheck.check(polarDb, sourceCluster(pass), restorePoint(pass), id);
      if (result instanceof DatabaseCheck.TryAgain again) {
        return failed(pass, again.error(), "DescribeMetaList", access, false);
      }
      DatabaseCheck.Checked checked = (DatabaseCheck.Checked) result;
      pass.status.databasesChecked(checked.status(), checked.reason(), checked.message(), now);
      if (!"True".equals(checked.status())) {
        events.warning(pass.restore, checked.reason(), checked.message());
      }
    }
    ClusterEndpoint endpoint = endpoint(polarDb, id).orElse(null);
    pass.status.running(endpoint, pass.spec().ttlDuration(), requestId, now);
    String message =
        "Cluster "
            + id
            + " is Running"
            + (endpoint == null ? "" : " at " + endpoint.connectionString() + ":" + endpoint.port())
            + (pass.status.getExpiryTime() == null
                ? "."
                : "; it will be deleted at " + pass.status.getExpiryTime() + " (ttl).");
    events.normal(pass.restore, Reasons.RESTORE_SUCCEEDED, message);
    pass.log("{}", message);
    return pass.saveAndWait(
        pass.status.expiry().map(t -> positive(Duration.between(now, t))).orElse(null));
  }

  /** The backup set restored from, or the point in time (whole minutes, as PolarDB takes it). */
  private static RestorePoint restorePoint(RestorePass pass) {
    String backupId =
        pass.status.getSourceBackupId() != null
            ? pass.status.getSourceBackupId()
            : pass.spec().source().backupId();
    return backupId != null
        ? RestorePoint.backup(backupId)
        : RestorePoint.time(pass.spec().source().pointInTimeInstant().orElseThrow());
  }

  /** The cluster restored from: the backupRef's, or the spec's. */
  static String sourceCluster(RestorePass pass) {
    return Objects.requireNonNullElse(
        pass.status.getSourceDbClusterId(), pass.spec().source().dbClusterId());
  }

  /** The primary endpoint, if PolarDB lists one; a failed look leaves it out. */
  private static Optional<ClusterEndpoint> endpoint(PolarDbClient polarDb, String id) {
    ApiResult<List<dev.polardbbackup.polardb.ClusterEndpoint>> endpoints =
        polarDb.describeDBClusterEndpoints(id);
    if (!endpoints.isOk()) {
      return Optional.empty();
    }
    return endpoints.value().stream()
        .filter(e -> e.connectionString() != null && !e.connectionString().isBlank())
        .findFirst()
        .map(e -> new ClusterEndpoint(e.connectionString(), e.port()));
  }

  /** Why {@code at} is outside the source's recoverable window, if PolarDB tells one. */
  private static Optional<String> outsideWindow(
      RestorePass pass, PolarDbClient polarDb, String sourceId, Instant at) {
    ApiResult<RecoveryWindow> window = polarDb.describeLocalAvailableRecoveryTime(sourceId);
    if (!window.isOk() || !window.value().known()) {
      return Optional.empty();
    }
    RecoveryWindow w = window.value();
    boolean before = w.recoveryBeginTime().map(at::isBefore).orElse(false);
    boolean after = w.recoveryEndTime().map(at::isAfter).orElse(false);
    if (!before && !after) {
      return Optional.empty();
    }
    return Optional.of(
        "spec.source.pointInTime "
            + pass.spec().source().pointInTime()
            + " is outside the recoverable window of cluster "
            + sourceId
            + " ("
            + w.recoveryBeginTime().map(Instant::toString).orElse("?")
            + " to "
            + w.recoveryEndTime().map(Instant::toString).orElse("?")
            + ").");
  }

  /**
   * The token cannot be sent again (it could make a second, billed cluster), but the cluster it may
   * have made carries the restore's uid tag: one listed is followed as if CreateDBCluster had
   * answered; none, or several (which one is ours?), fail the restore with UncertainOutcome; a
   * failed listing is tried again.
   */
  private UpdateControl<PolarDBRestore> findByTag(
      RestorePass pass, PolarDbClient polarDb, CloudAccess access) {
    String lost =
        "CreateDBCluster with ClientToken "
            + pass.status.getClientToken()
            + " (first sent "
            + pass.status.getCreateFirstSent()
            + ") got no usable reply, longer ago than PolarDB is trusted to remember the token";
    TaggedClusters.Search search = TaggedClusters.find(pass, polarDb);
    if (search instanceof TaggedClusters.Unknown unknown) {
      return failed(pass, unknown.error(), "DescribeDBClusters", access, true);
    }
    if (search instanceof TaggedClusters.One one) {
      pass.status.created(one.dbClusterId(), null, one.requestId(), clock.instant());
      String message =
          "Found cluster "
              + one.dbClusterId()
              + " by its tag "
              + pass.uidTag()
              + " (DescribeDBClusters, RequestId "
              + one.requestId()
              + "): the "
              + lost
              + ", and made it; following it.";
      events.normal(pass.restore, Reasons.CLUSTER_FOUND_BY_TAG, message);
      pass.log("{}", message);
      return pass.saveAndWait(settings.follow());
    }
    String region = pass.spec().regionId();
    if (search instanceof TaggedClusters.Several several) {
      return fail(
          pass,
          Reasons.UNCERTAIN_OUTCOME,
          lost
              + ", and clusters "
              + String.join(", ", several.dbClusterIds())
              + " in "
              + region
              + " are all tagged "
              + pass.uidTag()
              + ": which one it made is not known, so none is followed or deleted. Keep the one"
              + " you want and delete the others in the PolarDB console.",
          several.requestId());
    }
    TaggedClusters.None none = (TaggedClusters.None) search;
    return fail(
        pass,
        Reasons.UNCERTAIN_OUTCOME,
        lost
            + ", so it is not sent again (it could make a second, billed cluster), and no cluster"
            + " tagged "
            + pass.uidTag()
            + " was listed in "
            + region
            + " (DescribeDBClusters, RequestId "
            + none.requestId()
            + "): it probably made none. Create a new PolarDBRestore to try again.",
        none.requestId());
  }

  /**
   * What a failed call means before the cluster is Running. A refusal of the request fails the
   * restore with PolarDB's code, unless an earlier call with the token may have worked (then the
   * token is sent again); no room waits for room; the rest are tried again.
   */
  UpdateControl<PolarDBRestore> failed(
      RestorePass pass, ApiError error, String action, CloudAccess access, boolean earlierUnknown) {
    Instant now = clock.instant();
    Duration retry = error.retryAfter().orElse(settings.retry());
    String message = action + " failed: " + error.describe();
    return switch (error.kind()) {
      case QUOTA_EXHAUSTED -> {
        String text = message + ". PolarDB has no room for the cluster now; asking again later.";
        pass.status.waitForCapacity(
            pass.uid(), text, now.plus(settings.capacityRetry()), error.requestId(), now);
        warnOnce(pass, Reasons.WAITING_FOR_CAPACITY, text);
        yield pass.saveAndWait(settings.capacityRetry());
      }
      case THROTTLED -> retrying(pass, Reasons.API_THROTTLED, message, error, retry);
      case TRANSIENT -> retrying(pass, Reasons.API_UNAVAILABLE, message, error, retry);
      case OUTCOME_UNKNOWN -> retrying(pass, Reasons.OUTCOME_UNKNOWN, message, error, retry);
      case AUTH -> {
        access.forgetRefusedSecret();
        warnOnce(pass, Reasons.AUTH_FAILED, message);
        yield retrying(pass, Reasons.AUTH_FAILED, message, error, retry);
      }
      case WRONG_CLUSTER_STATE -> retrying(pass, Reasons.CLUSTER_NOT_READY, message, error, retry);
      case NOT_FOUND, INVALID_REQUEST -> {
        if (earlierUnknown || pass.status.mayHaveUnseenCluster()) {
          // A call with this token may have made the cluster: only the token can tell.
          yield retrying(pass, Reasons.OUTCOME_UNKNOWN, message, error, retry);
        }
        String reason =
            error.kind() == dev.polardbbackup.polardb.FailureKind.NOT_FOUND
                ? Reasons.CLUSTER_NOT_FOUND
                : Reasons.INVALID_REQUEST;
        yield fail(pass, reason, message + ".", error.requestId());
      }
    };
  }

  private UpdateControl<PolarDBRestore> retrying(
      RestorePass pass, String reason, String message, ApiError error, Duration retry) {
    Instant now = clock.instant();
    pass.status.retrying(reason, message, now.plus(retry), error.requestId(), now);
    pass.log("{}; retry in {}", message, retry);
    return pass.saveAndWait(retry);
  }

  /** Final: records why, with one Warning. */
  UpdateControl<PolarDBRestore> fail(
      RestorePass pass, String reason, String message, String requestId) {
    pass.status.failed(reason, message, requestId, clock.instant());
    events.warning(pass.restore, reason, message);
    pass.log("failed: {}", message);
    return pass.saveAndWait(null);
  }

  private void warnOnce(RestorePass pass, String reason, String message) {
    if (!reason.equals(pass.status.getReason())) {
      events.warning(pass.restore, reason, message);
    }
  }

  private static String blankToNull(String text) {
    return text == null || text.isBlank() ? null : text;
  }

  static Duration positive(Duration d) {
    return d.isNegative() || d.isZero() ? Duration.ofMillis(1) : d;
  }
}
