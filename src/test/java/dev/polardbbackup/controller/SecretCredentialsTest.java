package dev.polardbbackup.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.model.Reasons;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Broken Secrets: each gets a specific reason, a message naming the key, and never its value. */
class SecretCredentialsTest {
  private static final String SECRET_VALUE = "s3cr3t-value";

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

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "no accessKeySecret         | accessKeyId=LTAIabc                          | key accessKeySecret is missing",
        "no keys at all             | ''                                           | key accessKeyId is missing",
        "accessKeyId not base64     | accessKeyId=@@@not-base64@@@;accessKeySecret=B64 | key accessKeyId is not valid base64",
        "empty secret               | accessKeyId=LTAIabc;accessKeySecret=          | key accessKeySecret is empty",
        "secret with inner space    | accessKeyId=LTAIabc;accessKeySecret=B64:a b   | key accessKeySecret contains whitespace",
        "non-ASCII key id           | accessKeyId=B64:LTAIé;accessKeySecret=B64     | key accessKeyId contains whitespace or non-ASCII",
        "empty security token       | accessKeyId=LTAIabc;accessKeySecret=B64;securityToken= | key securityToken is empty",
      })
  void brokenSecretsAreNamedPreciselyWithoutTheirValues(String what, String spec, String expected) {
    Map<String, String> data = new HashMap<>();
    if (!spec.isEmpty()) {
      for (String pair : spec.split(";")) {
        String[] kv = pair.split("=", 2);
        String value = kv[1];
        if (value.equals("B64")) {
          value = b64(SECRET_VALUE);
        } else if (value.startsWith("B64:")) {
          value = b64(value.substring(4));
        } else if (!value.startsWith("@")) {
          value = b64(value);
        }
        data.put(kv[0], value);
      }
    }

    SecretCredentials.Resolved resolved =
        SecretCredentials.from(Optional.of(secret(data)), "ns", "creds");

    assertTrue(resolved.credentials().isEmpty(), what);
    assertEquals(Reasons.SECRET_INVALID, resolved.reason(), what);
    assertTrue(resolved.problem().contains(expected), what + ": " + resolved.problem());
    assertFalse(resolved.problem().contains(SECRET_VALUE), "a value leaked: " + resolved.problem());
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
