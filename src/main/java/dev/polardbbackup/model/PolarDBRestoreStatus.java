package dev.polardbbackup.model;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What the operator knows about a restore. Every change goes through the transition methods below,
 * which refuse to move the phase backwards or out of a final phase; calling one again with the same
 * values leaves the status equal, so that it is not written again.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PolarDBRestoreStatus {
  public static final String READY = "Ready";

  /**
   * Whether the new cluster lists every database of its backup set or point in time: True, False,
   * or Unknown when PolarDB could not say. Set once, just before the restore Succeeds.
   */
  public static final String DATABASES_LISTED = "DatabasesListed";

  @JsonPropertyDescription("Pending, Creating, Succeeded or Failed.")
  private RestorePhase phase;

  @JsonPropertyDescription("Why the restore is where it is: the Ready condition's reason.")
  private String reason;

  @JsonPropertyDescription("The Ready condition's message.")
  private String message;

  private Long observedGeneration;

  @JsonPropertyDescription("What the restore is from, in one line.")
  private String source;

  @JsonPropertyDescription("The spec as accepted; later edits are ignored (spec is immutable).")
  private PolarDBRestoreSpec accepted;

  @JsonPropertyDescription("The source cluster: the backupRef's, or spec.source.dbClusterId.")
  private String sourceDbClusterId;

  @JsonPropertyDescription(
      "The backup set restored from: the backupRef's, or spec.source.backupId.")
  private String sourceBackupId;

  @JsonPropertyDescription(
      "The ClientToken of the current CreateDBCluster attempt: the resource's UID, then"
          + " <uid>-<attempt> after a definite refusal.")
  private String clientToken;

  private Integer attempt;

  @JsonPropertyDescription(
      "When CreateDBCluster was first sent with the current ClientToken; written before the call.")
  private String createFirstSent;

  @JsonPropertyDescription("When CreateDBCluster was last sent with the current ClientToken.")
  private String createLastSent;

  @JsonPropertyDescription(
      "True while the last CreateDBCluster may have made a cluster the operator has not heard of.")
  private Boolean createOutcomeUnknown;

  @JsonPropertyDescription(
      "When RestoreTable was sent; written before the call. It takes no ClientToken, so it is"
          + " never sent again once its outcome is unknown.")
  private String tableRestoreSent;

  @JsonPropertyDescription("When the tables were seen restored.")
  private String tablesRestored;

  @JsonPropertyDescription("The new cluster's id (DBClusterId).")
  private String dbClusterId;

  @JsonPropertyDescription("The OrderId of the new cluster.")
  private String orderId;

  @JsonPropertyDescription("The new cluster's DBClusterStatus, as last seen.")
  private String clusterStatus;

  @JsonPropertyDescription("Progress while the cluster is being created, as PolarDB reports it.")
  private String progress;

  @JsonPropertyDescription("Where the new cluster takes connections, once Running.")
  private ClusterEndpoint endpoint;

  @JsonPropertyDescription("When the new cluster was first seen Running.")
  private String runningTime;

  @JsonPropertyDescription("When the new cluster is deleted for spec.ttl (runningTime + ttl).")
  private String expiryTime;

  @JsonPropertyDescription("The deletion of the new cluster, once begun.")
  private ClusterDeletion deletion;

  @JsonPropertyDescription("RequestId of the last PolarDB API reply, for support tickets.")
  private String lastRequestId;

  @JsonPropertyDescription("When the operator will next try, while waiting.")
  private String nextAttemptTime;

  @JsonPropertyDescription("Consecutive retryable errors or capacity refusals; drive the backoff.")
  private Integer consecutiveErrors;

  @JsonPropertyDescription("When the restore succeeded or failed.")
  private String completionTime;

  private List<Condition> conditions;

  public PolarDBRestoreStatus() {}

  /** A new restore: Pending, first attempt with the resource's UID as ClientToken. */
  public static PolarDBRestoreStatus accept(
      String uid, PolarDBRestoreSpec spec, long generation, Instant now) {
    PolarDBRestoreStatus status = new PolarDBRestoreStatus();
    status.phase = RestorePhase.Pending;
    status.accepted = spec;
    status.source = spec.source().describe();
    status.clientToken = ClientToken.first(uid);
    status.attempt = 1;
    status.observedGeneration = generation;
    status.setReady(false, Reasons.PENDING, "Restore accepted; about to ask PolarDB for it.", now);
    return status;
  }

  /** A deep copy, to change without touching the cached object (see {@link PersistedForm}). */
  public PolarDBRestoreStatus copy() {
    return PersistedForm.copy(this);
  }

  // ---- transitions ----

  private void moveTo(RestorePhase next) {
    if (phase != null && !phase.canMoveTo(next)) {
      throw new IllegalStateException("phase cannot move from " + phase + " to " + next);
    }
    phase = next;
  }

  /** The source cluster and backup set are known: from the backupRef, or from the spec. */
  public void sourceResolved(String dbClusterId, String backupId) {
    sourceDbClusterId = dbClusterId;
    sourceBackupId = backupId;
  }

  /** Waiting for something outside PolarDB (the backupRef not Succeeded yet, a grant, a Secret). */
  public void waiting(String why, String text, Instant nextAttempt, Instant now) {
    nextAttemptTime = nextAttempt == null ? null : timestamp(nextAttempt);
    setReady(false, why, text, now);
  }

  /**
   * About to send CreateDBCluster with the current token: written (with optimistic locking) before
   * the call, so that a crash after it still leaves the trace of a possible cluster.
   *
   * @return whether an earlier call with this token already had an unknown outcome
   */
  public boolean sending(Instant now) {
    if (createFirstSent == null) {
      createFirstSent = timestamp(now);
    }
    createLastSent = timestamp(now);
    boolean earlierUnknown = Boolean.TRUE.equals(createOutcomeUnknown);
    createOutcomeUnknown = true;
    return earlierUnknown;
  }

  /** PolarDB definitely refused the call just sent; the calls before it may still have worked. */
  public void createRefused(boolean earlierUnknown) {
    createOutcomeUnknown = earlierUnknown ? true : null;
  }

  /** The next attempt uses {@code <uid>-<attempt>}: only once the current token made nothing. */
  public void newClientToken(String uid) {
    attempt = (attempt == null ? 1 : attempt) + 1;
    clientToken = ClientToken.ofAttempt(uid, attempt);
    createOutcomeUnknown = null;
    createFirstSent = null;
    createLastSent = null;
  }

  /**
   * PolarDB has no room (quota, or no stock of the node class in the zone): wait and ask again,
   * with a new token when every call with the current one was definitely refused.
   */
  public void waitForCapacity(
      String uid, String text, Instant nextAttempt, String requestId, Instant now) {
    moveTo(RestorePhase.Pending);
    if (tokenMadeNothing() && createFirstSent != null) {
      newClientToken(uid);
    }
    retrying(Reasons.WAITING_FOR_CAPACITY, text, nextAttempt, requestId, now);
  }

  /** CreateDBCluster answered: the new cluster exists and is being created. */
  public void created(String newDbClusterId, String newOrderId, String requestId, Instant now) {
    moveTo(RestorePhase.Creating);
    createOutcomeUnknown = null;
    dbClusterId = newDbClusterId;
    orderId = newOrderId == null ? orderId : newOrderId;
    clusterStatus = clusterStatus == null ? "Creating" : clusterStatus;
    lastRequestId = requestIdOr(requestId);
    nextAttemptTime = null;
    consecutiveErrors = null;
    setReady(
        false, Reasons.CLUSTER_CREATING, "PolarDB is creating cluster " + dbClusterId + ".", now);
  }

  /**
   * The cluster a CreateDBCluster with a lost reply made, found by the restore's uid tag while the
   * resource is being deleted. The phase stays: the restore may have failed meanwhile.
   */
  public void clusterFoundByTag(String foundDbClusterId, String requestId) {
    dbClusterId = foundDbClusterId;
    createOutcomeUnknown = null;
    lastRequestId = requestIdOr(requestId);
  }

  /** The cluster as last described (DescribeDBClusterAttribute), while it is being created. */
  public void progressed(String status, String progressText, String requestId, Instant now) {
    clusterStatus = status;
    progress = progressText;
    lastRequestId = requestIdOr(requestId);
    nextAttemptTime = null;
    consecutiveErrors = null;
    String text = "PolarDB is creating cluster " + dbClusterId + " (" + status;
    setReady(
        false,
        Reasons.CLUSTER_CREATING,
        text + (progressText == null ? ")." : ", " + progressText + ")."),
        now);
  }

  /**
   * The new cluster is Running: the restore has Succeeded. Its ttl, if any, counts from the first
   * time it was seen Running.
   */
  public void running(
      ClusterEndpoint where, Optional<Duration> ttl, String requestId, Instant now) {
    moveTo(RestorePhase.Succeeded);
    clusterStatus = "Running";
    progress = null;
    endpoint = where;
    if (runningTime == null) {
      runningTime = timestamp(now);
      completionTime = runningTime;
    }
    expiryTime = ttl.map(t -> timestamp(Instant.parse(runningTime).plus(t))).orElse(null);
    lastRequestId = requestIdOr(requestId);
    nextAttemptTime = null;
    consecutiveErrors = null;
    setReady(true, Reasons.RESTORE_SUCCEEDED, "Cluster " + dbClusterId + " is Running.", now);
  }

  /**
   * About to send RestoreTable, written before the call. RestoreTable has no ClientToken: once
   * sent, it is never sent again by this resource.
   *
   * @return false when it was sent before (its outcome must be found out, not re-sent)
   */
  public boolean sendingTableRestore(Instant now) {
    if (tableRestoreSent != null) {
      return false;
    }
    tableRestoreSent = timestamp(now);
    return true;
  }

  /** RestoreTable answered: PolarDB is restoring the tables. */
  public void tableRestoreStarted(String requestId, Instant now) {
    moveTo(RestorePhase.Creating);
    lastRequestId = requestIdOr(requestId);
    nextAttemptTime = null;
    consecutiveErrors = null;
    setReady(false, Reasons.TABLES_RESTORING, "PolarDB is restoring the tables.", now);
  }

  /** The tables are restored: the restore has Succeeded. */
  public void tablesRestored(String requestId, Instant now) {
    moveTo(RestorePhase.Succeeded);
    if (tablesRestored == null) {
      tablesRestored = timestamp(now);
      completionTime = tablesRestored;
    }
    lastRequestId = requestIdOr(requestId);
    nextAttemptTime = null;
    consecutiveErrors = null;
    setReady(true, Reasons.RESTORE_SUCCEEDED, "The tables are restored.", now);
  }

  /** Final: an invalid spec or request, a source that failed, a cluster that failed to start. */
  public void failed(String why, String text, String requestId, Instant now) {
    moveTo(RestorePhase.Failed);
    if (completionTime == null) {
      completionTime = timestamp(now);
    }
    lastRequestId = requestIdOr(requestId);
    nextAttemptTime = null;
    setReady(false, why, text, now);
  }

  /**
   * A retryable problem after one more failed call: the phase stays; the reason says what is wrong
   * and when the next try is. Each call counts one more consecutive error, for the backoff.
   */
  public void retrying(
      String why, String text, Instant nextAttempt, String requestId, Instant now) {
    consecutiveErrors = (consecutiveErrors == null ? 0 : consecutiveErrors) + 1;
    nextAttemptTime = timestamp(nextAttempt);
    lastRequestId = requestIdOr(requestId);
    setReady(false, why, text, now);
  }

  /**
   * About to send DeleteDBCluster for {@code why} (TtlExpired or ResourceDeleted), written before
   * the call. The phase stays: a Succeeded restore whose clone expired is still one that succeeded.
   */
  public void deleting(String why, String text, Instant now) {
    String first = deletion == null ? timestamp(now) : deletion.firstSent();
    String kept = deletion == null ? why : deletion.reason();
    deletion = new ClusterDeletion(kept, first, timestamp(now), null);
    setReady(false, Reasons.CLUSTER_DELETING, text, now);
  }

  /** The new cluster is gone (deleted, or found missing). */
  public void clusterDeleted(String text, String requestId, Instant now) {
    String first = deletion == null ? null : deletion.firstSent();
    String last = deletion == null ? null : deletion.lastSent();
    String why = deletion == null ? null : deletion.reason();
    String gone =
        deletion == null || deletion.deletedTime() == null
            ? timestamp(now)
            : deletion.deletedTime();
    deletion = new ClusterDeletion(why, first, last, gone);
    clusterStatus = "Deleted";
    endpoint = null;
    lastRequestId = requestIdOr(requestId);
    setReady(false, Reasons.CLUSTER_DELETED, text, now);
  }

  public void observed(long generation) {
    observedGeneration = generation;
  }

  // ---- questions ----

  /** A CreateDBCluster may have made a cluster that no id in status names yet. */
  @JsonIgnore
  public boolean mayHaveUnseenCluster() {
    return dbClusterId == null && Boolean.TRUE.equals(createOutcomeUnknown);
  }

  /** Every call with the current token was definitely refused: it made no cluster. */
  @JsonIgnore
  public boolean tokenMadeNothing() {
    return !Boolean.TRUE.equals(createOutcomeUnknown);
  }

  @JsonIgnore
  public Optional<Instant> expiry() {
    return Optional.ofNullable(expiryTime).map(Instant::parse);
  }

  @JsonIgnore
  public Optional<Instant> createFirstSentInstant() {
    return Optional.ofNullable(createFirstSent).map(Instant::parse);
  }

  @JsonIgnore
  public boolean isTerminal() {
    return phase != null && phase.isTerminal();
  }

  private String requestIdOr(String requestId) {
    return requestId != null ? requestId : lastRequestId;
  }

  private void setReady(boolean ready, String why, String text, Instant now) {
    reason = why;
    message = text;
    setCondition(READY, ready, why, text, now);
  }

  /** The clone's databases were compared with its backup's (the DatabasesListed condition). */
  public void databasesChecked(String statusText, String why, String text, Instant now) {
    conditions =
        Conditions.set(
            conditions, DATABASES_LISTED, statusText, why, text, observedGeneration, now);
  }

  /** Sets a condition (see {@link Conditions#set}), e.g. SpecChangeIgnored. */
  public void setCondition(String type, boolean value, String why, String text, Instant now) {
    conditions = Conditions.set(conditions, type, value, why, text, observedGeneration, now);
  }

  public void removeCondition(String type) {
    if (conditions != null) {
      conditions.removeIf(c -> type.equals(c.getType()));
    }
  }

  public Optional<Condition> condition(String type) {
    return Conditions.find(conditions, type);
  }

  private static String timestamp(Instant instant) {
    return Conditions.timestamp(instant);
  }

  // ---- accessors ----
  // A getter makes a field a property (Jackson writes it, the CRD generator reads it); Jackson
  // reads it back into the field. There are no setters: every write is a transition above.

  public RestorePhase getPhase() {
    return phase;
  }

  public String getReason() {
    return reason;
  }

  public String getMessage() {
    return message;
  }

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public String getSource() {
    return source;
  }

  public PolarDBRestoreSpec getAccepted() {
    return accepted;
  }

  public String getSourceDbClusterId() {
    return sourceDbClusterId;
  }

  public String getSourceBackupId() {
    return sourceBackupId;
  }

  public String getClientToken() {
    return clientToken;
  }

  public Integer getAttempt() {
    return attempt;
  }

  public String getCreateFirstSent() {
    return createFirstSent;
  }

  public String getCreateLastSent() {
    return createLastSent;
  }

  public Boolean getCreateOutcomeUnknown() {
    return createOutcomeUnknown;
  }

  public String getTableRestoreSent() {
    return tableRestoreSent;
  }

  public String getTablesRestored() {
    return tablesRestored;
  }

  public String getDbClusterId() {
    return dbClusterId;
  }

  public String getOrderId() {
    return orderId;
  }

  public String getClusterStatus() {
    return clusterStatus;
  }

  public String getProgress() {
    return progress;
  }

  public ClusterEndpoint getEndpoint() {
    return endpoint;
  }

  public String getRunningTime() {
    return runningTime;
  }

  public String getExpiryTime() {
    return expiryTime;
  }

  public ClusterDeletion getDeletion() {
    return deletion;
  }

  public String getLastRequestId() {
    return lastRequestId;
  }

  public String getNextAttemptTime() {
    return nextAttemptTime;
  }

  public Integer getConsecutiveErrors() {
    return consecutiveErrors;
  }

  public String getCompletionTime() {
    return completionTime;
  }

  public List<Condition> getConditions() {
    return conditions;
  }

  /** Equal when both would be written as the same status: every field, conditions included. */
  @Override
  public boolean equals(Object o) {
    return o instanceof PolarDBRestoreStatus s && PersistedForm.same(this, s);
  }

  @Override
  public int hashCode() {
    return PersistedForm.hash(this);
  }
}
