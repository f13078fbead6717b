package dev.polardbbackup.polardb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.emulator.EmulatorServer;
import dev.polardbbackup.emulator.MutableClock;
import dev.polardbbackup.emulator.PolarDbEmulator;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** RRSA end to end: a projected token exchanged at the emulator's STS, then used for PolarDB. */
class RrsaCredentialsTest {
  private static final String ROLE = "acs:ram::1234567890:role/polardb-backup";
  private static final String PROVIDER = "acs:ram::1234567890:oidc-provider/ack-rrsa-c1";
  // header.payload.signature, base64url: the emulator checks the shape, not the issuer.
  private static final String JWT =
      "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6eDp5In0.c2lnbmF0dXJl";

  @TempDir Path dir;
  private final MutableClock clock = MutableClock.at("2026-11-29T03:00:00Z");
  private final OkHttpClient http = new OkHttpClient();
  private PolarDbEmulator emulator;
  private EmulatorServer server;
  private Path tokenFile;

  @BeforeEach
  void start() throws IOException {
    emulator =
        PolarDbEmulator.builder()
            .clock(clock)
            .cluster("pc-rrsa1", "cn-hangzhou")
            .oidcRole(ROLE, PROVIDER)
            .stsCredentialLifetime(Duration.ofHours(1))
            .build();
    server = EmulatorServer.start(emulator, new InetSocketAddress("127.0.0.1", 0));
    tokenFile = dir.resolve("token");
    Files.writeString(tokenFile, JWT + "\n");
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private DefaultCredentialsChain chain(String role) {
    Map<String, String> env =
        Map.of(
            "ALIBABA_CLOUD_ROLE_ARN", role,
            "ALIBABA_CLOUD_OIDC_PROVIDER_ARN", PROVIDER,
            "ALIBABA_CLOUD_OIDC_TOKEN_FILE", tokenFile.toString());
    return DefaultCredentialsChain.create(Optional.empty(), env, server.baseUri(), http, clock);
  }

  private long stsCalls() {
    return emulator.ledger().callsByAction().getOrDefault("AssumeRoleWithOIDC", 0L);
  }

  @Test
  void stsCredentialsSignPolarDbCallsAndAreCachedUntilNearExpiry() throws Exception {
    DefaultCredentialsChain chain = chain(ROLE);
    PolarDbClient client =
        new PolarDbClient(server.baseUri(), chain, http, clock, CallListener.NONE);

    assertTrue(client.describeDBClusterAttribute("pc-rrsa1").isOk());
    assertTrue(client.createBackup("pc-rrsa1", "rrsa-1").isOk());
    assertEquals(1, stsCalls(), "credentials are cached between calls");
    Credentials first = chain.credentials();
    assertTrue(first.securityToken().isPresent());
    assertTrue(first.accessKeyId().startsWith("STS."));

    clock.advance(Duration.ofMinutes(50)); // inside the 15-minute refresh margin
    assertTrue(client.describeDBClusterAttribute("pc-rrsa1").isOk());
    assertEquals(2, stsCalls());
    assertFalse(first.accessKeyId().equals(chain.credentials().accessKeyId()));
  }

  @Test
  void expiredStsTokenIsRefreshedAndTheCallRetriedOnce() throws Exception {
    CredentialsProvider stale =
        new CredentialsProvider() {
          private final DefaultCredentialsChain inner = chain(ROLE);
          private Credentials remembered;

          @Override
          public Credentials credentials() throws CredentialsException {
            if (remembered == null) {
              remembered = inner.credentials();
            }
            return remembered;
          }

          @Override
          public void invalidate() {
            remembered = null;
            inner.invalidate();
          }
        };
    PolarDbClient client =
        new PolarDbClient(server.baseUri(), stale, http, clock, CallListener.NONE);
    assertTrue(client.describeDBClusterAttribute("pc-rrsa1").isOk());

    clock.advance(Duration.ofMinutes(61));

    assertTrue(client.describeDBClusterAttribute("pc-rrsa1").isOk());
    assertEquals(2, stsCalls());
  }

  @Test
  void untrustedRoleIsAClearCredentialsError() {
    CredentialsException e =
        assertThrows(
            CredentialsException.class, () -> chain("acs:ram::1:role/other").credentials());
    assertTrue(e.getMessage().contains("acs:ram::1:role/other"), e.getMessage());
    assertTrue(e.getMessage().contains("AssumeRoleWithOIDC"), e.getMessage());
    assertFalse(e.getMessage().contains(JWT), "the OIDC token must not appear in errors");
  }

  @Test
  void tokenFileIsReadAgainOnEveryExchange() throws Exception {
    DefaultCredentialsChain chain = chain(ROLE);
    chain.credentials();
    Files.writeString(tokenFile, "not-a-jwt");
    chain.invalidate();

    CredentialsException e = assertThrows(CredentialsException.class, chain::credentials);
    assertFalse(e.getMessage().contains("not-a-jwt"));
  }
}
