package dev.polardbbackup.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** What a schedule has done and will do next. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PolarDBBackupScheduleStatus {
  public static final String READY = "Ready";
  public static final String STALLED = "Stalled";

  @JsonPropertyDescription("The spec generation this status describes.")
  private Long observedGeneration;

  @JsonPropertyDescription("The tick of the most recent backup this schedule created.")
  private String lastScheduleTime;

  @JsonPropertyDescription("The next tick, or absent while suspended or paused.")
  private String nextScheduleTime;

  @JsonPropertyDescription("The most recent successful backup.")
  private LastBackup lastSuccessfulBackup;

  @JsonPropertyDescription("Names of this schedule's backups that have not finished yet.")
  private List<String> active;

  @JsonPropertyDescription("Successful backups kept now.")
  private Integer succeeded;

  @JsonPropertyDescription("Failed backups kept now.")
  private Integer failed;

  @JsonPropertyDescription("Backups created by this schedule since it was created.")
  private Integer created;

  @JsonPropertyDescription("Ticks skipped: missed while down, suspended, late, or blocked.")
  private Integer missedTicks;

  @JsonPropertyDescription("Backups deleted by retention since the schedule was created.")
  private Integer deleted;

  @JsonPropertyDescription("The most recent tick dealt with (run, deferred or skipped).")
  private String lastTickTime;

  @JsonPropertyDescription("A due tick waiting for the previous backup to end or for a slot.")
  private String pendingTickTime;

  @JsonPropertyDescription("When this schedule last deleted a backup to free a quota slot.")
  private String lastRotationTime;

  @JsonPropertyDescription(
      "The last backup deleted to free a quota slot while its effect is not known, or while it"
          + " freed nothing (rotation is then off).")
  private QuotaRotation quotaRotation;

  @JsonPropertyDescription("The schedule and time zone the tick times above belong to.")
  private String observedSchedule;

  @JsonPropertyDescription(
      "The last restore drill (spec.verify) that finished: when, which backup, how it ended, and"
          + " how long the clone took to be Running.")
  private VerifiedRestore lastVerifiedRestore;

  @JsonPropertyDescription(
      "The restore drill under way, if any: what finds its clone again after a restart.")
  private DrillInProgress drill;

  @JsonPropertyDescription("When the next restore drill is due.")
  private String nextVerifyTime;

  @JsonPropertyDescription(
      "The last polardbbackup.dev/backup-now annotation acted on, and the backup it made.")
  private BackupNowTrigger lastBackupNow;

  @JsonPropertyDescription("Ready, Stalled and Paused.")
  private List<Condition> conditions;

  public PolarDBBackupScheduleStatus() {}

  /**
   * A deep copy, to change without touching the cached object: every field that is persisted, and
   * only those (see {@link PersistedForm}).
   */
  public PolarDBBackupScheduleStatus copy() {
    return PersistedForm.copy(this);
  }

  public void setCondition(String type, boolean value, String why, String text, Instant now) {
    conditions = Conditions.set(conditions, type, value, why, text, observedGeneration, now);
  }

  public void removeCondition(String type) {
    if (conditions != null) {
      conditions.removeIf(c -> type.equals(c.getType()));
      if (conditions.isEmpty()) {
        conditions = null;
      }
    }
  }

  public Optional<Condition> condition(String type) {
    return Conditions.find(conditions, type);
  }

  /** Counts only go up; a missing counter is zero. */
  public void countCreated() {
    created = (created == null ? 0 : created) + 1;
  }

  public void countMissed(int ticks) {
    if (ticks > 0) {
      missedTicks = (missedTicks == null ? 0 : missedTicks) + ticks;
    }
  }

  public void countDeleted() {
    deleted = (deleted == null ? 0 : deleted) + 1;
  }

  /** A restore drill begins; there is none under way (at most one per schedule). */
  public void drillStarted(DrillInProgress started) {
    if (drill != null) {
      throw new IllegalStateException("a drill is already under way since " + drill.startedAt());
    }
    drill = started;
  }

  /** The drill under way moved on (see the {@code with...} methods of {@link DrillInProgress}). */
  public void drillProgressed(DrillInProgress now) {
    drill = now;
  }

  /** The drill's clone is gone: the drill is over and its result recorded. */
  public void drillFinished(VerifiedRestore result, Instant next) {
    lastVerifiedRestore = result;
    drill = null;
    nextVerifyTime = next == null ? null : Conditions.timestamp(next);
  }

  public Optional<Instant> nextVerify() {
    return Optional.ofNullable(nextVerifyTime).map(Instant::parse);
  }

  public Optional<Instant> lastTick() {
    return Optional.ofNullable(lastTickTime).map(Instant::parse);
  }

  public Optional<Instant> pendingTick() {
    return Optional.ofNullable(pendingTickTime).map(Instant::parse);
  }

  // ---- accessors ----
  // A getter makes a field a property: Jackson writes it and the CRD generator reads it. Jackson
  // reads it back into the field itself where there is no setter, so a new field needs only its
  // getter; setters are here only for code that sets a field without a transition.

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  public String getLastScheduleTime() {
    return lastScheduleTime;
  }

  public void setLastScheduleTime(String lastScheduleTime) {
    this.lastScheduleTime = lastScheduleTime;
  }

  public String getNextScheduleTime() {
    return nextScheduleTime;
  }

  public void setNextScheduleTime(String nextScheduleTime) {
    this.nextScheduleTime = nextScheduleTime;
  }

  public LastBackup getLastSuccessfulBackup() {
    return lastSuccessfulBackup;
  }

  public void setLastSuccessfulBackup(LastBackup lastSuccessfulBackup) {
    this.lastSuccessfulBackup = lastSuccessfulBackup;
  }

  public List<String> getActive() {
    return active;
  }

  public void setActive(List<String> active) {
    this.active = active;
  }

  public Integer getSucceeded() {
    return succeeded;
  }

  public void setSucceeded(Integer succeeded) {
    this.succeeded = succeeded;
  }

  public Integer getFailed() {
    return failed;
  }

  public void setFailed(Integer failed) {
    this.failed = failed;
  }

  public Integer getCreated() {
    return created;
  }

  public Integer getMissedTicks() {
    return missedTicks;
  }

  public void setMissedTicks(Integer missedTicks) {
    this.missedTicks = missedTicks;
  }

  public Integer getDeleted() {
    return deleted;
  }

  public void setDeleted(Integer deleted) {
    this.deleted = deleted;
  }

  public String getLastTickTime() {
    return lastTickTime;
  }

  public void setLastTickTime(String lastTickTime) {
    this.lastTickTime = lastTickTime;
  }

  public String getPendingTickTime() {
    return pendingTickTime;
  }

  public void setPendingTickTime(String pendingTickTime) {
    this.pendingTickTime = pendingTickTime;
  }

  public String getObservedSchedule() {
    return observedSchedule;
  }

  public void setObservedSchedule(String observedSchedule) {
    this.observedSchedule = observedSchedule;
  }

  public String getLastRotationTime() {
    return lastRotationTime;
  }

  public void setLastRotationTime(String lastRotationTime) {
    this.lastRotationTime = lastRotationTime;
  }

  public QuotaRotation getQuotaRotation() {
    return quotaRotation;
  }

  public void setQuotaRotation(QuotaRotation quotaRotation) {
    this.quotaRotation = quotaRotation;
  }

  public VerifiedRestore getLastVerifiedRestore() {
    return lastVerifiedRestore;
  }

  public DrillInProgress getDrill() {
    return drill;
  }

  public String getNextVerifyTime() {
    return nextVerifyTime;
  }

  public void setNextVerifyTime(String nextVerifyTime) {
    this.nextVerifyTime = nextVerifyTime;
  }

  public BackupNowTrigger getLastBackupNow() {
    return lastBackupNow;
  }

  public void setLastBackupNow(BackupNowTrigger lastBackupNow) {
    this.lastBackupNow = lastBackupNow;
  }

  public List<Condition> getConditions() {
    return conditions;
  }

  /** Equal when both would be written as the same status: every field, conditions included. */
  @Override
  public boolean equals(Object o) {
    return o instanceof PolarDBBackupScheduleStatus s && PersistedForm.same(this, s);
  }

  @Override
  public int hashCode() {
    return PersistedForm.hash(this);
  }
}
