package dev.polardbbackup.polardb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;

class CredentialsChainTest {
  private final OkHttpClient http = new OkHttpClient();
  private final URI sts = URI.create("http://127.0.0.1:9");

  private DefaultCredentialsChain chain(Optional<Credentials> explicit, Map<String, String> env) {
    return DefaultCredentialsChain.create(explicit, env, sts, http, Clock.systemUTC());
  }

  @Test
  void explicitKeyPairWinsOverEnvironment() throws Exception {
    Map<String, String> env =
        Map.of(
            "ALIBABA_CLOUD_ACCESS_KEY_ID", "envId", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "envSecret");
    Credentials explicit = Credentials.of("secretRefId", "secretRefSecret", "Secret ns/creds");

    assertEquals("secretRefId", chain(Optional.of(explicit), env).credentials().accessKeyId());
  }

  @Test
  void environmentKeysWithOptionalStsToken() throws Exception {
    Map<String, String> env =
        Map.of(
            "ALIBABA_CLOUD_ACCESS_KEY_ID", "envId",
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "envSecret",
            "ALIBABA_CLOUD_SECURITY_TOKEN", "stsToken");

    Credentials c = chain(Optional.empty(), env).credentials();

    assertEquals("envId", c.accessKeyId());
    assertEquals(Optional.of("stsToken"), c.securityToken());
    assertEquals("environment", c.source());
  }

  @Test
  void halfConfiguredEnvironmentNamesTheMissingVariable() {
    Map<String, String> env = Map.of("ALIBABA_CLOUD_ACCESS_KEY_ID", "envId");

    CredentialsException e =
        assertThrows(CredentialsException.class, () -> chain(Optional.empty(), env).credentials());

    assertTrue(e.getMessage().contains("ALIBABA_CLOUD_ACCESS_KEY_SECRET"), e.getMessage());
  }

  @Test
  void halfConfiguredRrsaNamesEveryMissingVariable() {
    Map<String, String> env = Map.of("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1:role/x");

    CredentialsException e =
        assertThrows(CredentialsException.class, () -> chain(Optional.empty(), env).credentials());

    assertTrue(e.getMessage().contains("ALIBABA_CLOUD_OIDC_PROVIDER_ARN"), e.getMessage());
    assertTrue(e.getMessage().contains("ALIBABA_CLOUD_OIDC_TOKEN_FILE"), e.getMessage());
  }

  @Test
  void nothingConfiguredListsEverySourceTried() {
    CredentialsException e =
        assertThrows(
            CredentialsException.class,
            () -> chain(Optional.empty(), new HashMap<>()).credentials());

    assertTrue(e.getMessage().contains("explicit"), e.getMessage());
    assertTrue(e.getMessage().contains("ALIBABA_CLOUD_ACCESS_KEY_ID"), e.getMessage());
    assertTrue(e.getMessage().contains("ALIBABA_CLOUD_ROLE_ARN"), e.getMessage());
  }

  @Test
  void unreadableTokenFileIsNamedInTheError() {
    Map<String, String> env =
        Map.of(
            "ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1:role/x",
            "ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "acs:ram::1:oidc-provider/p",
            "ALIBABA_CLOUD_OIDC_TOKEN_FILE", "/nonexistent/token");

    CredentialsException e =
        assertThrows(CredentialsException.class, () -> chain(Optional.empty(), env).credentials());

    assertTrue(e.getMessage().contains("/nonexistent/token"), e.getMessage());
  }

  @Test
  void credentialsNeverPrintTheirSecrets() {
    Credentials c =
        new Credentials("LTAIid", "topSecretValue", Optional.of("stsTokenValue"), "environment");

    assertFalse(c.toString().contains("topSecretValue"));
    assertFalse(c.toString().contains("stsTokenValue"));
    assertTrue(c.toString().contains("LTAIid"));
  }
}
