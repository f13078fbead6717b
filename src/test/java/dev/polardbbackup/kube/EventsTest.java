package dev.polardbbackup.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.backup.MockKubernetes;
import dev.polardbbackup.emulator.MutableClock;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupSchedule;
import dev.polardbbackup.model.PolarDBBackupSpec;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A repeated Event is counted on the Event already written, as {@code kubectl describe} shows it
 * ("x3 over 2m"); anything that differs (object, type, reason, message) is an Event of its own. All
 * against the strict CRUD mock API server the controller tests use.
 */
class EventsTest {
  private static final String NAMESPACE = "team";
  private static final Pattern DNS_SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

  @RegisterExtension final MockKubernetes kube = new MockKubernetes(() -> null);
  private final KubernetesClient client = kube.client;
  private final MutableClock clock = MutableClock.at("2026-03-01T02:00:00Z");
  private final Events events = new Events(client, clock);

  @Test
  void theSameReasonAndMessageTwiceIsOneEventWithCountTwo() {
    PolarDBBackup backup = backup("nightly", "uid-1");

    events.warning(backup, "WaitingForQuota", "The cluster has 3 backups in progress.");
    clock.advance(Duration.ofSeconds(30));
    events.warning(backup, "WaitingForQuota", "The cluster has 3 backups in progress.");

    List<Event> all = allEvents();
    assertEquals(1, all.size(), () -> all.toString());
    Event event = all.get(0);
    assertEquals(2, event.getCount());
    assertEquals("2026-03-01T02:00:00Z", event.getFirstTimestamp());
    assertEquals("2026-03-01T02:00:30Z", event.getLastTimestamp());
    assertEquals("Warning", event.getType());
    assertEquals("nightly", event.getInvolvedObject().getName());
    assertEquals("uid-1", event.getInvolvedObject().getUid());

    clock.advance(Duration.ofMinutes(2));
    events.warning(backup, "WaitingForQuota", "The cluster has 3 backups in progress.");
    Event third = allEvents().get(0);
    assertEquals(3, third.getCount());
    assertEquals("2026-03-01T02:00:00Z", third.getFirstTimestamp());
    assertEquals("2026-03-01T02:02:30Z", third.getLastTimestamp());
  }

  @Test
  void aDifferentMessageReasonOrTypeIsAnEventOfItsOwn() {
    PolarDBBackup backup = backup("nightly", "uid-1");

    events.warning(backup, "DeletionRetrying", "Throttling.User (RequestId A)");
    events.warning(backup, "DeletionRetrying", "Throttling.User (RequestId B)");
    events.warning(backup, "ClusterNotReady", "Throttling.User (RequestId B)");
    events.normal(backup, "ClusterNotReady", "Throttling.User (RequestId B)");

    List<Event> all = allEvents();
    assertEquals(4, all.size(), () -> all.toString());
    assertTrue(all.stream().allMatch(e -> e.getCount() == 1), () -> all.toString());
    assertEquals(4, all.stream().map(e -> e.getMetadata().getName()).distinct().count());
  }

  @Test
  void anotherObjectGetsItsOwnEventsEvenWithTheSameNameOrReason() {
    String reason = "Paused";
    String message = "Paused by annotation.";
    events.normal(backup("nightly", "uid-1"), reason, message);
    events.normal(backup("weekly", "uid-2"), reason, message);
    // A schedule and a backup may share a name; so may a deleted backup and its successor.
    events.normal(schedule("nightly", "uid-3"), reason, message);
    events.normal(backup("nightly", "uid-4"), reason, message);
    events.normal(backup("nightly", "uid-1"), reason, message);

    List<Event> all = allEvents();
    assertEquals(4, all.size(), () -> all.toString());
    assertEquals(
        List.of("uid-1:2", "uid-2:1", "uid-3:1", "uid-4:1"),
        all.stream()
            .map(e -> e.getInvolvedObject().getUid() + ":" + e.getCount())
            .sorted()
            .toList());
  }

  @Test
  void theLongestObjectNameStillGivesAValidEventNameAndItsRepeatsAreCounted() {
    String longest = "nightly-" + "x".repeat(239) + "-12345";
    assertEquals(253, longest.length());
    PolarDBBackup backup = backup(longest, "uid-1");

    events.normal(backup, "BackupRunning", "Backup job 42 started.");
    clock.advance(Duration.ofSeconds(5));
    events.normal(backup, "BackupRunning", "Backup job 42 started.");

    List<Event> all = allEvents();
    assertEquals(1, all.size(), () -> all.toString());
    String name = all.get(0).getMetadata().getName();
    assertTrue(name.length() <= 253 && DNS_SUBDOMAIN.matcher(name).matches(), name);
    assertEquals(2, all.get(0).getCount());
    assertEquals(longest, all.get(0).getInvolvedObject().getName());
  }

