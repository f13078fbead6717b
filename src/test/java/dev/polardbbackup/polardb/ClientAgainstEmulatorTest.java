package dev.polardbbackup.polardb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.emulator.EmulatorServer;
import dev.polardbbackup.emulator.FaultSpec;
import dev.polardbbackup.emulator.MutableClock;
import dev.polardbbackup.emulator.PolarDbEmulator;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The real client over real HTTP against the emulator: every action, error class and fault. */
class ClientAgainstEmulatorTest {
  private static final String KEY = "LTAI5tClientTest";
  private static final String SECRET = "client-test-secret";
  private static final String CLUSTER = "pc-client1";

  private final MutableClock clock = MutableClock.at("2026-11-29T03:00:00Z");
  private final OkHttpClient http =
      PolarDbClientFactory.httpClient(Duration.ofSeconds(2), Duration.ofSeconds(2));
  private final List<CallListener.Call> calls = new CopyOnWriteArrayList<>();
  private PolarDbEmulator emulator;
  private EmulatorServer server;

  private PolarDbClient start(PolarDbEmulator.Builder builder) throws IOException {
    emulator = builder.build();
    server = EmulatorServer.start(emulator, new InetSocketAddress("127.0.0.1", 0));
    return client(Credentials.of(KEY, SECRET, "test"));
  }

  private PolarDbEmulator.Builder emulator() {
    return PolarDbEmulator.builder()
        .clock(clock)
        .accessKey(KEY, SECRET)
        .cluster(CLUSTER, "cn-hangzhou")
        .backupDuration(Duration.ofMinutes(10));
  }

