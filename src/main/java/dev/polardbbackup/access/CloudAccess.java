package dev.polardbbackup.access;

import dev.polardbbackup.model.GrantedAction;
import dev.polardbbackup.model.PolarDBAccessGrant;
import dev.polardbbackup.model.Reasons;
import dev.polardbbackup.model.SecretReference;
import dev.polardbbackup.polardb.CredentialsProvider;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * Whether one object may act on a PolarDB cluster, and with which credentials, for one reconcile:
 * its own Secret ({@code credentialsSecretRef}; then Alibaba's RAM decides), or a {@link
 * PolarDBAccessGrant} that selects its namespace, covers the cluster and lists every action it
 * needs (then the grant's Secret in the operator's namespace, or the operator's own identity).
 * Every lifecycle that calls PolarDB asks this before its first call.
 */
public final class CloudAccess {

  /**
   * What this process decides with: the operator's identity, the Secrets it reads one by one, the
   * namespace that grants' Secrets live in (null when unknown), the grants and namespace labels as
   * the controller's informers hold them, and the objects waiting for a grant (a change of grants
   * or namespaces wakes them).
   */
  public record Sources(
      CredentialsProvider operatorCredentials,
      SecretReader secrets,
      String operatorNamespace,
      Supplier<Stream<PolarDBAccessGrant>> grants,
      Function<String, Map<String, String>> namespaceLabels,
      Set<ResourceID> awaitingGrant,
      java.util.function.BooleanSupplier grantsKnown) {}

  /**
   * The grants cannot be read right now: the informers that hold them are not running or have not
   * listed yet (the operator is starting or, more often, stopping: JOSDK empties an informer's
   * cache when it stops it, while reconciles may still be running). Nothing may be decided from an
   * empty view, least of all a refusal that lets a deletion keep a cloud backup; the pass is tried
   * again.
   */
  public static final class GrantsUnknownException extends RuntimeException {
    GrantsUnknownException() {
      super("the PolarDBAccessGrants are not known right now (informers stopped or not synced)");
    }
  }

  /** The credentials to call with, or why there are none. */
  public sealed interface Credential {}

  /**
   * Credentials to use. {@code secret} is the Secret they were read from, if any; {@code own} says
   * whether it is the object's own Secret (which goes with its namespace) rather than a grant's.
   */
  public record Usable(CredentialsProvider provider, Optional<Secret> secret, boolean own)
      implements Credential {}

  /** No usable credentials: a reason (a {@link Reasons} constant) and a message for the user. */
  public record Unusable(String reason, String message) implements Credential {}

  private final Sources sources;
  private final HasMetadata object;
  private final SecretReference ownSecret;
  // The grant that allowed this pass's calls; null with the object's own credentials.
  private PolarDBAccessGrant grant;
  // The resourceVersion of the Secret whose credentials this pass uses, if any.
  private String secretVersion;

  public CloudAccess(Sources sources, HasMetadata object, SecretReference ownSecret) {
    this.sources = sources;
    this.object = object;
    this.ownSecret = ownSecret;
  }

  /**
   * Why this object may not take {@code actions} on the cluster, or empty when it may: it has its
   * own credentials, or a grant allows them (remembered for {@link #credential}). The object joins
   * the waiters before the grants are read, so that a change its read missed still wakes it.
   */
  public Optional<String> refusal(String regionId, String dbClusterId, Set<GrantedAction> actions) {
    if (ownSecret != null) {
      return Optional.empty();
    }
    if (!sources.grantsKnown().getAsBoolean()) {
      throw new GrantsUnknownException();
    }
    String namespace = object.getMetadata().getNamespace();
    ResourceID id = ResourceID.fromResource(object);
    sources.awaitingGrant().add(id);
    AccessGrants.Decision decision =
        AccessGrants.decide(
            sources.grants().get(),
            sources.namespaceLabels().apply(namespace),
            new AccessGrants.Request(namespace, regionId, dbClusterId, actions));
    if (decision instanceof AccessGrants.Granted granted) {
      grant = granted.grant();
      sources.awaitingGrant().remove(id);
      return Optional.empty();
    }
    return Optional.of(((AccessGrants.Refused) decision).message());
  }

  /**
   * The credentials for this object's calls, once {@link #refusal} found none. {@code keepOwn} may
   * replace the object's own Secret before its first use (e.g. to add a finalizer that keeps it); a
   * grant's Secret is used as read. A Secret that is missing or unusable is read again at the next
   * attempt, not after the rest of its time in the cache.
   */
  public Credential credential(UnaryOperator<Secret> keepOwn) {
    if (ownSecret == null && grant == null) {
      throw new IllegalStateException("credential() before a granted refusal()");
    }
    if (ownSecret == null && grant.getSpec().lendsOperatorIdentity()) {
      return new Usable(sources.operatorCredentials(), Optional.empty(), false);
    }
    // The team's own Secret, or the one a grant names in the operator's namespace.
    boolean own = ownSecret != null;
    String namespace = own ? object.getMetadata().getNamespace() : sources.operatorNamespace();
    String name = own ? ownSecret.name() : grant.getSpec().credentials().secretName();
    if (namespace == null) {
      return new Unusable(
          Reasons.SECRET_NOT_FOUND,
          "PolarDBAccessGrant "
              + grant.getMetadata().getName()
              + " names a Secret in the operator's namespace, which this operator does not"
              + " know: run it with --operator-namespace or POD_NAMESPACE.");
    }
    Optional<Secret> secret = sources.secrets().get(namespace, name);
    SecretCredentials.Resolved resolved = SecretCredentials.from(secret, namespace, name);
    if (resolved.credentials().isPresent()) {
      Secret used = own ? keepOwn.apply(secret.get()) : secret.get();
      secretVersion = used.getMetadata().getResourceVersion();
      return new Usable(
          resolved.credentials().map(CredentialsProvider::of).get(), Optional.of(used), own);
    }
    secret.ifPresent(
        s -> sources.secrets().forget(namespace, name, s.getMetadata().getResourceVersion()));
    return new Unusable(resolved.reason(), resolved.problem());
  }

  /**
   * PolarDB refused the credentials of this pass: the Secret they came from is read again at the
   * next attempt. False when they were the operator's own (no Secret to read again).
   */
  public boolean forgetRefusedSecret() {
    if (ownSecret != null) {
      sources
          .secrets()
          .forget(object.getMetadata().getNamespace(), ownSecret.name(), secretVersion);
      return true;
    }
    if (grant != null && !grant.getSpec().lendsOperatorIdentity()) {
      sources
          .secrets()
          .forget(
              sources.operatorNamespace(),
              grant.getSpec().credentials().secretName(),
              secretVersion);
      return true;
    }
    return false;
  }

  /**
   * Which identity this object's calls use, as a key: looks shared per cluster must be shared only
   * among calls of one identity, so that no object sees what another credential was allowed to see.
   */
  public String identityKey() {
    if (ownSecret != null) {
      return "secret:" + object.getMetadata().getNamespace() + "/" + ownSecret.name();
    }
    if (grant != null && !grant.getSpec().lendsOperatorIdentity()) {
      return "grant-secret:" + grant.getSpec().credentials().secretName();
    }
    return "operator";
  }
}