  @Test
  void aClusterScopedObjectsRepeatsAreCountedInNamespaceDefault() {
    HasMetadata namespace =
        new NamespaceBuilder()
            .withNewMetadata()
            .withName(NAMESPACE)
            .withUid("ns-uid")
            .endMetadata()
            .build();

    events.warning(namespace, "BackupLeftUndeleted", "Backup b-1 of team/orphaned was kept.");
    events.warning(namespace, "BackupLeftUndeleted", "Backup b-1 of team/orphaned was kept.");

    List<Event> inDefault = client.v1().events().inNamespace("default").list().getItems();
    assertEquals(1, inDefault.size(), () -> inDefault.toString());
    assertEquals(2, inDefault.get(0).getCount());
    assertEquals("Namespace", inDefault.get(0).getInvolvedObject().getKind());
  }

  @Test
  void aWriterBetweenOurReadAndOurUpdateMakesUsReadAgainSoNoRepeatIsLost() {
    PolarDBBackup backup = backup("nightly", "uid-1");
    events.warning(backup, "ApiThrottled", "Throttled.");
    Event first = allEvents().get(0);
    // Another replica counts a repeat...
    events.warning(backup, "ApiThrottled", "Throttled.");
    assertNotEquals(
        first.getMetadata().getResourceVersion(),
        allEvents().get(0).getMetadata().getResourceVersion());
    // ...after we read the Event: our read still shows count 1 and the old resourceVersion.
    kube.server
        .expect()
        .get()
        .withPath(eventPath(first))
        .andReturn(200, client.getKubernetesSerialization().asJson(first))
        .once();

    events.warning(backup, "ApiThrottled", "Throttled.");

    List<Event> all = allEvents();
    assertEquals(1, all.size(), () -> all.toString());
    assertEquals(3, all.get(0).getCount(), "the other writer's repeat and ours are both counted");
  }

  @Test
  void anEventThatExpiresBetweenOurCreateAndOurReadIsCreatedAgain() {
    PolarDBBackup backup = backup("nightly", "uid-1");
    // The name existed when we created (409), and was gone (its TTL) when we read it.
    kube.server
        .expect()
        .post()
        .withPath("/api/v1/namespaces/" + NAMESPACE + "/events")
        .andReturn(409, status(409, "AlreadyExists", "events already exists"))
        .once();

    events.warning(backup, "ApiThrottled", "Throttled.");

    List<Event> all = allEvents();
    assertEquals(1, all.size(), () -> all.toString());
    assertEquals(1, all.get(0).getCount());
  }

  @Test
  void withOnlyTheCreateVerbTheShippedRbacGrantsTheEventIsStillWritten() {
    PolarDBBackup backup = backup("nightly", "uid-1");
    events.warning(backup, "ApiThrottled", "Throttled.");
    Event earlier = allEvents().get(0);
    client.resource(earlier).delete();
    // The shipped Role grants `create` on events, neither `get` nor `update`.
    kube.server.expect().get().withPath(eventPath(earlier)).andReturn(403, forbidden()).always();
    kube.server.expect().put().withPath(eventPath(earlier)).andReturn(403, forbidden()).always();

    events.warning(backup, "ApiThrottled", "Throttled.");
    // A repeat cannot be counted without them: it is logged, never thrown.
    events.warning(backup, "ApiThrottled", "Throttled.");

    List<Event> all = allEvents();
    assertEquals(1, all.size(), () -> all.toString());
    assertEquals(1, all.get(0).getCount());
  }

  @Test
  void anEventThatCannotBeWrittenIsGivenUpAfterAFewAttemptsWithoutAnException() {
    PolarDBBackup backup = backup("nightly", "uid-1");
    events.warning(backup, "ApiThrottled", "Throttled.");
    Event first = allEvents().get(0);
    kube.server.expect().put().withPath(eventPath(first)).andReturn(409, conflict()).always();

    int before = kube.server.getRequestCount();

    assertTimeoutPreemptively(
        Duration.ofSeconds(10), () -> events.warning(backup, "ApiThrottled", "Throttled."));

    int sent = kube.server.getRequestCount() - before;
    assertTrue(sent <= 2 * Events.MAX_ATTEMPTS, "a read and a write per attempt: " + sent);
    assertEquals(1, allEvents().get(0).getCount(), "never written, and never thrown");
  }