  private PolarDbClient client(Credentials credentials) {
    return new PolarDbClient(
        server.baseUri(), CredentialsProvider.of(credentials), http, clock, calls::add);
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private static void assertFailure(FailureKind kind, String code, ApiResult<?> result) {
    assertFalse(result.isOk(), "expected " + code + " but the call succeeded");
    assertEquals(kind, result.error().kind(), result.error().describe());
    if (code != null) {
      assertEquals(code, result.error().code());
    }
  }

  // ---- every action ----

  @Test
  void createBackupThenFollowItThroughTasksAndBackups() throws IOException {
    PolarDbClient client = start(emulator());

    ApiResult<String> created = client.createBackup(CLUSTER, "token-1");
    String jobId = created.value();
    clock.advance(Duration.ofMinutes(5));
    List<BackupTask> tasks = client.describeBackupTasks(CLUSTER, Optional.of(jobId)).value();
    BackupTask task = tasks.get(0);
    assertEquals(jobId, task.backupJobId());
    assertFalse(task.finished());
    assertTrue(task.progressPercent() > 0 && task.progressPercent() < 100, task.toString());
    assertTrue(task.startTime().isPresent());

    clock.advance(Duration.ofMinutes(6));
    List<Backup> backups =
        client
            .describeAllBackups(
                DescribeBackupsQuery.manual(
                    CLUSTER, clock.instant().minusSeconds(3600), clock.instant()))
            .value();
    assertEquals(1, backups.size());
    Backup backup = backups.get(0);
    assertTrue(backup.succeeded());
    assertTrue(backup.manual());
    assertTrue(backup.backupSetSize().orElse(0L) > 0);
    assertTrue(backup.consistentTime().isPresent());
    assertTrue(created instanceof ApiResult.Ok<String> ok && ok.requestId() != null);
  }

  @Test
  void sameClientTokenReturnsTheSameJob() throws IOException {
    PolarDbClient client = start(emulator());
    String first = client.createBackup(CLUSTER, "same").value();
    String again = client.createBackup(CLUSTER, "same").value();
    assertEquals(first, again);
    assertEquals(1, emulator.ledger().backups().size());
  }

  @Test
  void describeBackupsFollowsEveryPage() throws IOException {
    PolarDbClient client = start(emulator().quota(200).backupDuration(Duration.ofSeconds(1)));
    for (int i = 0; i < 120; i++) {
      assertTrue(client.createBackup(CLUSTER, "t-" + i).isOk());
    }
    clock.advance(Duration.ofMinutes(1));
    DescribeBackupsQuery query =
        new DescribeBackupsQuery(
            CLUSTER,
            clock.instant().minusSeconds(3600),
            clock.instant(),
            Optional.empty(),
            Optional.empty(),
            Optional.of("Manual"),
            50,
            1);

    List<Backup> all = client.describeAllBackups(query).value();

    assertEquals(120, all.size());
    assertEquals(120, all.stream().map(Backup::backupId).distinct().count());
    assertEquals(3L, emulator.ledger().callsByAction().get("DescribeBackups"));
  }

  @Test
  void describeBackupsById() throws IOException {
    PolarDbClient client =
        start(emulator().jobIdEqualsBackupId(true).backupDuration(Duration.ofSeconds(1)));
    String id = client.createBackup(CLUSTER, "by-id").value();
    client.createBackup(CLUSTER, "other");
    clock.advance(Duration.ofSeconds(5));

    List<Backup> found =
        client
            .describeAllBackups(
                DescribeBackupsQuery.byId(
                    CLUSTER, id, clock.instant().minusSeconds(60), clock.instant()))
            .value();

    assertEquals(List.of(id), found.stream().map(Backup::backupId).toList());
  }

  @Test
  void deleteBackupFreesAQuotaSlotAndThenReportsNotFound() throws IOException {
    PolarDbClient client =
        start(emulator().quota(1).jobIdEqualsBackupId(true).backupDuration(Duration.ofSeconds(1)));
    String id = client.createBackup(CLUSTER, "a").value();
    clock.advance(Duration.ofSeconds(5));
    assertFailure(
        FailureKind.QUOTA_EXHAUSTED, "BackupTimesExceeded", client.createBackup(CLUSTER, "b"));

    assertTrue(client.deleteBackup(CLUSTER, id).isOk());

    assertTrue(client.createBackup(CLUSTER, "c").isOk());
    assertFailure(
        FailureKind.NOT_FOUND, "InvalidBackupSetID.NotFound", client.deleteBackup(CLUSTER, id));
  }

  @Test
  void describeClusterAttributeTellsReadiness() throws IOException {
    PolarDbClient client = start(emulator().cluster("pc-stopped", "cn-hangzhou", "Stopped"));
    assertTrue(client.describeDBClusterAttribute(CLUSTER).value().readyForBackup());
    ClusterAttribute stopped = client.describeDBClusterAttribute("pc-stopped").value();
    assertEquals("Stopped", stopped.status());
    assertFalse(stopped.readyForBackup());
  }

  // ---- every error class ----

  @Test
  void unknownClusterIsNotFoundInEveryAction() throws IOException {
    PolarDbClient client = start(emulator());
    assertFailure(
        FailureKind.NOT_FOUND, "InvalidDBClusterId.NotFound", client.createBackup("pc-nope", "t"));
    ApiResult<List<BackupTask>> tasks = client.describeBackupTasks("pc-nope", Optional.empty());
    assertFailure(FailureKind.NOT_FOUND, "InvalidDBClusterId.NotFound", tasks);
    assertEquals(400, tasks.error().httpStatus(), "DescribeBackupTasks says not-found with 400");
    assertFailure(FailureKind.NOT_FOUND, null, client.describeDBClusterAttribute("pc-nope"));
  }

  @Test
  void clusterNotRunningIsWrongClusterState() throws IOException {
    PolarDbClient client = start(emulator().cluster("pc-busy", "cn-hangzhou", "ClassChanging"));
    assertFailure(
        FailureKind.WRONG_CLUSTER_STATE,
        "OperationDenied.DBClusterStatus",
        client.createBackup("pc-busy", "t"));
  }

  @Test
  void sameTokenForAnotherClusterIsAnInvalidRequest() throws IOException {
    PolarDbClient client = start(emulator().cluster("pc-client2", "cn-hangzhou"));
    assertTrue(client.createBackup(CLUSTER, "shared").isOk());
    assertFailure(
        FailureKind.INVALID_REQUEST,
        "IdempotentParameterMismatch",
        client.createBackup("pc-client2", "shared"));
  }

  @Test
  void malformedClusterIdIsAnInvalidRequest() throws IOException {
    PolarDbClient client = start(emulator());
    assertFailure(
        FailureKind.INVALID_REQUEST,
        "InvalidDBClusterId.Malformed",
        client.createBackup("not-a-cluster", "t"));
  }

  @Test
  void wrongSecretUnknownKeyAndRamDenialAreAuthFailures() throws IOException {
    start(emulator());
    emulator.denyAction(KEY, "DeleteBackup");
    assertFailure(
        FailureKind.AUTH,
        "SignatureDoesNotMatch",
        client(Credentials.of(KEY, "wrong", "t")).createBackup(CLUSTER, "t"));
    assertFailure(
        FailureKind.AUTH,
        "InvalidAccessKeyId.NotFound",
        client(Credentials.of("LTAIunknown", "x", "t")).createBackup(CLUSTER, "t"));
    ApiResult<Void> denied = client(Credentials.of(KEY, SECRET, "t")).deleteBackup(CLUSTER, "123");
    assertFailure(FailureKind.AUTH, "Forbidden.RAM", denied);
    assertEquals(403, denied.error().httpStatus());
    assertEquals(0, emulator.ledger().backups().size());
  }

  @Test
  void missingCredentialIsAnAuthFailureNamingTheSource() throws IOException {
    start(emulator());
    PolarDbClient client =
        new PolarDbClient(
            server.baseUri(),
            () -> {
              throw new CredentialsException(
                  "no Alibaba Cloud credentials found; tried environment");
            },
            http,
            clock,
            calls::add);
    ApiResult<String> result = client.createBackup(CLUSTER, "t");
    assertFailure(FailureKind.AUTH, "CredentialsUnavailable", result);
    assertTrue(result.error().message().contains("environment"));
  }

  @Test
  void throttlingIsClassifiedAndCreatesNothing() throws IOException {
    PolarDbClient client = start(emulator());
    emulator.setFault("CreateBackup", new FaultSpec(Duration.ZERO, 1.0, 0, 0));
    ApiResult<String> result = client.createBackup(CLUSTER, "t");
    assertFailure(FailureKind.THROTTLED, null, result);
    assertTrue(result.error().code().startsWith("Throttling"), result.error().code());
    assertEquals(0, emulator.ledger().backups().size());
  }

  @Test
  void serverErrorsAreTransient() throws IOException {
    PolarDbClient client = start(emulator());
    emulator.setFault("*", new FaultSpec(Duration.ZERO, 0, 1.0, 0));
    ApiResult<String> result = client.createBackup(CLUSTER, "t");
    assertFailure(FailureKind.TRANSIENT, null, result);
    assertTrue(result.error().httpStatus() >= 500);
  }

  @Test
  void lostResponseIsOutcomeUnknownAndTheSameTokenRecoversTheJob() throws IOException {
    PolarDbClient client = start(emulator());
    emulator.setFault("CreateBackup", new FaultSpec(Duration.ZERO, 0, 0, 1.0));
    assertFailure(FailureKind.OUTCOME_UNKNOWN, "NoReply", client.createBackup(CLUSTER, "lost"));
    assertEquals(
        1, emulator.ledger().backups().size(), "the backup was made although the reply was lost");

    emulator.clearFaults();
    String jobId = client.createBackup(CLUSTER, "lost").value();

    assertEquals(emulator.ledger().backups().get(0).backupJobId(), jobId);
    assertEquals(1, emulator.ledger().backupsCreatedWithToken("lost"));
  }

  @Test
  void slowReplyPastTheTimeoutIsOutcomeUnknown() throws IOException {
    PolarDbClient client = start(emulator());
    emulator.setFault("DescribeBackupTasks", new FaultSpec(Duration.ofSeconds(4), 0, 0, 0));
    assertFailure(
        FailureKind.OUTCOME_UNKNOWN,
        "Timeout",
        client.describeBackupTasks(CLUSTER, Optional.empty()));
  }

  @Test
  void unreachableEndpointIsTransient() throws IOException {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    PolarDbClient client =
        new PolarDbClient(
            URI.create("http://127.0.0.1:" + closedPort),
            CredentialsProvider.of(Credentials.of(KEY, SECRET, "t")),
            http,
            clock,
            calls::add);
    assertFailure(FailureKind.TRANSIENT, "ConnectionFailed", client.createBackup(CLUSTER, "t"));
  }

  // ---- signing details ----

  @Test
  void reusedNonceIsCuredByOneFreshSignature() throws IOException {
    start(emulator());
    Iterator<String> nonces = List.of("n-1", "n-1", "n-2").iterator();
    PolarDbClient client =
        new PolarDbClient(
            server.baseUri(),
            CredentialsProvider.of(Credentials.of(KEY, SECRET, "t")),
            http,
            clock,
            calls::add,
            nonces::next);

    assertTrue(client.describeDBClusterAttribute(CLUSTER).isOk());
    assertTrue(client.describeDBClusterAttribute(CLUSTER).isOk());

    assertEquals(
        List.of("OK", "AUTH", "OK"), calls.stream().map(CallListener.Call::outcome).toList());
    assertEquals("SignatureNonceUsed", calls.get(1).errorCode());
  }

  @Test
  void listenerSeesEveryCallWithActionOutcomeAndLatency() throws IOException {
    PolarDbClient client = start(emulator().quota(1));
    client.createBackup(CLUSTER, "a");
    client.createBackup(CLUSTER, "b");
    List<String> seen = new ArrayList<>();
    calls.forEach(c -> seen.add(c.action() + ":" + c.outcome() + ":" + c.errorCode()));
    assertEquals(
        List.of("CreateBackup:OK:", "CreateBackup:QUOTA_EXHAUSTED:BackupTimesExceeded"), seen);
    assertTrue(calls.stream().allMatch(c -> !c.latency().isNegative()));
  }

  @Test
  void timestampSkewIsRejected() throws IOException {
    start(emulator());
    MutableClock skewed = MutableClock.at("2026-11-29T02:00:00Z");
    PolarDbClient client =
        new PolarDbClient(
            server.baseUri(),
            CredentialsProvider.of(Credentials.of(KEY, SECRET, "t")),
            http,
            skewed,
            calls::add);
    ApiResult<ClusterAttribute> result = client.describeDBClusterAttribute(CLUSTER);
    assertFailure(FailureKind.AUTH, "InvalidTimeStamp.Expired", result);
    assertEquals(
        2, calls.size(), "a clock error is retried once with a fresh signature, then reported");
    assertTrue(Instant.parse("2026-11-29T02:00:00Z").isBefore(clock.instant()));
  }
}
