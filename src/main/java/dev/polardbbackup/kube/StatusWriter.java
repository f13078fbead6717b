package dev.polardbbackup.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.event.ResourceID;

/**
 * Writes a resource's status the way both controllers need it: through the status subresource, with
 * optimistic locking on the resourceVersion read (a stale view gets a conflict and a retry instead
 * of overwriting newer status), and into the controller's cache at once, so that the next reconcile
 * sees what was written.
 */
public final class StatusWriter {
  private StatusWriter() {}

  /**
   * @param read the resource as this reconcile read it
   * @param withNewStatus the same resource (metadata of {@code read}) carrying the status to write
   * @return the resource as the API server stored it
   */
  public static <R extends HasMetadata> R update(Context<R> context, R read, R withNewStatus) {
    try {
      R updated = context.getClient().resource(withNewStatus).updateStatus();
      context
          .eventSourceRetriever()
          .getControllerEventSource()
          .handleRecentResourceUpdate(ResourceID.fromResource(read), updated, read);
      return updated;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        throw new StaleStatusException(read, e);
      }
      throw e;
    }
  }

  /** Our view of the status was older than the server's; the framework retries with a fresh one. */
  public static final class StaleStatusException extends RuntimeException {
    StaleStatusException(HasMetadata resource, Throwable cause) {
      super(
          "status of "
              + resource.getMetadata().getNamespace()
              + "/"
              + resource.getMetadata().getName()
              + " changed since it was read; reconciling again",
          cause);
    }
  }
}
