package dev.polardbbackup.kube;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes Events on a resource, so {@code kubectl describe} tells the user what the log tells
 * the operator's owner. An event that cannot be written is logged, never fatal.
 */
public final class Events {
  private static final Logger log = LoggerFactory.getLogger(Events.class);
  public static final String COMPONENT = "polardb-backup-operator";

  /**
   * Where Events about a cluster-scoped object (a Namespace) go, as kubectl and client-go put them:
   * such an object has no namespace of its own.
   */
  static final String CLUSTER_SCOPED_EVENTS_NAMESPACE = "default";

  /** A DNS subdomain, which an Event's name must be, has at most 253 characters. */
  static final int MAX_NAME = 253;

  private final KubernetesClient client;
  private final Clock clock;

  public Events(KubernetesClient client, Clock clock) {
    this.client = client;
    this.clock = clock;
  }

  public void normal(HasMetadata resource, String reason, String message) {
    record(resource, "Normal", reason, message);
  }

  public void warning(HasMetadata resource, String reason, String message) {
    record(resource, "Warning", reason, message);
  }

  /**
   * The name of one Event about the object {@code objectName}: {@code <objectName>.<unique>}, as
   * kubectl and client-go name theirs, while that fits the 253 characters of a DNS subdomain. An
   * object name can itself be 253 characters long: then the name is cut, ends on a letter or digit,
   * and carries a hash of the whole object name, so that Events of two long names that share their
   * first 200 characters still tell which object they are about. (The core/v1 Events API lets a
   * longer name through for backward compatibility, but events.k8s.io/v1 refuses it, and so may
   * admission policies and tools that expect every name to be a DNS subdomain.)
   *
   * @param unique lowercase letters, digits and '-', starting and ending with a letter or digit
   */
  public static String eventName(String objectName, String unique) {
    String whole = objectName + "." + unique;
    if (whole.length() <= MAX_NAME) {
      return whole;
    }
    String hash = hash(objectName);
    int room = MAX_NAME - unique.length() - hash.length() - 2;
    String head = objectName.substring(0, Math.min(room, objectName.length()));
    int end = head.length();
    while (end > 0 && !Character.isLetterOrDigit(head.charAt(end - 1))) {
      end--;
    }
    return head.substring(0, end) + "-" + hash + "." + unique;
  }

  private static String hash(String name) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 5);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  private void record(HasMetadata resource, String type, String reason, String message) {
    String now = clock.instant().toString();
    var meta = resource.getMetadata();
    String namespace =
        meta.getNamespace() == null ? CLUSTER_SCOPED_EVENTS_NAMESPACE : meta.getNamespace();
    var event =
        new EventBuilder()
            .withNewMetadata()
            .withNamespace(namespace)
            .withName(eventName(meta.getName(), UUID.randomUUID().toString().substring(0, 13)))
            .endMetadata()
            .withInvolvedObject(
                new ObjectReferenceBuilder()
                    .withApiVersion(resource.getApiVersion())
                    .withKind(resource.getKind())
                    .withNamespace(meta.getNamespace())
                    .withName(meta.getName())
                    .withUid(meta.getUid())
                    .withResourceVersion(meta.getResourceVersion())
                    .build())
            .withType(type)
            .withReason(reason)
            .withMessage(message.length() > 1000 ? message.substring(0, 1000) : message)
            .withFirstTimestamp(now)
            .withLastTimestamp(now)
            .withCount(1)
            .withNewSource(COMPONENT, null)
            .withReportingComponent(COMPONENT)
            .build();
    try {
      client.v1().events().inNamespace(namespace).resource(event).create();
    } catch (KubernetesClientException e) {
      log.warn(
          "{}/{}: could not record event {}: {}",
          namespace,
          meta.getName(),
          reason,
          e.getMessage());
    }
  }
}