  @Test
  void anEventTheApiServerRefusesNeverFailsTheCaller() {
    PolarDBBackup backup = backup("nightly", "uid-1");
    kube.server
        .expect()
        .post()
        .withPath("/api/v1/namespaces/" + NAMESPACE + "/events")
        .andReturn(403, forbidden())
        .always();

    events.warning(backup, "ApiThrottled", "Throttled.");

    assertEquals(List.of(), allEvents());
  }

  @Test
  void recordingAnEventDoesNotWaitForTheApiServerAndKeepsItsTimeAndOrder() throws Exception {
    PolarDBBackup backup = backup("nightly", "uid-1");
    // The API server holds the first Event's create until the test lets it go.
    CountDownLatch apiServer = new CountDownLatch(1);
    kube.server
        .expect()
        .post()
        .withPath("/api/v1/namespaces/" + NAMESPACE + "/events")
        .andReply(
            201,
            request -> {
              try {
                apiServer.await(30, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              return request.getBody().readUtf8();
            })
        .once();

    assertTimeoutPreemptively(
        Duration.ofSeconds(5), () -> events.normal(backup, "BackupStarted", "Started."));
    clock.advance(Duration.ofSeconds(30));
    events.normal(backup, "BackupSucceeded", "Complete.");
    clock.advance(Duration.ofSeconds(30));
    assertFalse(events.awaitWritten(Duration.ofMillis(300)), "still held by the API server");

    apiServer.countDown();
    assertTrue(events.awaitWritten(Duration.ofSeconds(10)));
    // The held create was answered, not stored; the second was written after it, at the time it
    // was recorded, not when it was written.
    Event succeeded = allEvents().get(0);
    assertEquals("BackupSucceeded", succeeded.getReason());
    assertEquals("2026-03-01T02:00:30Z", succeeded.getFirstTimestamp());
    assertEquals("2026-03-01T02:00:30Z", succeeded.getLastTimestamp());
  }

  @Test
  void aWarningIsWrittenBeforeTheCallerGoesOn() {
    PolarDBBackup backup = backup("nightly", "uid-1");
    events.warning(backup, "BackupLeftUndeleted", "Backup set b-1 was left undeleted.");
    // Not waited for: a Warning may be the last word before its object goes, and a process killed
    // right after must not lose it.
    assertEquals(1, client.v1().events().inAnyNamespace().list().getItems().size());
  }

  @Test
  void closingWritesWhatWasRecordedAndThenTakesNoMore() {
    PolarDBBackup backup = backup("nightly", "uid-1");
    events.normal(backup, "BackupSucceeded", "Complete.");
    events.close();
    assertEquals(1, client.v1().events().inAnyNamespace().list().getItems().size());

    events.normal(backup, "BackupDeleted", "Deleted.");
    assertEquals(1, events.dropped(), "recorded after close: dropped, and logged");
    assertEquals(1, client.v1().events().inAnyNamespace().list().getItems().size());
  }

  // ---- fixtures ----

  private void written() {
    try {
      assertTrue(events.awaitWritten(Duration.ofSeconds(10)), "Events written");
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  private List<Event> allEvents() {
    written();
    return client.v1().events().inAnyNamespace().list().getItems().stream()
        .sorted(Comparator.comparing(e -> e.getMetadata().getName()))
        .toList();
  }

  private static String eventPath(Event event) {
    return "/api/v1/namespaces/"
        + event.getMetadata().getNamespace()
        + "/events/"
        + event.getMetadata().getName();
  }

  private static PolarDBBackup backup(String name, String uid) {
    PolarDBBackup backup =
        new PolarDBBackup(
            NAMESPACE, name, new PolarDBBackupSpec("pc-bp1abcdefghij1234", "cn-hangzhou"));
    backup.getMetadata().setUid(uid);
    return backup;
  }

  private static PolarDBBackupSchedule schedule(String name, String uid) {
    PolarDBBackupSchedule schedule = new PolarDBBackupSchedule();
    schedule.getMetadata().setNamespace(NAMESPACE);
    schedule.getMetadata().setName(name);
    schedule.getMetadata().setUid(uid);
    return schedule;
  }

  private static String status(int code, String reason, String message) {
    return "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\""
        + reason
        + "\",\"code\":"
        + code
        + ",\"message\":\""
        + message
        + "\"}";
  }

  private static String notFound() {
    return status(404, "NotFound", "events not found");
  }

  private static String conflict() {
    return status(409, "Conflict", "the object has been modified");
  }

  private static String forbidden() {
    return status(403, "Forbidden", "events is forbidden");
  }
}
