package dev.polardbbackup.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;

/**
 * What a restore restores from, in exactly one of three ways: a PolarDBBackup of the same
 * namespace, a backup set of a cluster by id, or a point in time of a cluster.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RestoreSource(
    @JsonPropertyDescription(
            "A Succeeded PolarDBBackup in the same namespace: its backup set and cluster. Leave"
                + " dbClusterId out.")
        BackupReference backupRef,
    @Size(max = 64)
        @Pattern("^[A-Za-z0-9-]{1,64}$")
        @JsonPropertyDescription("A backup set of dbClusterId, by its BackupId.")
        String backupId,
    @Size(max = 20)
        @Pattern(POINT_IN_TIME_PATTERN)
        @JsonPropertyDescription(
            "A UTC time (RFC 3339, whole seconds, e.g. 2026-12-01T03:00:00Z) within dbClusterId's"
                + " recoverable window (its level-1 and log backups).")
        String pointInTime,
    @Size(max = 64)
        @Pattern(PolarDBBackupSpec.CLUSTER_ID_PATTERN)
        @JsonPropertyDescription(
            "The source cluster, with backupId or pointInTime, e.g. pc-bp1abcdefghij1234.")
        String dbClusterId) {

  public static final String POINT_IN_TIME_PATTERN =
      "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$";

  public static RestoreSource ofBackup(String backupName) {
    return new RestoreSource(new BackupReference(backupName), null, null, null);
  }

  public static RestoreSource ofBackupId(String dbClusterId, String backupId) {
    return new RestoreSource(null, backupId, null, dbClusterId);
  }

  public static RestoreSource ofPointInTime(String dbClusterId, Instant pointInTime) {
    return new RestoreSource(null, null, Conditions.timestamp(pointInTime), dbClusterId);
  }

  /** The point in time, when the source is one and it parses. */
  public Optional<Instant> pointInTimeInstant() {
    if (pointInTime == null || !pointInTime.matches(POINT_IN_TIME_PATTERN)) {
      return Optional.empty();
    }
    try {
      return Optional.of(Instant.parse(pointInTime));
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }

  /** One line for status and the printer column, e.g. "backup/orders-nightly". */
  public String describe() {
    if (backupRef != null) {
      return "backup/" + backupRef.name();
    }
    if (backupId != null) {
      return dbClusterId + " backup " + backupId;
    }
    return dbClusterId + " at " + pointInTime;
  }

  void problems(List<String> problems, boolean tables) {
    int ways = (backupRef != null ? 1 : 0) + (backupId != null ? 1 : 0);
    ways += pointInTime != null ? 1 : 0;
    if (ways != 1) {
      problems.add(
          "spec.source must name exactly one of backupRef, backupId or pointInTime; it names "
              + ways
              + ".");
      return;
    }
    if (backupRef != null && dbClusterId != null) {
      problems.add(
          "spec.source.dbClusterId must be left out with backupRef: the cluster is the backup's.");
    }
    if (backupRef == null && dbClusterId == null) {
      problems.add(
          "spec.source.dbClusterId is required with "
              + (backupId != null ? "backupId" : "pointInTime")
              + ": name the source cluster.");
    }
    if (pointInTime != null && pointInTimeInstant().isEmpty()) {
      problems.add(
          "spec.source.pointInTime "
              + pointInTime
              + " is not a UTC time such as 2026-12-01T03:00:00Z.");
    } else if (tables
        && pointInTime != null
        && pointInTimeInstant().get().getEpochSecond() % 60 != 0) {
      problems.add(
          "spec.source.pointInTime "
              + pointInTime
              + " must be on the minute for a tables target: RestoreTable takes no seconds.");
    }
  }
}
