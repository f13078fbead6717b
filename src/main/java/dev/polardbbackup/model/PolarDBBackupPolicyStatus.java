package dev.polardbbackup.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** The policy PolarDB has, how it differs from the spec, and what the operator last did. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PolarDBBackupPolicyStatus {
  /** PolarDB has the spec's policy as far as the operator can tell, or it cannot be applied. */
  public static final String READY = "Ready";

  /** PolarDB's policy equals the spec in every field the spec sets. */
  public static final String IN_SYNC = "InSync";

  @JsonPropertyDescription("The spec generation this status describes.")
  private Long observedGeneration;

  @JsonPropertyDescription("Why the policy is where it is: the Ready condition's reason.")
  private String reason;

  @JsonPropertyDescription("The Ready condition's message.")
  private String message;

  @JsonPropertyDescription("When PolarDB's policy was last read (RFC 3339).")
  private String lastSyncTime;

  @JsonPropertyDescription("The policy as PolarDB last reported it.")
  private EffectivePolicy effective;

  @JsonPropertyDescription(
      "One line per field the spec sets that PolarDB has otherwise, e.g. \"level1.retentionDays:"
          + " wanted 7, PolarDB has 14\"; absent when none.")
  private List<String> drift;

  @JsonPropertyDescription(
      "The span the cluster can be restored to from its level-1 backups, where PolarDB reports"
          + " one.")
  private RecoverableWindow recoveryWindow;

  @JsonPropertyDescription("Ready and InSync.")
  private List<Condition> conditions;

  public PolarDBBackupPolicyStatus() {}

  /**
   * A deep copy, to change without touching the cached object: every field that is persisted, and
   * only those (see {@link PersistedForm}).
   */
  public PolarDBBackupPolicyStatus copy() {
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

  // ---- accessors ----

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  public String getReason() {
    return reason;
  }

  public void setReason(String reason) {
    this.reason = reason;
  }

  public String getMessage() {
    return message;
  }

  public void setMessage(String message) {
    this.message = message;
  }

  public String getLastSyncTime() {
    return lastSyncTime;
  }

  public void setLastSyncTime(String lastSyncTime) {
    this.lastSyncTime = lastSyncTime;
  }

  public EffectivePolicy getEffective() {
    return effective;
  }

  public void setEffective(EffectivePolicy effective) {
    this.effective = effective;
  }

  public List<String> getDrift() {
    return drift;
  }

  public void setDrift(List<String> drift) {
    this.drift = drift;
  }

  public RecoverableWindow getRecoveryWindow() {
    return recoveryWindow;
  }

  public void setRecoveryWindow(RecoverableWindow recoveryWindow) {
    this.recoveryWindow = recoveryWindow;
  }

  public List<Condition> getConditions() {
    return conditions;
  }

  /** Equal when both would be written as the same status: every field, conditions included. */
  @Override
  public boolean equals(Object o) {
    return o instanceof PolarDBBackupPolicyStatus s && PersistedForm.same(this, s);
  }

  @Override
  public int hashCode() {
    return PersistedForm.hash(this);
  }
}
