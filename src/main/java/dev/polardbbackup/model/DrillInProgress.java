package dev.polardbbackup.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * The restore drill a schedule is running: everything needed to find its clone again after a
 * restart and delete it. At most one exists per schedule; each step is written before its call.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DrillInProgress(
    @JsonPropertyDescription("When the drill started (RFC 3339).") String startedAt,
    @JsonPropertyDescription("The PolarDB BackupId being restored.") String backupId,
    @JsonPropertyDescription("The PolarDBBackup it belongs to.") String backupName,
    @JsonPropertyDescription("The PolarDBRestore made for the drill, if it is made through one.")
        String restoreName,
    @JsonPropertyDescription(
            "The CreateDBCluster ClientToken of the clone: the UID of the drill's PolarDBRestore,"
                + " once it exists.")
        String clientToken,
    @JsonPropertyDescription("When CreateDBCluster was first sent; written before the call.")
        String createSent,
    @JsonPropertyDescription("The clone's DBClusterId, once known.") String cloneDbClusterId,
    @JsonPropertyDescription("When the clone was first seen Running.") String runningTime,
    @JsonPropertyDescription(
            "The drill's verdict, kept while the clone is being deleted: Succeeded or Failed.")
        DrillOutcome verdict,
    @JsonPropertyDescription("The verdict's reason.") String reason,
    @JsonPropertyDescription("The verdict's message.") String message,
    @JsonPropertyDescription("When DeleteDBCluster was first sent; written before the call.")
        String deleteSent) {

  /** A drill just begun: nothing sent yet. */
  public static DrillInProgress start(
      String startedAt, String backupId, String backupName, String clientToken) {
    return new DrillInProgress(
        startedAt,
        backupId,
        backupName,
        null,
        clientToken,
        null,
        null,
        null,
        null,
        null,
        null,
        null);
  }

  public DrillInProgress withRestoreName(String name) {
    return new DrillInProgress(
        startedAt,
        backupId,
        backupName,
        name,
        clientToken,
        createSent,
        cloneDbClusterId,
        runningTime,
        verdict,
        reason,
        message,
        deleteSent);
  }

  public DrillInProgress withClientToken(String token) {
    return new DrillInProgress(
        startedAt,
        backupId,
        backupName,
        restoreName,
        token,
        createSent,
        cloneDbClusterId,
        runningTime,
        verdict,
        reason,
        message,
        deleteSent);
  }

  public DrillInProgress withCreateSent(String time) {
    return new DrillInProgress(
        startedAt,
        backupId,
        backupName,
        restoreName,
        clientToken,
        createSent == null ? time : createSent,
        cloneDbClusterId,
        runningTime,
        verdict,
        reason,
        message,
        deleteSent);
  }

  public DrillInProgress withClone(String dbClusterId) {
    return new DrillInProgress(
        startedAt,
        backupId,
        backupName,
        restoreName,
        clientToken,
        createSent,
        dbClusterId,
        runningTime,
        verdict,
        reason,
        message,
        deleteSent);
  }

  public DrillInProgress withRunning(String time) {
    return new DrillInProgress(
        startedAt,
        backupId,
        backupName,
        restoreName,
        clientToken,
        createSent,
        cloneDbClusterId,
        runningTime == null ? time : runningTime,
        verdict,
        reason,
        message,
        deleteSent);
  }

  /** The verdict is in (the first one stands); the clone is still to be deleted. */
  public DrillInProgress withVerdict(DrillOutcome outcome, String why, String text) {
    if (verdict != null) {
      return this;
    }
    return new DrillInProgress(
        startedAt,
        backupId,
        backupName,
        restoreName,
        clientToken,
        createSent,
        cloneDbClusterId,
        runningTime,
        outcome,
        why,
        text,
        deleteSent);
  }

  public DrillInProgress withDeleteSent(String time) {
    return new DrillInProgress(
        startedAt,
        backupId,
        backupName,
        restoreName,
        clientToken,
        createSent,
        cloneDbClusterId,
        runningTime,
        verdict,
        reason,
        message,
        deleteSent == null ? time : deleteSent);
  }
}
