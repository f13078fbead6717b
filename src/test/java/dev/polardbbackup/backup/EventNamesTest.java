package dev.polardbbackup.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.polardbbackup.kube.Events;
import dev.polardbbackup.model.Phase;
import dev.polardbbackup.model.Reasons;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An object may have a name of 253 characters, the most a DNS subdomain allows; its Events, whose
 * names are derived from it, must still be valid names. (The core/v1 Events API of a real API
 * server lets an over-long name through for backward compatibility; events.k8s.io/v1 and admission
 * policies that check names refuse it. The mock below refuses it too.)
 */
class EventNamesTest {
  // Kubernetes' IsDNS1123Subdomain.
  private static final Pattern DNS_SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  private static final String UNIQUE = "0f3a9c2e-7b1d";

  private static boolean valid(String name) {
    return name.length() <= 253 && DNS_SUBDOMAIN.matcher(name).matches();
  }

  @Test
  void aShortNameKeepsTheUsualNameDotSuffixForm() {
    assertEquals("nightly." + UNIQUE, Events.eventName("nightly", UNIQUE));
    String longest = "a".repeat(253 - 1 - UNIQUE.length());
    assertEquals(longest + "." + UNIQUE, Events.eventName(longest, UNIQUE));
  }

  @Test
  void everyValidObjectNameGivesAValidEventName() {
    Random random = new Random(42);
    String middle = "abcxyz0189-.";
    for (int length = 1; length <= 253; length++) {
      for (int attempt = 0; attempt < 20; attempt++) {
        String name = randomSubdomain(random, length, middle);
        if (!valid(name)) {
          continue;
        }
        String event = Events.eventName(name, UNIQUE);
        assertTrue(valid(event), () -> name + " -> " + event + " (" + event.length() + ")");
        assertTrue(event.endsWith("." + UNIQUE), event);
      }
    }
  }

  @Test
  void longNamesThatShareTheirStartStillGetDifferentEventNames() {
    String common = "b".repeat(240);
    String one = Events.eventName(common + "-one-thing", UNIQUE);
    String other = Events.eventName(common + "-other-one", UNIQUE);
    assertTrue(valid(one) && valid(other), one + " " + other);
    assertNotEquals(one, other);
    assertEquals(one, Events.eventName(common + "-one-thing", UNIQUE));
    // A cut that would end on '-' or '.' ends on the letter before it.
    String dotted = Events.eventName("c".repeat(229) + ".-" + "d".repeat(22), UNIQUE);
    assertTrue(valid(dotted), dotted);
  }

  private static String randomSubdomain(Random random, int length, String chars) {
    StringBuilder name = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      boolean edge = i == 0 || i == length - 1;
      String from = edge ? "abcxyz0189" : chars;
      char c = from.charAt(random.nextInt(from.length()));
      // No empty labels: never a '.' or '-' right after a '.', nor a '.' right after a '-'.
      char prev = i == 0 ? 'a' : name.charAt(i - 1);
      if ((prev == '.' && (c == '.' || c == '-')) || (prev == '-' && c == '.')) {
        c = 'q';
      }
      name.append(c);
    }
    return name.toString();
  }

  // ---- against an API server that validates names as a real one does ----

  private final KubernetesMockServer server =
      new KubernetesMockServer(
          new Context(), new MockWebServer(), new HashMap<>(), new NameCheckingDispatcher(), false);
  private KubernetesClient client;
  private OperatorHarness harness;

  @AfterEach
  void stop() {
    if (harness != null) {
      harness.close();
    }
    if (client != null) {
      client.close();
      StrictMockServer.stop(server);
    }
  }

  @Test
  void aBackupWithTheLongestNameStillGetsItsEvents() throws Exception {
    server.init();
    client = server.createClient();
    harness =
        new OperatorHarness(
                client, OperatorHarness.emulator().build(), OperatorHarness.fastSettings())
            .start();
    String name = "nightly-" + "x".repeat(239) + "-12345";
    assertEquals(253, name.length());

    harness.create(name);
    harness.awaitPhase(name, Phase.Succeeded);

    assertTrue(
        harness.hasEvent(name, Reasons.BACKUP_SUCCEEDED), () -> harness.events(name).toString());
  }

  /**
   * The CRUD mock, but a create with a name that is not a DNS subdomain gets 422 Invalid, as from
   * events.k8s.io/v1 or a name-checking admission policy.
   */
  private static final class NameCheckingDispatcher extends KubernetesCrudDispatcher {
    private final ObjectMapper json = new ObjectMapper();

    @Override
    public MockResponse handleCreate(RecordedRequest request) {
      String name;
      try {
        name =
            json.readTree(new String(request.getBody().getBytes(), StandardCharsets.UTF_8))
                .path("metadata")
                .path("name")
                .asText("");
      } catch (IOException e) {
        name = "";
      }
      if (!name.isEmpty() && !valid(name)) {
        return new MockResponse()
            .setResponseCode(422)
            .setBody(
                "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
                    + "\"reason\":\"Invalid\",\"code\":422,\"message\":\"metadata.name: Invalid"
                    + " value: must be no more than 253 characters\"}");
      }
      return super.handleCreate(request);
    }
  }
}
