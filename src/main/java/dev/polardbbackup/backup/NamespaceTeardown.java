package dev.polardbbackup.backup;

import dev.polardbbackup.kube.Events;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupStatus;
import dev.polardbbackup.model.Reasons;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletion while the backup's namespace is being deleted: a team's own Secret goes with the
 * namespace, so waiting for it would only hold the namespace until the deletion timeout.
 */
final class NamespaceTeardown {
  // The reconciler's logger: this phase's lines are the reconciler's.
  private static final Logger log = LoggerFactory.getLogger(PolarDBBackupReconciler.class);
  private final Events events;

  NamespaceTeardown(Events events) {
    this.events = events;
  }

  /**
   * Whether the backup's namespace is being deleted. Then its Secret will not come back, and
   * waiting for it would only hold the namespace until the deletion timeout. (A GET: Namespaces are
   * not cached. An answer other than yes, a refusal included, keeps the usual wait.)
   */
  Optional<Namespace> beingDeleted(BackupPass step) {
    String namespace = step.backup.getMetadata().getNamespace();
    try {
      return Optional.ofNullable(step.context.getClient().namespaces().withName(namespace).get())
          .filter(ns -> ns.getMetadata().getDeletionTimestamp() != null);
    } catch (KubernetesClientException e) {
      step.log(
          "could not tell whether namespace {} is being deleted: {}", namespace, e.getMessage());
      return Optional.empty();
    }
  }

  /**
   * The namespace is being deleted and the Secret is gone anyway (its finalizer was removed by
   * hand, or it never had one): the cloud backup cannot be deleted. Release at once and leave a
   * record of what was left: a Warning on the backup (which a terminating namespace may refuse),
   * one on the Namespace (in namespace default, where Events about cluster-scoped objects go) and a
   * WARN line in the log.
   */
  DeleteControl leftBehind(BackupPass step, Namespace terminating) {
    PolarDBBackup backup = step.backup;
    PolarDBBackupStatus status = backup.getStatus();
    String namespace = backup.getMetadata().getNamespace();
    String message =
        "Namespace "
            + namespace
            + " is being deleted and Secret "
            + namespace
            + "/"
            + backup.getSpec().credentialsSecretRef().name()
            + " is gone or unusable, so PolarDBBackup "
            + backup.getMetadata().getName()
            + " could not delete its cloud backup "
            + DeletionPhase.describeBackup(status)
            + (status.getBackupJobId() != null ? " (job " + status.getBackupJobId() + ")" : "")
            + " of cluster "
            + step.clusterId()
            + " in "
            + step.regionId()
            + "; it was left undeleted. Delete it by hand in the PolarDB console.";
    events.warning(backup, Reasons.BACKUP_LEFT_UNDELETED, message);
    events.warning(terminating, Reasons.BACKUP_LEFT_UNDELETED, message);
    log.warn("{}/{}: {}", namespace, backup.getMetadata().getName(), message);
    return DeleteControl.defaultDelete();
  }
}
