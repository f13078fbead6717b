package dev.polardbbackup.backup;

import dev.polardbbackup.access.SecretReader;
import dev.polardbbackup.kube.ResourceLog;
import dev.polardbbackup.model.DeletionPolicy;
import dev.polardbbackup.model.PolarDBBackup;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a credentials Secret while a PolarDBBackup with deletionPolicy Delete may still need it to
 * delete its cloud backup. When a namespace is deleted, Kubernetes deletes its Secrets and its
 * PolarDBBackups at once; without this, the Secret went first and every backup of the namespace
 * waited for it until the deletion timeout, leaving its cloud backup behind.
 *
 * <p>The finalizer {@value #FINALIZER} goes on the Secret before the first cloud call made with it
 * for such a backup, and comes off when the last backup that may still need it has finished its own
 * deletion. Which backups may still need it is decided from a fresh list of the namespace's
 * PolarDBBackups and this process's cache, under a lock per Secret that adding takes too, so that a
 * backup this process has started to work with is never missed.
 */
final class CredentialsInUse {
  static final String FINALIZER = "polardbbackup.dev/credentials-in-use";
  private static final Logger log = LoggerFactory.getLogger(CredentialsInUse.class);
  private static final int LOCKS = 64;

  private final SecretReader secrets;
  private final Object[] locks = new Object[LOCKS];
  // Backups (by uid, with their namespace) whose own deletion is done while their finalizer may
  // still show: they no longer need any Secret.
  private final Map<String, String> finished = new ConcurrentHashMap<>();

  CredentialsInUse(SecretReader secrets) {
    this.secrets = secrets;
    for (int i = 0; i < LOCKS; i++) {
      locks[i] = new Object();
    }
  }

  /** Whether {@code backup} makes its Secret (if any) worth keeping. */
  static boolean needsItsSecretKept(PolarDBBackup backup) {
    return backup.getSpec() != null
        && backup.getSpec().credentialsSecretRef() != null
        && backup.getSpec().effectiveDeletionPolicy() == DeletionPolicy.Delete;
  }

  /**
   * The Secret of {@code backup} with the finalizer on it, added now if missing (unless the Secret
   * is already being deleted: then it stays as it is).
   */
  Secret protect(PolarDBBackup backup, Secret secret) {
    if (!needsItsSecretKept(backup) || hasFinalizer(secret)) {
      return secret;
    }
    synchronized (lockFor(secret.getMetadata().getNamespace(), secret.getMetadata().getName())) {
      Secret kept = secrets.addFinalizer(secret, FINALIZER);
      if (hasFinalizer(kept) && !hasFinalizer(secret)) {
        ResourceLog.info(
            log,
            backup,
            "keeping Secret {} while this backup may need it (finalizer {})",
            secret.getMetadata().getName(),
            FINALIZER);
      }
      return kept;
    }
  }

  /**
   * {@code gone} has finished its deletion (its finalizer goes next): takes the finalizer off its
   * Secret unless another PolarDBBackup may still need it. {@code cached} is this process's view of
   * all PolarDBBackups; the namespace's are also listed fresh from the API server.
   */
  void released(KubernetesClient client, PolarDBBackup gone, Stream<PolarDBBackup> cached) {
    if (!needsItsSecretKept(gone)) {
      return;
    }
    String namespace = gone.getMetadata().getNamespace();
    String name = gone.getSpec().credentialsSecretRef().name();
    synchronized (lockFor(namespace, name)) {
      try {
        Map<String, PolarDBBackup> all = new HashMap<>();
        cached
            .filter(b -> namespace.equals(b.getMetadata().getNamespace()))
            .forEach(b -> all.put(b.getMetadata().getUid(), b));
        client
            .resources(PolarDBBackup.class)
            .inNamespace(namespace)
            .list()
            .getItems()
            .forEach(b -> all.put(b.getMetadata().getUid(), b));
        // Backups listed nowhere any more need no memory of having finished.
        finished
            .entrySet()
            .removeIf(e -> namespace.equals(e.getValue()) && !all.containsKey(e.getKey()));
        finished.put(gone.getMetadata().getUid(), namespace);
        boolean stillNeeded =
            all.values().stream()
                .filter(b -> !finished.containsKey(b.getMetadata().getUid()))
                .filter(b -> !(b.isMarkedForDeletion() && hasNoFinalizers(b)))
                .filter(CredentialsInUse::needsItsSecretKept)
                .anyMatch(b -> name.equals(b.getSpec().credentialsSecretRef().name()));
        if (stillNeeded) {
          return;
        }
        secrets.removeFinalizer(namespace, name, FINALIZER);
        ResourceLog.info(
            log, gone, "no backup needs Secret {} any more; finalizer {} removed", name, FINALIZER);
      } catch (RuntimeException e) {
        // It will run again: the backup keeps its own finalizer until this has worked.
        finished.remove(gone.getMetadata().getUid());
        throw e;
      }
    }
  }

  private static boolean hasFinalizer(Secret secret) {
    var finalizers = secret.getMetadata().getFinalizers();
    return finalizers != null && finalizers.contains(FINALIZER);
  }

  private static boolean hasNoFinalizers(PolarDBBackup b) {
    return b.getMetadata().getFinalizers() == null || b.getMetadata().getFinalizers().isEmpty();
  }

  private Object lockFor(String namespace, String name) {
    return locks[Math.floorMod(Objects.hash(namespace, name), LOCKS)];
  }

  /** For tests: the backups remembered as finished. */
  Set<String> finishedBackups() {
    return Set.copyOf(finished.keySet());
  }
}
