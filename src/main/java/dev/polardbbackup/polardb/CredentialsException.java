package dev.polardbbackup.polardb;

/**
 * No usable credential could be had. The message names the source that was tried and what was wrong
 * with it, never a secret.
 */
public class CredentialsException extends Exception {
  public CredentialsException(String message) {
    super(message);
  }
}
