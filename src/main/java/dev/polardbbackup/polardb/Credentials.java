package dev.polardbbackup.polardb;

import java.util.Optional;

/**
 * An access key pair, with the STS security token when it is temporary. {@link #toString()} shows
 * only the key id, so a credential logged by mistake leaks nothing secret.
 */
public record Credentials(
    String accessKeyId, String accessKeySecret, Optional<String> securityToken, String source) {

  public Credentials {
    if (accessKeyId == null || accessKeyId.isBlank()) {
      throw new IllegalArgumentException("accessKeyId is empty");
    }
    if (accessKeySecret == null || accessKeySecret.isBlank()) {
      throw new IllegalArgumentException("accessKeySecret is empty");
    }
    securityToken =
        securityToken == null ? Optional.empty() : securityToken.filter(t -> !t.isBlank());
  }

  public static Credentials of(String accessKeyId, String accessKeySecret, String source) {
    return new Credentials(accessKeyId, accessKeySecret, Optional.empty(), source);
  }

  @Override
  public String toString() {
    return "Credentials[accessKeyId="
        + accessKeyId
        + ", accessKeySecret=***, securityToken="
        + (securityToken.isPresent() ? "***" : "none")
        + ", source="
        + source
        + "]";
  }
}
