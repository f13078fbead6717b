package dev.polardbbackup.model;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the operator knows about the backup. Every change goes through the transition methods below,
 * which refuse to move the phase backwards or out of a final phase.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PolarDBBackupStatus {
  public static final String READY = "Ready";

  /** Reasons that mean the credentials must be fixed by someone (see credentialsWaitSince). */
  private static final java.util.Set<String> CREDENTIAL_PROBLEMS =
      java.util.Set.of(Reasons.SECRET_NOT_FOUND, Reasons.SECRET_INVALID, Reasons.AUTH_FAILED);

  @JsonPropertyDescription("Pending, WaitingForQuota, Running, Succeeded or Failed.")
  private Phase phase;

  @JsonPropertyDescription("Why the backup is where it is: the Ready condition's reason.")
  private String reason;

  @JsonPropertyDescription("The Ready condition's message.")
  private String message;

  @JsonPropertyDescription(
      "The ClientToken of the current CreateBackup attempt: the resource's UID, then"
          + " <uid>-<attempt> after a definite refusal.")
  private String clientToken;

  @JsonPropertyDescription("The CreateBackup attempt number; a new attempt uses a new token.")
  private Integer attempt;

  @JsonPropertyDescription("The BackupJobId that CreateBackup returned.")
  private String backupJobId;

  @JsonPropertyDescription("The id of the backup set, once known.")
  private String backupId;

  @JsonPropertyDescription("RequestId of the last PolarDB API reply, for support tickets.")
  private String lastRequestId;

  private String startTime;

  @JsonPropertyDescription("When PolarDB started the backup job (the job's StartTime).")
  private String jobStartTime;

  private String completionTime;

  @JsonPropertyDescription("Backup progress in percent, as PolarDB reports it.")
  private Integer progress;

  @JsonPropertyDescription("PolarDB's BackupProgressStatus of the job.")
  private String progressStatus;

  @JsonPropertyDescription("Size of the backup set in bytes.")
  private Long backupSetSize;

  @JsonPropertyDescription("Point in time the backup is consistent to.")
  private String consistentTime;

  @JsonPropertyDescription("When the operator will next try, while waiting.")
  private String nextAttemptTime;

  private Long observedGeneration;

  @JsonPropertyDescription(
      "The cluster and region this backup was created for (spec is immutable).")
  private String acceptedDbClusterId;

  private String acceptedRegionId;

  @JsonPropertyDescription("Consecutive quota refusals; drives the backoff.")
  private Integer quotaWaits;

  @JsonPropertyDescription("Consecutive retryable errors; drives the backoff.")
  private Integer consecutiveErrors;

  @JsonPropertyDescription(
      "True while the last CreateBackup may have made a backup without the operator hearing of it.")
  private Boolean createOutcomeUnknown;

  @JsonPropertyDescription("Since when the cluster has been missing or not Running.")
  private String clusterWaitSince;

  @JsonPropertyDescription(
      "Since when the backup has been waiting for usable credentials (its Secret missing or"
          + " invalid, or the credentials refused); the retries grow with the wait.")
  private String credentialsWaitSince;

  @JsonPropertyDescription(
      "When CreateBackup was first sent with the current ClientToken. Written before the call: from"
          + " then on a backup may exist, and a backup set that started earlier cannot be ours.")
  private String clientTokenFirstSent;

  @JsonPropertyDescription("When CreateBackup was last sent with the current ClientToken.")
  private String clientTokenLastSent;

  @JsonPropertyDescription(
      "Manual backups of the cluster that PolarDB listed just before the first CreateBackup with"
          + " the current ClientToken: none of them can be ours.")
  private List<String> preexistingBackupIds;

  @JsonPropertyDescription(
      "The backup sets that could have been this backup's when it was matched by start time with"
          + " room for doubt (another candidate, or a CreateBackup whose outcome was never known);"
          + " while set, deletionPolicy Delete never deletes the cloud backup.")
  private List<String> uncertainMatch;

  @JsonPropertyDescription(
      "When the operator first saw the backup job ended (Finished, or no longer listed).")
  private String jobEndedTime;

  private List<Condition> conditions = new ArrayList<>();

  public PolarDBBackupStatus() {}

  /** A new backup: Pending, first attempt with the resource's UID as ClientToken. */
  public static PolarDBBackupStatus accept(
      String uid, PolarDBBackupSpec spec, long generation, Instant now) {
    PolarDBBackupStatus status = new PolarDBBackupStatus();
    status.phase = Phase.Pending;
    status.clientToken = ClientToken.first(uid);
    status.attempt = 1;
    status.acceptedDbClusterId = spec.dbClusterId();
    status.acceptedRegionId = spec.regionId();
    status.observedGeneration = generation;
    status.setReady(false, Reasons.PENDING, "Backup accepted; about to ask PolarDB for it.", now);
    return status;
  }

  /**
   * A deep copy, to change without touching the cached object: every field that is persisted, and
   * only those (see {@link PersistedForm}).
   */
  public PolarDBBackupStatus copy() {
    return PersistedForm.copy(this);
  }

  // ---- transitions ----

  private void moveTo(Phase next) {
    if (phase != null && !phase.canMoveTo(next)) {
      throw new IllegalStateException("phase cannot move from " + phase + " to " + next);
    }
    phase = next;
  }

  /**
   * PolarDB refused for quota. With {@code newToken} (every call with the current token was
   * definitely refused, or a look proved it made nothing) the next attempt gets a new token, saved
   * here before the call that uses it. Otherwise the current token may have made a backup, so the
   * next attempt sends it again.
   */
  public void waitForQuota(
      String uid,
      boolean newToken,
      String why,
      Instant nextAttempt,
      String requestId,
      Instant now) {
    moveTo(Phase.WaitingForQuota);
    if (newToken) {
      newClientToken(uid);
    }
    quotaWaits = (quotaWaits == null ? 0 : quotaWaits) + 1;
    consecutiveErrors = null;
    clusterWaitSince = null;
    nextAttemptTime = timestamp(nextAttempt);
    lastRequestId = requestIdOr(requestId);
    setReady(false, Reasons.WAITING_FOR_QUOTA, why, now);
  }

  /**
   * The next attempt uses {@code <uid>-<attempt>}: only once the current token is known to have
   * made nothing.
   */
  public void newClientToken(String uid) {
    attempt = (attempt == null ? 1 : attempt) + 1;
    clientToken = ClientToken.ofAttempt(uid, attempt);
    createOutcomeUnknown = null;
    clientTokenFirstSent = null;
    clientTokenLastSent = null;
    preexistingBackupIds = null;
  }

  /**
   * About to send CreateBackup with the current token: written (with optimistic locking) before the
   * call, so that a crash or a lost write after the call still leaves the trace of a possible
   * backup, and a stale view cannot send at all.
   *
   * <p>Until a reply says otherwise, the outcome of this call is unknown: a process that dies
   * between the call and the write of its reply leaves exactly that in status.
   *
   * @param preexisting manual backups listed just before the first send (ignored on a re-send)
   * @return whether an earlier call with this token already had an unknown outcome
   */
  public boolean sending(Instant now, List<String> preexisting) {
    if (clientTokenFirstSent == null) {
      clientTokenFirstSent = timestamp(now);
      preexistingBackupIds = preexisting.isEmpty() ? null : List.copyOf(preexisting);
    }
    clientTokenLastSent = timestamp(now);
    boolean earlierUnknown = Boolean.TRUE.equals(createOutcomeUnknown);
    createOutcomeUnknown = true;
    return earlierUnknown;
  }

  /**
   * PolarDB definitely refused the call just sent: it made nothing. Whether the token made nothing
   * at all depends on the calls before it.
   */
  public void createRefused(boolean earlierUnknown) {
    createOutcomeUnknown = earlierUnknown ? true : null;
  }

  /** The current token has been sent at least once. */
  @JsonIgnore
  public boolean tokenSent() {
    return clientTokenFirstSent != null;
  }

  @JsonIgnore
  public Optional<Instant> tokenFirstSentInstant() {
    return Optional.ofNullable(clientTokenFirstSent).map(Instant::parse);
  }

  @JsonIgnore
  public List<String> preexisting() {
    return preexistingBackupIds == null ? List.of() : preexistingBackupIds;
  }

  /**
   * Deleting after an unknown outcome: the job that the token made is now known. The phase stays
   * where it is (it may be final); only what deletion needs is recorded.
   */
  public void learnedJob(String jobId) {
    backupJobId = jobId;
    createOutcomeUnknown = null;
  }

  /**
   * Matched by start time with room for doubt: {@code candidates} (the chosen set first) could each
   * have been ours. Such a backup is never deleted.
   */
  public void matchedWithDoubt(List<String> candidates) {
    uncertainMatch = candidates.isEmpty() ? null : List.copyOf(candidates);
  }

  /** The job has ended (Finished or no longer listed); remember since when, to bound the wait. */
  public Instant jobEndedSince(Instant now) {
    if (jobEndedTime == null) {
      jobEndedTime = timestamp(now);
    }
    return Instant.parse(jobEndedTime);
  }

  @JsonIgnore
  public boolean hasUncertainMatch() {
    return uncertainMatch != null && !uncertainMatch.isEmpty();
  }

  /** An adopted backup set is still being made; look again later. */
  public void adopting(String id, String why, Instant nextAttempt, String requestId, Instant now) {
    backupId = id;
    nextAttemptTime = timestamp(nextAttempt);
    lastRequestId = requestIdOr(requestId);
    setReady(false, Reasons.ADOPTING, why, now);
  }

  /**
   * The backup set to adopt is held by another PolarDBBackup, or may be one that another is still
   * making: nothing is adopted (and so nothing can be deleted) until it is free.
   */
  public void adoptionWaits(String why, Instant nextAttempt, Instant now) {
    nextAttemptTime = timestamp(nextAttempt);
    setReady(false, Reasons.BACKUP_ALREADY_CLAIMED, why, now);
  }

  /**
   * No PolarDBAccessGrant allows what this object needs: nothing is called, and nothing is tried
   * again until a grant or the namespace changes.
   */
  public void notPermitted(String why, Instant now) {
    nextAttemptTime = null;
    setReady(false, Reasons.NOT_PERMITTED, why, now);
  }

  /** Still queued behind an older backup of the same cluster; no call was made. */
  public void queued(String why, Instant nextAttempt, Instant now) {
    nextAttemptTime = timestamp(nextAttempt);
    setReady(false, Reasons.QUEUED, why, now);
  }

  /** PolarDB accepted the backup. */
  public void started(String jobId, String requestId, Instant now) {
    moveTo(Phase.Running);
    createOutcomeUnknown = null;
    backupJobId = jobId;
    startTime = timestamp(now);
    progress = 0;
    lastRequestId = requestIdOr(requestId);
    nextAttemptTime = null;
    quotaWaits = null;
    consecutiveErrors = null;
    clusterWaitSince = null;
    setReady(false, Reasons.BACKUP_RUNNING, "PolarDB is making backup job " + jobId + ".", now);
  }

  /** Progress as reported; it never goes down. */
  public void progressed(int percent, String progressStatus, String requestId, Instant now) {
    progress = Math.max(progress == null ? 0 : progress, percent);
    this.progressStatus = progressStatus;
    lastRequestId = requestIdOr(requestId);
    consecutiveErrors = null;
    setReady(
        false,
        Reasons.BACKUP_RUNNING,
        "PolarDB is making backup job "
            + backupJobId
            + " ("
            + progressStatus
            + ", "
            + progress
            + "%).",
        now);
  }

  /**
   * Whether this differs from {@code written} only in what a look at a running job reports: its
   * progress, PolarDB's start time of the job, the RequestId, and the Ready message that shows
   * them.
   */
  public boolean differsOnlyInProgress(PolarDBBackupStatus written) {
    PolarDBBackupStatus mine = copy();
    mine.progress = written.progress;
    mine.progressStatus = written.progressStatus;
    mine.jobStartTime = written.jobStartTime;
    mine.lastRequestId = written.lastRequestId;
    if (Objects.equals(mine.reason, written.reason)) {
      mine.message = written.message;
      Optional<Condition> ready = written.condition(READY);
      Optional<Condition> mineReady = mine.condition(READY);
      if (ready.isPresent()
          && mineReady.isPresent()
          && Objects.equals(ready.get().getStatus(), mineReady.get().getStatus())
          && Objects.equals(ready.get().getReason(), mineReady.get().getReason())) {
        mine.conditions.replaceAll(c -> READY.equals(c.getType()) ? ready.get() : c);
      }
    }
    return mine.equals(written);
  }

  /** PolarDB's own start time of the job, used to match the job to its backup set. */
  public void jobStarted(Instant started) {
    jobStartTime = timestamp(started);
  }

  /** When the job started: PolarDB's time if known, else when CreateBackup returned. */
  @JsonIgnore
  public Optional<Instant> jobStartInstant() {
    return Optional.ofNullable(jobStartTime)
        .or(() -> Optional.ofNullable(startTime))
        .map(Instant::parse);
  }

  /** The backup set is known (its id may differ from the job id). */
  public void identified(String id) {
    backupId = id;
  }

  public void succeeded(
      String id,
      Optional<Long> size,
      Optional<Instant> consistent,
      Optional<Instant> ended,
      String requestId,
      Instant now) {
    moveTo(Phase.Succeeded);
    backupId = id;
    progress = 100;
    progressStatus = "Finished";
    backupSetSize = size.orElse(backupSetSize);
    consistentTime = consistent.map(PolarDBBackupStatus::timestamp).orElse(consistentTime);
    completionTime = timestamp(ended.orElse(now));
    lastRequestId = requestIdOr(requestId);
    nextAttemptTime = null;
    consecutiveErrors = null;
    setReady(true, Reasons.BACKUP_SUCCEEDED, "Backup " + id + " is complete.", now);
  }

  /** PolarDB lists the backup set, or keeps it after its cluster was deleted. */
  public void available(String why, String text, Instant now) {
    setCondition(Reasons.BACKUP_AVAILABLE, true, why, text, now);
  }

  /**
   * The backup set no longer exists. The phase stays Succeeded (the backup was made; status never
   * moves backwards), but nothing can be restored from it: Ready and BackupAvailable go False.
   */
  public void gone(String text, String requestId, Instant now) {
    lastRequestId = requestIdOr(requestId);
    setCondition(Reasons.BACKUP_AVAILABLE, false, Reasons.BACKUP_GONE, text, now);
    setReady(false, Reasons.BACKUP_GONE, text, now);
  }

  /**
   * What deleting the cluster would do to the set could not be read ({@code
   * RetainedAfterClusterDeletion=Unknown}); only before it was ever read, as a value once read
   * stays the best knowledge there is.
   */
  public void retentionUnreadable(String text, Instant now) {
    if (condition(Reasons.RETAINED_AFTER_CLUSTER_DELETION).isEmpty()
        || condition(Reasons.RETAINED_AFTER_CLUSTER_DELETION)
            .map(c -> "Unknown".equals(c.getStatus()))
            .orElse(false)) {
      conditions =
          Conditions.set(
              conditions,
              Reasons.RETAINED_AFTER_CLUSTER_DELETION,
              "Unknown",
              Reasons.POLICY_UNREADABLE,
              text,
              observedGeneration,
              now);
    }
  }

  /** The backup set was found gone: final, as a deleted set never comes back. */
  @JsonIgnore
  public boolean isGone() {
    return condition(Reasons.BACKUP_AVAILABLE)
        .map(c -> "False".equals(c.getStatus()) && Reasons.BACKUP_GONE.equals(c.getReason()))
        .orElse(false);
  }

  public void failed(String why, String text, String requestId, Instant now) {
    moveTo(Phase.Failed);
    completionTime = timestamp(now);
    lastRequestId = requestIdOr(requestId);
    nextAttemptTime = null;
    setReady(false, why, text, now);
  }

  /**
   * A retryable problem: the phase stays; the reason says what is wrong and when the next try is.
   */
  public void retrying(
      String why, String text, Instant nextAttempt, String requestId, Instant now) {
    consecutiveErrors = (consecutiveErrors == null ? 0 : consecutiveErrors) + 1;
    nextAttemptTime = timestamp(nextAttempt);
    lastRequestId = requestIdOr(requestId);
    setReady(false, why, text, now);
  }

  /** A CreateBackup went out and no usable answer came back: a backup may exist. */
  public void createMayHaveSucceeded() {
    createOutcomeUnknown = true;
  }

  /**
   * A CreateBackup may have made a backup that no job id in status names yet: a call got no usable
   * reply, or was about to go out (the intent is written before it) and its reply was never
   * recorded.
   */
  @JsonIgnore
  public boolean mayHaveUnseenBackup() {
    return backupJobId == null && backupId == null && Boolean.TRUE.equals(createOutcomeUnknown);
  }

  /** Every call with the current token was definitely refused: it made no backup. */
  @JsonIgnore
  public boolean tokenMadeNothing() {
    return !Boolean.TRUE.equals(createOutcomeUnknown);
  }

  /** The cluster is missing or not Running; remember since when, to bound the wait. */
  public Instant waitingForClusterSince(Instant now) {
    if (clusterWaitSince == null) {
      clusterWaitSince = timestamp(now);
    }
    return Instant.parse(clusterWaitSince);
  }

  /**
   * The credentials are missing, unusable or refused; remember since when, so that the retries can
   * start short and grow with the wait. Forgotten as soon as the reason is another one.
   */
  public Instant waitingForCredentialsSince(Instant now) {
    if (credentialsWaitSince == null || !CREDENTIAL_PROBLEMS.contains(reason)) {
      credentialsWaitSince = timestamp(now);
    }
    return Instant.parse(credentialsWaitSince);
  }

  public void observed(long generation) {
    observedGeneration = generation;
  }

  private String requestIdOr(String requestId) {
    return requestId != null ? requestId : lastRequestId;
  }

  private void setReady(boolean ready, String why, String text, Instant now) {
    if (!CREDENTIAL_PROBLEMS.contains(why)) {
      credentialsWaitSince = null;
    }
    reason = why;
    message = text;
    setCondition(READY, ready, why, text, now);
  }

  /** Sets a condition (see {@link Conditions#set}). */
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

  static String timestamp(Instant instant) {
    return Conditions.timestamp(instant);
  }

  @JsonIgnore
  public Optional<Instant> startInstant() {
    return Optional.ofNullable(startTime).map(Instant::parse);
  }

  @JsonIgnore
  public boolean isTerminal() {
    return phase != null && phase.isTerminal();
  }

  // ---- accessors ----
  // A getter makes a field a property: Jackson writes it and the CRD generator reads it. Jackson
  // reads it back into the field itself where there is no setter, so a new field needs only its
  // getter; setters are here only for code that sets a field without a transition.

  @JsonProperty
  public Phase getPhase() {
    return phase;
  }

  public void setPhase(Phase phase) {
    this.phase = phase;
  }

  public String getReason() {
    return reason;
  }

  public String getMessage() {
    return message;
  }

  public void setMessage(String message) {
    this.message = message;
  }

  public String getClientToken() {
    return clientToken;
  }

  public void setClientToken(String clientToken) {
    this.clientToken = clientToken;
  }

  public Integer getAttempt() {
    return attempt;
  }

  public void setAttempt(Integer attempt) {
    this.attempt = attempt;
  }

  public String getBackupJobId() {
    return backupJobId;
  }

  public void setBackupJobId(String backupJobId) {
    this.backupJobId = backupJobId;
  }

  public String getBackupId() {
    return backupId;
  }

  public void setBackupId(String backupId) {
    this.backupId = backupId;
  }

  public String getLastRequestId() {
    return lastRequestId;
  }

  public String getStartTime() {
    return startTime;
  }

  public String getJobStartTime() {
    return jobStartTime;
  }

  public String getCompletionTime() {
    return completionTime;
  }

  public void setCompletionTime(String completionTime) {
    this.completionTime = completionTime;
  }

  public Integer getProgress() {
    return progress;
  }

  public String getProgressStatus() {
    return progressStatus;
  }

  public Long getBackupSetSize() {
    return backupSetSize;
  }

  public String getConsistentTime() {
    return consistentTime;
  }

  public String getNextAttemptTime() {
    return nextAttemptTime;
  }

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  public String getAcceptedDbClusterId() {
    return acceptedDbClusterId;
  }

  public String getAcceptedRegionId() {
    return acceptedRegionId;
  }

  public Integer getQuotaWaits() {
    return quotaWaits;
  }

  public void setQuotaWaits(Integer quotaWaits) {
    this.quotaWaits = quotaWaits;
  }

  public Integer getConsecutiveErrors() {
    return consecutiveErrors;
  }

  public void setConsecutiveErrors(Integer v) {
    this.consecutiveErrors = v;
  }

  public String getClusterWaitSince() {
    return clusterWaitSince;
  }

  public String getCredentialsWaitSince() {
    return credentialsWaitSince;
  }

  public Boolean getCreateOutcomeUnknown() {
    return createOutcomeUnknown;
  }

  public String getClientTokenFirstSent() {
    return clientTokenFirstSent;
  }

  public String getClientTokenLastSent() {
    return clientTokenLastSent;
  }

  public List<String> getPreexistingBackupIds() {
    return preexistingBackupIds;
  }

  public List<String> getUncertainMatch() {
    return uncertainMatch;
  }

  public String getJobEndedTime() {
    return jobEndedTime;
  }

  public List<Condition> getConditions() {
    return conditions;
  }

  /** Equal when both would be written as the same status: every field, conditions included. */
  @Override
  public boolean equals(Object o) {
    return o instanceof PolarDBBackupStatus s && PersistedForm.same(this, s);
  }

  @Override
  public int hashCode() {
    return PersistedForm.hash(this);
  }
}
