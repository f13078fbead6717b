package dev.polardbbackup.restore;

import dev.polardbbackup.kube.ResourceLog;
import dev.polardbbackup.kube.StatusWriter;
import dev.polardbbackup.model.PolarDBRestore;
import dev.polardbbackup.model.PolarDBRestoreSpec;
import dev.polardbbackup.model.PolarDBRestoreStatus;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One reconcile of one restore: its status being edited, and how to save it. */
final class RestorePass {
  // The reconciler's logger: a pass's lines are the reconciler's.
  private static final Logger log = LoggerFactory.getLogger(PolarDBRestoreReconciler.class);

  final PolarDBRestore restore;
  final Context<PolarDBRestore> context;
  PolarDBRestoreStatus status;
  private PolarDBRestore latest;

  RestorePass(PolarDBRestore restore, Context<PolarDBRestore> context) {
    this.restore = restore;
    this.context = context;
    this.status =
        restore.getStatus() == null ? new PolarDBRestoreStatus() : restore.getStatus().copy();
    this.latest = restore;
  }

  /** The spec this restore acts on: as accepted (the spec is immutable; edits are ignored). */
  PolarDBRestoreSpec spec() {
    return Optional.ofNullable(status.getAccepted()).orElse(restore.getSpec());
  }

  String uid() {
    return restore.getMetadata().getUid();
  }

  /** The tag that names this restore on the clusters it makes: what to search the console for. */
  String uidTag() {
    return dev.polardbbackup.model.NewCluster.TAG_UID + "=" + uid();
  }

  long generation() {
    return Optional.ofNullable(restore.getMetadata().getGeneration()).orElse(1L);
  }

  /**
   * Writes status now when it changed, with optimistic locking: a stale view gets a conflict (and a
   * retry) instead of overwriting newer status. Written before a CreateDBCluster, this is what
   * fences a second replica off the call.
   */
  void save() {
    if (status.equals(latest.getStatus())) {
      return;
    }
    PolarDBRestore copy = new PolarDBRestore();
    copy.setMetadata(latest.getMetadata());
    copy.setSpec(latest.getSpec());
    copy.setStatus(status.copy());
    latest = StatusWriter.update(context, latest, copy);
  }

  UpdateControl<PolarDBRestore> saveAndWait(Duration delay) {
    save();
    UpdateControl<PolarDBRestore> control = UpdateControl.noUpdate();
    return delay == null ? control : control.rescheduleAfter(delay);
  }

  void log(String format, Object... args) {
    ResourceLog.info(log, restore, format, args);
  }
}
