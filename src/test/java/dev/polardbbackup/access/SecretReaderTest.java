package dev.polardbbackup.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.backup.StrictMockServer;
import dev.polardbbackup.emulator.MutableClock;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Secrets read one at a time by GET, in any namespace, each kept for a short while: how many GETs
 * reach the API server, and that editing finalizers leaves everything else of a Secret alone.
 */
class SecretReaderTest {
  private final KubernetesMockServer server = StrictMockServer.start();
  private final KubernetesClient client = server.createClient();
  private final MutableClock clock = MutableClock.at("2030-01-01T00:00:00Z");
  private final SecretReader reader = new SecretReader(client, clock, Duration.ofSeconds(15));

  @AfterEach
  void close() {
    client.close();
    StrictMockServer.stop(server);
  }

  private Secret create(String namespace, String name, String... finalizers) {
    return client
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(namespace)
                .withFinalizers(finalizers)
                .endMetadata()
                .withData(Map.of("accessKeyId", "TFRBSWFiYw=="))
                .build())
        .create();
  }

  /** The GETs of Secrets the server has answered since the last call. */
  private int secretGets() throws InterruptedException {
    int gets = 0;
    RecordedRequest r;
    while ((r = server.takeRequest(10, TimeUnit.MILLISECONDS)) != null) {
      if ("GET".equals(r.getMethod()) && r.getPath().contains("/secrets/")) {
        gets++;
      }
    }
    return gets;
  }

  @Test
  void aSecretIsReadOnceWithinItsTimeToLiveAndAgainAfterIt() throws Exception {
    create("team-a", "creds");
    create("operator-system", "grant-creds");
    secretGets();

    assertTrue(reader.get("team-a", "creds").isPresent());
    assertTrue(reader.get("team-a", "creds").isPresent());
    clock.advance(Duration.ofSeconds(14));
    assertTrue(reader.get("team-a", "creds").isPresent());
    assertTrue(reader.get("operator-system", "grant-creds").isPresent(), "any namespace");
    assertEquals(2, secretGets(), "one GET per Secret within the time to live");

    clock.advance(Duration.ofSeconds(2));
    assertTrue(reader.get("team-a", "creds").isPresent());
    assertEquals(1, secretGets(), "read again after the time to live");
  }

  @Test
  void aMissingSecretIsAskedForAgainEveryTime() throws Exception {
    secretGets();
    assertTrue(reader.get("team-a", "later").isEmpty());
    assertTrue(reader.get("team-a", "later").isEmpty());
    assertEquals(2, secretGets());

    create("team-a", "later");
    assertTrue(reader.get("team-a", "later").isPresent(), "created: found at the next read");
  }

  @Test
  void forgettingDropsOnlyTheVersionThatDidNotWork() throws Exception {
    create("team-a", "creds");
    String first = reader.get("team-a", "creds").orElseThrow().getMetadata().getResourceVersion();
    secretGets();

    reader.forget("team-a", "creds", "some-other-version");
    reader.get("team-a", "creds");
    assertEquals(0, secretGets(), "a newer version read meanwhile stays");

    reader.forget("team-a", "creds", first);
    reader.get("team-a", "creds");
    assertEquals(1, secretGets(), "the version that did not work is read again");
  }

  @Test
  void expiredSecretsDoNotStayInMemory() {
    for (int i = 0; i < 5; i++) {
      create("team-a", "s" + i);
      reader.get("team-a", "s" + i);
    }
    assertEquals(5, reader.size());
    clock.advance(Duration.ofSeconds(16));
    create("team-a", "fresh");
    reader.get("team-a", "fresh");
    assertEquals(1, reader.size(), "the others were past their time");
  }

  @Test
  void finalizersAreAddedAndRemovedWithoutTouchingAnythingElse() {
    Secret original = create("team-a", "creds", "other.example/keep");

    Secret kept = reader.addFinalizer(original, "polardbbackup.dev/credentials-in-use");
    assertEquals(
        List.of("other.example/keep", "polardbbackup.dev/credentials-in-use"),
        kept.getMetadata().getFinalizers());
    // Adding again changes nothing.
    reader.addFinalizer(kept, "polardbbackup.dev/credentials-in-use");

    reader.removeFinalizer("team-a", "creds", "polardbbackup.dev/credentials-in-use");
    Secret now = client.secrets().inNamespace("team-a").withName("creds").get();
    assertEquals(List.of("other.example/keep"), now.getMetadata().getFinalizers());
    assertEquals(original.getData(), now.getData());
  }

  @Test
  void addingToASecretChangedMeanwhileReadsItAgain() {
    Secret stale = create("team-a", "creds");
    client
        .secrets()
        .inNamespace("team-a")
        .withName("creds")
        .edit(
            s ->
                new SecretBuilder(s)
                    .editMetadata()
                    .addToFinalizers("other.example/new")
                    .endMetadata()
                    .build());

    reader.addFinalizer(stale, "polardbbackup.dev/credentials-in-use");

    assertEquals(
        List.of("other.example/new", "polardbbackup.dev/credentials-in-use"),
        client
            .secrets()
            .inNamespace("team-a")
            .withName("creds")
            .get()
            .getMetadata()
            .getFinalizers(),
        "the finalizer another controller added meanwhile stays");
  }

  @Test
  void aSecretDeletedSinceItWasReadGetsNoFinalizerAndNoError() {
    // Another controller's finalizer holds it: deleting it only marks it. Adding a finalizer to a
    // Secret being deleted would be refused (422); the stale copy's resourceVersion makes the
    // patch a 409 instead, and the fresh read shows the deletion.
    Secret stale = create("team-a", "creds", "other.example/keep");
    client.secrets().inNamespace("team-a").withName("creds").delete();
    Secret marked = client.secrets().inNamespace("team-a").withName("creds").get();
    assertNotNull(marked.getMetadata().getDeletionTimestamp(), "the mock marks it, as Kubernetes");

    Secret result = reader.addFinalizer(stale, "polardbbackup.dev/credentials-in-use");

    assertNotNull(result.getMetadata().getDeletionTimestamp());
    assertEquals(
        List.of("other.example/keep"),
        client
            .secrets()
            .inNamespace("team-a")
            .withName("creds")
            .get()
            .getMetadata()
            .getFinalizers());
  }
}
