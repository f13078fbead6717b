package dev.polardbbackup.emulator;

import static dev.polardbbackup.emulator.EmulatorHarness.CLUSTER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FaultInjectionTest {
  private final EmulatorHarness h = EmulatorHarness.start();

  @AfterEach
  void stop() {
    h.close();
  }

  @Test
  void throttledCallsAreNotProcessedAndSomeCarryRetryAfter() {
    h.emulator.setFault("CreateBackup", FaultSpec.throttling(1.0));

    int withRetryAfter = 0;
    for (int i = 0; i < 10; i++) {
      AcsTestClient.Reply reply = h.createBackup(CLUSTER, "token-" + i);
      assertEquals(400, reply.status());
      assertEquals("Throttling.User", reply.code());
      assertEquals("Request was denied due to user flow control.", reply.text("Message"));
      if (reply.headers().firstValue("x-acs-retry-after").isPresent()) {
        assertEquals("1000", reply.headers().firstValue("x-acs-retry-after").get());
        withRetryAfter++;
      }
    }
    assertTrue(withRetryAfter > 0 && withRetryAfter < 10, "got " + withRetryAfter);
    assertTrue(h.emulator.ledger().backups().isEmpty());
    assertEquals(10, h.emulator.ledger().callsTo("CreateBackup").size());
    assertEquals(200, h.describeTasks(CLUSTER).status(), "other actions are not throttled");
  }

  @Test
  void serverErrorsAreNotProcessed() {
    h.emulator.setFault("*", FaultSpec.serverErrors(1.0));

    Set<String> codes = new HashSet<>();
    for (int i = 0; i < 10; i++) {
      AcsTestClient.Reply reply = h.createBackup();
      codes.add(reply.status() + " " + reply.code());
    }
    assertEquals(Set.of("503 ServiceUnavailable", "500 InternalError"), codes);
    assertTrue(h.emulator.ledger().backups().isEmpty());

    h.emulator.clearFaults();
    assertEquals(200, h.createBackup().status());
  }

  @Test
  void actionFaultOverridesTheWildcard() {
    h.emulator.setFault("*", FaultSpec.throttling(1.0));
    h.emulator.setFault("DescribeBackupTasks", FaultSpec.latency(Duration.ofMillis(1)));

    assertEquals(200, h.describeTasks(CLUSTER).status());
    assertEquals("Throttling.User", h.createBackup().code());
  }

  @Test
  void faultsComeAfterSignatureVerification() {
    h.emulator.setFault("*", FaultSpec.throttling(1.0));
    AcsTestClient.Reply reply =
        h.client
            .call("CreateBackup")
            .param("DBClusterId", CLUSTER)
            .tamperSignature(s -> "0" + s)
            .v3();
    assertEquals("SignatureDoesNotMatch", reply.code());
  }

  @Test
  void latencyDelaysTheReply() {
    h.emulator.setFault("DescribeBackupTasks", FaultSpec.latency(Duration.ofMillis(300)));

    long start = System.nanoTime();
    assertEquals(200, h.describeTasks(CLUSTER).status());
    assertTrue(Duration.ofNanos(System.nanoTime() - start).toMillis() >= 300);
  }

  // The emulator's side of a lost reply: the work is done and the token replays it. The operator's
  // side is controller.BackupLifecycleTest.lostResponseOnCreateBackupStillCreatesExactlyOneBackup.
  @Test
  void aLostReplyStillMakesTheBackupAndARetryWithItsTokenGetsTheSameJob() {
    h.emulator.setFault("CreateBackup", FaultSpec.lostResponses(1.0));

    assertThrows(
        IOException.class,
        () ->
            h.client.sendRaw(
                h.client
                    .call("CreateBackup")
                    .param("DBClusterId", CLUSTER)
                    .param("ClientToken", "lost-1")
                    .v3Request()));

    Ledger ledger = h.emulator.ledger();
    assertEquals(1, ledger.backupsCreatedWithToken("lost-1"));
    ApiCall call = ledger.callsTo("CreateBackup").get(0);
    assertEquals(ApiCall.LOST_RESPONSE, call.code());
    assertEquals(200, call.httpStatus());

    h.emulator.clearFaults();
    AcsTestClient.Reply retry = h.createBackup(CLUSTER, "lost-1");
    assertEquals(200, retry.status());
    assertEquals(ledger.backups().get(0).backupJobId(), retry.text("BackupJobId"));
    assertEquals(1, h.emulator.ledger().backupsCreatedWithToken("lost-1"));
  }
}
