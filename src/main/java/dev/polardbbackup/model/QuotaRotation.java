package dev.polardbbackup.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * The last backup a schedule deleted to free a manual-backup slot, and what that did. Rotation
 * deletes nothing more until it is known: if the backup that needed the slot is refused again once
 * the deleted one is gone, the quota counts backups made per day and deleting frees nothing, so
 * rotation stays off until PolarDB accepts a backup of this schedule again.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record QuotaRotation(
    @JsonPropertyDescription("The backup deleted to free a slot.") String deletedBackup,
    @JsonPropertyDescription("The backup that needed the slot.") String waitingBackup,
    @JsonPropertyDescription(
            "The waiting backup's quota refusals when the deleted one was gone; absent until then.")
        Integer refusalsBefore,
    @JsonPropertyDescription(
            "When the waiting backup was refused again after the deletion: it freed nothing."
                + " Rotation stays off until PolarDB accepts that backup or a later one.")
        String freedNothingAt) {

  public static QuotaRotation deleted(String deletedBackup, String waitingBackup) {
    return new QuotaRotation(deletedBackup, waitingBackup, null, null);
  }

  /** The deleted backup is gone; refusals of the waiting one from here on mean it freed nothing. */
  public QuotaRotation gone(int refusals) {
    return new QuotaRotation(deletedBackup, waitingBackup, refusals, freedNothingAt);
  }

  public QuotaRotation freedNothing(String time) {
    return new QuotaRotation(deletedBackup, waitingBackup, refusalsBefore, time);
  }
}
