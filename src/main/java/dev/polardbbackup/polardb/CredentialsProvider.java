package dev.polardbbackup.polardb;

/** Supplies the credential for the next call; may cache and refresh temporary ones. */
public interface CredentialsProvider {

  Credentials credentials() throws CredentialsException;

  /** Forget a cached temporary credential (the service said it expired). */
  default void invalidate() {}

  /** A fixed key pair, such as one read from a Kubernetes Secret. */
  static CredentialsProvider of(Credentials credentials) {
    return () -> credentials;
  }
}
