package dev.polardbbackup.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.access.SecretCredentials;
import dev.polardbbackup.model.Phase;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.Reasons;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Broken Secrets, each read by a running operator: a specific reason and a message naming the key
 * in status, event and log, and never a value of the Secret there, nor in an exception the
 * framework logs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecretCredentialsTest {
  private static final String SECRET_VALUE = "s3cr3t-value";

  // Status writes with a stale resourceVersion get 409 here, as from a real API server.
  private final KubernetesMockServer server = StrictMockServer.start();
  private final KubernetesClient client = server.createClient();
  private OperatorHarness harness;

  @BeforeAll
  void startOperator() throws Exception {
    harness =
        new OperatorHarness(
                client, OperatorHarness.emulator().build(), OperatorHarness.fastSettings())
            .start();
  }

  @AfterAll
  void stopOperator() {
    if (harness != null) {
      harness.close();
    }
    client.close();
    StrictMockServer.stop(server);
  }

  private static String b64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  private static Secret secret(Map<String, String> data) {
    return new SecretBuilder()
        .withNewMetadata()
        .withName("creds")
        .endMetadata()
        .withData(data)
        .build();
  }

  /**
   * In {@code spec}, {@code SECRET} stands for a value this row alone uses (a canary that must not
   * come out anywhere), {@code B64:x} for x base64-encoded as Kubernetes stores it, a value that
   * starts with {@code @} is stored as is (not base64), anything else is base64-encoded; {@code \n}
   * is a newline.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "key name misspelt           | accessKeyId=LTAIabc;accessKeysecret=SECRET              | key accessKeySecret is missing",
        "only environment-style keys | ALIBABA_CLOUD_ACCESS_KEY_ID=LTAIabc;ALIBABA_CLOUD_ACCESS_KEY_SECRET=SECRET | key accessKeyId is missing",
        "accessKeyId not base64      | accessKeyId=@@@not-base64@@@;accessKeySecret=SECRET     | key accessKeyId is not valid base64",
        "empty secret, token given   | accessKeyId=LTAIabc;accessKeySecret=;securityToken=SECRET | key accessKeySecret is empty",
        "secret with inner space     | accessKeyId=LTAIabc;accessKeySecret=B64:SECRET SECRET   | key accessKeySecret contains whitespace",
        "non-ASCII key id            | accessKeyId=B64:LTAIé;accessKeySecret=SECRET            | key accessKeyId contains whitespace or non-ASCII",
        "empty security token        | accessKeyId=LTAIabc;accessKeySecret=SECRET;securityToken= | key securityToken is empty",
        "security token with newline | accessKeyId=LTAIabc;accessKeySecret=SECRET;securityToken=B64:SECRET\\nSECRET | key securityToken contains whitespace",
      })
  void brokenSecretsAreNamedPreciselyWithoutTheirValues(String what, String spec, String expected) {
    String row = what.toLowerCase(Locale.ROOT).replaceAll("[^a-z]+", "-").replaceAll("^-|-$", "");
    String canary = "canary-" + UUID.randomUUID().toString().substring(0, 8);
    Map<String, String> data = new HashMap<>();
    for (String pair : spec.split(";")) {
      String[] kv = pair.split("=", 2);
      String value = kv[1].replace("SECRET", canary).replace("\\n", "\n");
      if (value.startsWith("B64:")) {
        value = b64(value.substring(4));
      } else if (!value.startsWith("@")) {
        value = b64(value);
      }
      data.put(kv[0], value);
    }
    assertTrue(spec.contains("SECRET"), what + ": every row carries a secret value");

    try (CapturedLogs logs = CapturedLogs.open()) {
      client
          .resource(
              new SecretBuilder()
                  .withNewMetadata()
                  .withName(row)
                  .withNamespace(OperatorHarness.NAMESPACE)
                  .endMetadata()
                  .withData(data)
                  .build())
          .create();
      harness.createWithSecret(row, row);

      PolarDBBackup waiting = harness.awaitReason(row, Reasons.SECRET_INVALID);

      assertEquals(Phase.Pending, waiting.getStatus().getPhase(), what);
      String message = waiting.getStatus().getMessage();
      assertTrue(message.contains(expected), what + ": " + message);
      List<Event> events = harness.events(row);
      assertTrue(
          events.stream()
              .anyMatch(
                  e ->
                      Reasons.SECRET_INVALID.equals(e.getReason())
                          && e.getMessage().contains(expected)),
          what + ": an event names the key: " + events);
      // The capture is live: the operator's own line about this resource is in it.
      assertFalse(
          logs.linesContaining(OperatorHarness.NAMESPACE + "/" + row + ": ").stream()
              .filter(l -> l.contains(expected))
              .toList()
              .isEmpty(),
          what + ": the operator logged the problem: " + logs.lines());

      String everything =
          Serialization.asJson(harness.get(row))
              + Serialization.asJson(
                  client.v1().events().inNamespace(OperatorHarness.NAMESPACE).list().getItems())
              + String.join("\n", logs.lines());
      for (String leak : forms(canary, data)) {
        assertFalse(
            everything.contains(leak),
            what + ": a secret value (" + leak + ") is in status, an event or the log");
      }
    }
  }

  /**
   * The canary, and every stored value of the Secret that holds it, decoded and as stored, and the
   * canary's base64 (a Secret or its data logged whole would show that). Identifiers and values
   * that hold no canary (the key id) are not secret.
   */
  private static List<String> forms(String canary, Map<String, String> data) {
    List<String> forms = new ArrayList<>(List.of(canary, b64(canary)));
    for (String stored : data.values()) {
      String decoded;
      try {
        decoded = new String(Base64.getDecoder().decode(stored), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException notBase64) {
        decoded = stored;
      }
      if (decoded.contains(canary)) {
        forms.add(stored);
        forms.add(decoded.strip());
      }
    }
    return forms;
  }

  @Test
  void missingSecretIsSecretNotFound() {
    SecretCredentials.Resolved resolved = SecretCredentials.from(Optional.empty(), "ns", "creds");
    assertEquals(Reasons.SECRET_NOT_FOUND, resolved.reason());
    assertTrue(resolved.problem().contains("ns/creds"));
  }

  @Test
  void trailingNewlineFromEchoIsForgiven() {
    Secret s =
        secret(
            Map.of("accessKeyId", b64("LTAIabc\n"), "accessKeySecret", b64(SECRET_VALUE + "\n")));
    var credentials =
        SecretCredentials.from(Optional.of(s), "ns", "creds").credentials().orElseThrow();
    assertEquals("LTAIabc", credentials.accessKeyId());
    assertEquals(SECRET_VALUE, credentials.accessKeySecret());
    assertFalse(credentials.toString().contains(SECRET_VALUE));
  }
}
