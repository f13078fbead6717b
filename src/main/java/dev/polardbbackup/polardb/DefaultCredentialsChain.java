package dev.polardbbackup.polardb;

import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import okhttp3.OkHttpClient;

/**
 * Alibaba's default credential chain, in the order users expect: an explicit key pair from the
 * caller, then {@code ALIBABA_CLOUD_ACCESS_KEY_ID}/{@code ALIBABA_CLOUD_ACCESS_KEY_SECRET} (+
 * {@code ALIBABA_CLOUD_SECURITY_TOKEN}), then RRSA ({@code ALIBABA_CLOUD_ROLE_ARN}, {@code
 * ALIBABA_CLOUD_OIDC_PROVIDER_ARN}, {@code ALIBABA_CLOUD_OIDC_TOKEN_FILE}). The first source that
 * is configured at all is the one used: a half-configured source is an error naming what is
 * missing, rather than a silent fall-through to another identity.
 */
public final class DefaultCredentialsChain implements CredentialsProvider {

  public static final String ENV_ACCESS_KEY_ID = "ALIBABA_CLOUD_ACCESS_KEY_ID";
  public static final String ENV_ACCESS_KEY_SECRET = "ALIBABA_CLOUD_ACCESS_KEY_SECRET";
  public static final String ENV_SECURITY_TOKEN = "ALIBABA_CLOUD_SECURITY_TOKEN";
  public static final String ENV_ROLE_ARN = "ALIBABA_CLOUD_ROLE_ARN";
  public static final String ENV_OIDC_PROVIDER_ARN = "ALIBABA_CLOUD_OIDC_PROVIDER_ARN";
  public static final String ENV_OIDC_TOKEN_FILE = "ALIBABA_CLOUD_OIDC_TOKEN_FILE";
  public static final String ENV_ROLE_SESSION_NAME = "ALIBABA_CLOUD_ROLE_SESSION_NAME";
  public static final URI DEFAULT_STS_ENDPOINT = URI.create("https://sts.aliyuncs.com");

  private final CredentialsProvider selected;
  private final String notConfigured;

  private DefaultCredentialsChain(CredentialsProvider selected, String notConfigured) {
    this.selected = selected;
    this.notConfigured = notConfigured;
  }

  /**
   * @param explicit a key pair handed in by the caller, if any
   * @param env the process environment (injected for tests)
   */
  public static DefaultCredentialsChain create(
      Optional<Credentials> explicit,
      Map<String, String> env,
      URI stsEndpoint,
      OkHttpClient http,
      Clock clock) {
    if (explicit.isPresent()) {
      return new DefaultCredentialsChain(CredentialsProvider.of(explicit.get()), null);
    }
    List<String> tried = new ArrayList<>();
    tried.add("explicit key pair (none given)");

    String keyId = env.get(ENV_ACCESS_KEY_ID);
    String secret = env.get(ENV_ACCESS_KEY_SECRET);
    if (present(keyId) || present(secret)) {
      if (!present(keyId) || !present(secret)) {
        String missing = present(keyId) ? ENV_ACCESS_KEY_SECRET : ENV_ACCESS_KEY_ID;
        return broken("environment credentials: " + missing + " is not set");
      }
      Credentials credentials =
          new Credentials(
              keyId.trim(),
              secret.trim(),
              Optional.ofNullable(env.get(ENV_SECURITY_TOKEN)),
              "environment");
      return new DefaultCredentialsChain(CredentialsProvider.of(credentials), null);
    }
    tried.add("environment (" + ENV_ACCESS_KEY_ID + " not set)");

    String roleArn = env.get(ENV_ROLE_ARN);
    String providerArn = env.get(ENV_OIDC_PROVIDER_ARN);
    String tokenFile = env.get(ENV_OIDC_TOKEN_FILE);
    if (present(roleArn) || present(providerArn) || present(tokenFile)) {
      List<String> missing = new ArrayList<>();
      if (!present(roleArn)) missing.add(ENV_ROLE_ARN);
      if (!present(providerArn)) missing.add(ENV_OIDC_PROVIDER_ARN);
      if (!present(tokenFile)) missing.add(ENV_OIDC_TOKEN_FILE);
      if (!missing.isEmpty()) {
        return broken("RRSA credentials: " + String.join(", ", missing) + " not set");
      }
      String sessionName = env.getOrDefault(ENV_ROLE_SESSION_NAME, "polardb-backup-operator");
      return new DefaultCredentialsChain(
          new OidcRoleCredentialsProvider(
              roleArn.trim(),
              providerArn.trim(),
              Path.of(tokenFile.trim()),
              sessionName,
              Duration.ofHours(1),
              stsEndpoint,
              http,
              clock),
          null);
    }
    tried.add("RRSA (" + ENV_ROLE_ARN + " not set)");
    return broken("no Alibaba Cloud credentials found; tried " + String.join(", ", tried));
  }

  private static DefaultCredentialsChain broken(String message) {
    return new DefaultCredentialsChain(null, message);
  }

  private static boolean present(String value) {
    return value != null && !value.isBlank();
  }

  @Override
  public Credentials credentials() throws CredentialsException {
    if (selected == null) {
      throw new CredentialsException(notConfigured);
    }
    return selected.credentials();
  }

  @Override
  public void invalidate() {
    if (selected != null) {
      selected.invalidate();
    }
  }
}
