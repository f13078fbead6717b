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
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The restore side of the client over real HTTP against the emulator: clone, tables, cleanup. */
class RestoreClientAgainstEmulatorTest {
  private static final String KEY = "LTAI5tRestoreTest";
  private static final String SECRET = "restore-test-secret";
  private static final String SOURCE = "pc-source1";

  private final MutableClock clock = MutableClock.at("2026-11-29T03:00:00Z");
  private final OkHttpClient http =
      PolarDbClientFactory.httpClient(Duration.ofSeconds(2), Duration.ofSeconds(2));
  private PolarDbEmulator emulator;
  private EmulatorServer server;
  private PolarDbClient client;

  @BeforeEach
  void start() throws IOException {
    emulator =
        PolarDbEmulator.builder()
            .clock(clock)
            .accessKey(KEY, SECRET)
            .cluster(SOURCE, "cn-hangzhou")
            .clusterCreationDuration(Duration.ofMinutes(3))
            .build();
    server = EmulatorServer.start(emulator, new InetSocketAddress("127.0.0.1", 0));
    client =
        new PolarDbClient(
            server.baseUri(),
            CredentialsProvider.of(Credentials.of(KEY, SECRET, "test")),
            http,
            clock,
            call -> {});
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private CloneRequest clone(String dataPoint, String token) {
    return CloneRequest.of("cn-hangzhou", SOURCE, dataPoint, token);
  }

  private static void assertFailure(FailureKind kind, String code, ApiResult<?> result) {
    assertFalse(result.isOk(), "expected " + code + " but the call succeeded");
    assertEquals(kind, result.error().kind(), result.error().describe());
    assertEquals(code, result.error().code());
  }

  @Test
  void cloneIsCreatingThenRunningWithAnEndpointThenDeleted() {
    CloneRequest request =
        new CloneRequest(
            "cn-hangzhou",
            "MySQL",
            "8.0",
            "Postpaid",
            Optional.of("polar.mysql.x4.large"),
            SOURCE,
            CloneRequest.LATEST,
            "restore-1",
            Optional.of("cn-hangzhou-k"),
            Optional.of("vpc-1"),
            Optional.of("vsw-1"),
            Optional.of("restore of pc-source1"),
            Map.of("polardb-backup/restore", "ns/r1"),
            Optional.of("NONE"));

    CreatedCluster made = client.createDBCluster(request).value();

    ClusterAttribute creating = client.describeDBClusterAttribute(made.dbClusterId()).value();
    assertTrue(creating.isCreating());
    assertEquals("polar.mysql.x4.large", creating.dbNodeClass());
    assertEquals("restore of pc-source1", creating.description());
    assertEquals("vpc-1", creating.vpcId());
    assertTrue(creating.creationTime().isPresent());
    assertEquals(List.of(), client.describeDBClusterEndpoints(made.dbClusterId()).value());
    assertFalse(made.orderId().isEmpty());

    clock.advance(Duration.ofMinutes(3));
    assertTrue(client.describeDBClusterAttribute(made.dbClusterId()).value().isRunning());
    ClusterEndpoint endpoint = client.describeDBClusterEndpoints(made.dbClusterId()).value().get(0);
    assertEquals(made.dbClusterId() + ".rwlb.rds.aliyuncs.com", endpoint.connectionString());
    assertEquals(3306, endpoint.port());

    assertTrue(client.deleteDBCluster(made.dbClusterId(), Optional.empty()).isOk());
    assertFailure(
        FailureKind.NOT_FOUND,
        "InvalidDBClusterId.NotFound",
        client.deleteDBCluster(made.dbClusterId(), Optional.empty()));
    assertEquals(0, emulator.ledger().liveClusters().size());
  }

  @Test
  void theSourceAttributesAreWhatACloneNeeds() {
    ClusterAttribute source = client.describeDBClusterAttribute(SOURCE).value();

    assertEquals("MySQL", source.dbType());
    assertEquals("8.0", source.dbVersion());
    assertFalse(source.dbNodeClass().isEmpty());
    assertFalse(source.zoneIds().isEmpty());
  }

  @Test
  void aLostReplyIsOutcomeUnknownAndTheSameTokenGetsTheSameCluster() {
    emulator.setFault("CreateDBCluster", FaultSpec.lostResponses(1.0));
    assertFailure(
        FailureKind.OUTCOME_UNKNOWN, "NoReply", client.createDBCluster(clone("LATEST", "lost")));
    assertEquals(1, emulator.ledger().clustersCreatedWithToken("lost"));

    emulator.clearFaults();
    CreatedCluster retry = client.createDBCluster(clone("LATEST", "lost")).value();

    assertEquals(emulator.ledger().clusters().get(0).dbClusterId(), retry.dbClusterId());
    assertEquals(1, emulator.ledger().clustersCreatedWithToken("lost"));
  }

  @Test
  void cloneRefusalsAreClassified() {
    emulator.shortOfCapacityNext("CreateDBCluster", 1);
    assertFailure(
        FailureKind.QUOTA_EXHAUSTED,
        "InsufficientResourceCapacity",
        client.createDBCluster(clone("LATEST", "t1")));
    assertFailure(
        FailureKind.NOT_FOUND,
        "InvalidBackupSetID.NotFound",
        client.createDBCluster(clone("12345", "t2")));
    assertFailure(
        FailureKind.NOT_FOUND,
        "InvalidDBClusterId.NotFound",
        client.createDBCluster(CloneRequest.of("cn-hangzhou", "pc-nosuch", "LATEST", "t3")));
    assertFailure(
        FailureKind.INVALID_REQUEST,
        "InvalidCloneDataPoint.OutOfRange",
        client.createDBCluster(clone(CloneRequest.pointInTime(clock.instant()), "t4")));
    assertEquals(0, emulator.ledger().clusters().size());
  }

  @Test
  void aCloneFromABackupSetAtAPointInTimeCarriesTheDatabases() {
    String backupId = emulator.createConsoleBackup(SOURCE);
    clock.advance(Duration.ofMinutes(5));

    CreatedCluster fromSet = client.createDBCluster(clone(backupId, "from-set")).value();
    CreatedCluster atTime =
        client
            .createDBCluster(
                clone(CloneRequest.pointInTime(clock.instant().minusSeconds(60)), "at-time"))
            .value();

    assertEquals(emulator.databasesOf(SOURCE), emulator.databasesOf(fromSet.dbClusterId()));
    assertEquals(emulator.databasesOf(SOURCE), emulator.databasesOf(atTime.dbClusterId()));
  }

  @Test
  void metaListThenRestoreTableThenTheRepeatIsADuplicate() {
    String backupId = emulator.createConsoleBackup(SOURCE);
    clock.advance(Duration.ofMinutes(5));

    MetaPage page =
        client.describeMetaList(MetaListQuery.of(SOURCE, RestorePoint.backup(backupId))).value();
    assertFalse(page.databases().isEmpty());
    assertFalse(page.hasMore());
    DatabaseMeta db = page.databases().get(0);
    assertEquals(emulator.databasesOf(SOURCE).get(db.name()), db.tables());

    TableRestore restore =
        new TableRestore(
            SOURCE,
            RestorePoint.time(clock.instant()),
            List.of(
                new TableRestore.Database(
                    db.name(),
                    db.name() + "_restored",
                    List.of(new TableRestore.Table(db.tables().get(0), db.tables().get(0))))));
    assertTrue(client.restoreTable(restore).isOk());

    MetaPage now =
        client
            .describeMetaList(
                new MetaListQuery(
                    SOURCE, Optional.empty(), Optional.of(db.name() + "_restored"), 30, 1))
            .value();
    assertEquals(
        List.of(new DatabaseMeta(db.name() + "_restored", List.of(db.tables().get(0)))),
        now.databases());
    assertFailure(
        FailureKind.INVALID_REQUEST, "InvalidDBName.Duplicate", client.restoreTable(restore));
  }

  @Test
  void restoreTableRefusalsAreClassified() {
    TableRestore old =
        new TableRestore(
            SOURCE,
            RestorePoint.time(clock.instant().minus(Duration.ofDays(8))),
            List.of(new TableRestore.Database("shop", "shop2", List.of())));
    assertFailure(
        FailureKind.INVALID_REQUEST, "InvalidRestoreTime.Format", client.restoreTable(old));

    TableRestore noBackup =
        new TableRestore(
            SOURCE,
            RestorePoint.time(clock.instant()),
            List.of(new TableRestore.Database("shop", "shop2", List.of())));
    assertFailure(FailureKind.NOT_FOUND, "InvalidBackup.NotFound", client.restoreTable(noBackup));
  }

  @Test
  void requestsAreCheckedBeforeTheyAreSent() {
    assertThrowsIllegal(() -> CloneRequest.of("cn-hangzhou", SOURCE, "LATEST", "x".repeat(65)));
    assertThrowsIllegal(() -> CloneRequest.of("cn-hangzhou", SOURCE, "LATEST", " "));
    assertThrowsIllegal(() -> new RestorePoint(Optional.empty(), Optional.empty()));
    assertThrowsIllegal(() -> new TableRestore(SOURCE, RestorePoint.backup("1"), List.of()));
    assertEquals("2026-11-29T03:00:00Z", CloneRequest.pointInTime(clock.instant().plusMillis(900)));
  }

  private static void assertThrowsIllegal(org.junit.jupiter.api.function.Executable call) {
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, call);
  }
}
