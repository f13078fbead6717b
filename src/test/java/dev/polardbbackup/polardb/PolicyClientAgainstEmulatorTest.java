package dev.polardbbackup.polardb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.emulator.ApiCall;
import dev.polardbbackup.emulator.EmulatorServer;
import dev.polardbbackup.emulator.FaultSpec;
import dev.polardbbackup.emulator.MutableClock;
import dev.polardbbackup.emulator.PolarDbEmulator;
import dev.polardbbackup.emulator.PolicyReadings;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The backup-policy calls of the real client over real HTTP against the emulator. */
class PolicyClientAgainstEmulatorTest {
  private static final String KEY = "LTAI5tPolicyTest";
  private static final String SECRET = "policy-test-secret";
  private static final String CLUSTER = "pc-policy1";

  private final MutableClock clock = MutableClock.at("2026-11-29T03:00:00Z");
  private final OkHttpClient http =
      PolarDbClientFactory.httpClient(Duration.ofSeconds(2), Duration.ofSeconds(2));
  private PolarDbEmulator emulator;
  private EmulatorServer server;

  private PolarDbClient start(PolicyReadings readings) throws IOException {
    emulator =
        PolarDbEmulator.builder()
            .clock(clock)
            .accessKey(KEY, SECRET)
            .cluster(CLUSTER, "cn-hangzhou")
            .backupDuration(Duration.ofMinutes(1))
            .policyReadings(readings)
            .build();
    server = EmulatorServer.start(emulator, new InetSocketAddress("127.0.0.1", 0));
    return new PolarDbClient(
        server.baseUri(),
        CredentialsProvider.of(Credentials.of(KEY, SECRET, "test")),
        http,
        clock,
        CallListener.NONE);
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private long modifyCalls() {
    return emulator.ledger().callsTo("ModifyBackupPolicy").stream()
        .filter(c -> c.code().equals("OK"))
        .count();
  }

  @ParameterizedTest(name = "Describe answers with {0} names")
  @EnumSource(PolicyReadings.Names.class)
  void roundTripUnderEverySpellingOfDescribe(PolicyReadings.Names names) throws IOException {
    PolarDbClient client = start(PolicyReadings.defaults().withDescribeNames(names));

    BackupPolicy initial = client.describeBackupPolicy(CLUSTER).value();
    assertEquals("Monday,Wednesday,Friday", initial.dataLevel1BackupPeriod());
    assertEquals("18:00Z-19:00Z", initial.dataLevel1BackupTime());
    assertEquals("Normal", initial.dataLevel1BackupFrequency());
    assertEquals("7", initial.dataLevel1BackupRetentionPeriod());
    assertEquals("NONE", initial.backupRetentionPolicyOnClusterDeletion());
    assertNull(initial.dataLevel2BackupAnotherRegionRegion(), "empty region is read as unset");

    BackupPolicy wanted =
        BackupPolicy.empty()
            .withDataLevel1BackupPeriod("Tuesday,Saturday")
            .withDataLevel1BackupTime("01:00Z-02:00Z")
            .withDataLevel1BackupFrequency("2/24H")
            .withDataLevel1BackupRetentionPeriod("14")
            .withDataLevel2BackupPeriod("Tuesday,Saturday")
            .withDataLevel2BackupRetentionPeriod("-1")
            .withDataLevel2BackupAnotherRegionRegion("cn-shanghai")
            .withDataLevel2BackupAnotherRegionRetentionPeriod("30")
            .withBackupRetentionPolicyOnClusterDeletion("ALL");
    assertTrue(client.modifyBackupPolicy(CLUSTER, wanted.changesFrom(initial)).isOk());

    BackupPolicy after = client.describeBackupPolicy(CLUSTER).value();
    assertEquals(wanted, after);
    assertTrue(wanted.changesFrom(after).isEmpty(), "converged: nothing left to send");
    assertEquals(1, modifyCalls());
  }

  @Test
  void modifySendsOnlyTheFieldsSetUnderTheNewerNames() throws IOException {
    PolarDbClient client = start(PolicyReadings.defaults().withLegacyNamesInModify(false));
    emulator.console().changeBackupPolicy(CLUSTER, Map.of("DataLevel1BackupTime", "05:00Z-06:00Z"));

    ApiResult<Void> result =
        client.modifyBackupPolicy(
            CLUSTER,
            BackupPolicy.empty()
                .withDataLevel1BackupPeriod("Monday,Sunday")
                .withDataLevel1BackupFrequency("4/24H"));

    assertTrue(result.isOk(), () -> result.error().describe());
    BackupPolicy after = client.describeBackupPolicy(CLUSTER).value();
    assertEquals("Monday,Sunday", after.dataLevel1BackupPeriod());
    assertEquals("4/24H", after.dataLevel1BackupFrequency());
    assertEquals("05:00Z-06:00Z", after.dataLevel1BackupTime(), "a field not sent is left alone");
    assertThrows(
        IllegalArgumentException.class,
        () -> client.modifyBackupPolicy(CLUSTER, BackupPolicy.empty()));
  }

  @Test
  void whereModifyNeedsTheWindowTheObservedOneIsSentAlong() throws IOException {
    PolarDbClient client = start(PolicyReadings.defaults().withModifyRequiresBackupWindow(true));
    BackupPolicy observed = client.describeBackupPolicy(CLUSTER).value();
    BackupPolicy changes = BackupPolicy.empty().withDataLevel1BackupRetentionPeriod("5");

    ApiResult<Void> bare = client.modifyBackupPolicy(CLUSTER, changes);
    assertEquals(FailureKind.INVALID_REQUEST, bare.error().kind());
    assertEquals("MissingPreferredBackupPeriod", bare.error().code());

    assertTrue(client.modifyBackupPolicy(CLUSTER, changes.withBackupWindowFrom(observed)).isOk());
    assertEquals(
        "5", client.describeBackupPolicy(CLUSTER).value().dataLevel1BackupRetentionPeriod());
  }

  @Test
  void level1RetentionRangeDependsOnTheReading() throws IOException {
    BackupPolicy fifteen = BackupPolicy.empty().withDataLevel1BackupRetentionPeriod("15");
    PolarDbClient strict = start(PolicyReadings.defaults());
    ApiResult<Void> refused = strict.modifyBackupPolicy(CLUSTER, fifteen);
    assertEquals(FailureKind.INVALID_REQUEST, refused.error().kind());
    assertEquals("InvalidDataLevel1BackupRetentionPeriod.Malformed", refused.error().code());
    assertEquals(400, refused.error().httpStatus());
    stop();

    PolarDbClient lenient = start(PolicyReadings.defaults().withLevel1RetentionMaxDays(30));
    assertTrue(lenient.modifyBackupPolicy(CLUSTER, fifteen).isOk());
  }

  @Test
  void errorsAreClassified() throws IOException {
    PolarDbClient client = start(PolicyReadings.defaults());
    ApiResult<BackupPolicy> unknown = client.describeBackupPolicy("pc-nosuch");
    assertEquals(FailureKind.NOT_FOUND, unknown.error().kind());
    assertEquals(404, unknown.error().httpStatus());
    assertEquals(
        FailureKind.NOT_FOUND,
        client
            .modifyLogBackupPolicy(
                "pc-nosuch", LogBackupPolicy.empty().withLogBackupRetentionPeriod("9"))
            .error()
            .kind());
    assertEquals(
        FailureKind.NOT_FOUND,
        client.describeLocalAvailableRecoveryTime("pc-nosuch").error().kind());

    ApiResult<Void> region =
        client.modifyBackupPolicy(
            CLUSTER, BackupPolicy.empty().withDataLevel2BackupAnotherRegionRegion("moon-1"));
    assertEquals(FailureKind.INVALID_REQUEST, region.error().kind());
    assertEquals("InvalidDataLevel2AnotherRegionRegion.NotFound", region.error().code());

    ApiResult<Void> noRegion =
        client.modifyBackupPolicy(
            CLUSTER, BackupPolicy.empty().withDataLevel2BackupAnotherRegionRetentionPeriod("30"));
    assertEquals(FailureKind.INVALID_REQUEST, noRegion.error().kind());
    assertEquals("IncorrectBackupPolicy", noRegion.error().code());

    emulator.addCluster("pc-busy", "cn-hangzhou", "ClassChanging");
    ApiResult<Void> busy =
        client.modifyBackupPolicy(
            "pc-busy", BackupPolicy.empty().withBackupRetentionPolicyOnClusterDeletion("ALL"));
    assertEquals(FailureKind.WRONG_CLUSTER_STATE, busy.error().kind());

    emulator.setFault("DescribeBackupPolicy", new FaultSpec(Duration.ZERO, 1.0, 0, 0));
    assertEquals(FailureKind.THROTTLED, client.describeBackupPolicy(CLUSTER).error().kind());
    emulator.setFault("ModifyBackupPolicy", new FaultSpec(Duration.ZERO, 0, 0, 1.0));
    ApiResult<Void> lost =
        client.modifyBackupPolicy(
            CLUSTER, BackupPolicy.empty().withDataLevel1BackupRetentionPeriod("4"));
    assertEquals(FailureKind.OUTCOME_UNKNOWN, lost.error().kind());
    assertEquals(
        "4",
        emulator.console().backupPolicy(CLUSTER).get("DataLevel1BackupRetentionPeriod"),
        "processed although the reply was lost; a Modify is safe to repeat");
    assertEquals(
        ApiCall.LOST_RESPONSE, emulator.ledger().callsTo("ModifyBackupPolicy").get(3).code());
  }

  @Test
  void logBackupPolicyRoundTrip() throws IOException {
    PolarDbClient client = start(PolicyReadings.defaults());
    LogBackupPolicy initial = client.describeLogBackupPolicy(CLUSTER).value();
    assertEquals(new LogBackupPolicy("7", null, "0", "1"), initial);

    LogBackupPolicy wanted =
        LogBackupPolicy.empty()
            .withLogBackupRetentionPeriod("-1")
            .withLogBackupAnotherRegionRegion("ap-southeast-1")
            .withLogBackupAnotherRegionRetentionPeriod("7300");
    assertTrue(client.modifyLogBackupPolicy(CLUSTER, wanted.changesFrom(initial)).isOk());

    LogBackupPolicy after = client.describeLogBackupPolicy(CLUSTER).value();
    assertEquals(new LogBackupPolicy("-1", "ap-southeast-1", "7300", "1"), after);
    assertTrue(wanted.changesFrom(after).isEmpty());
    assertThrows(
        IllegalArgumentException.class,
        () -> client.modifyLogBackupPolicy(CLUSTER, new LogBackupPolicy(null, null, null, "1")));
  }

  @Test
  void recoveryWindowFollowsTheClustersSuccessfulBackups() throws IOException {
    PolarDbClient client = start(PolicyReadings.defaults());
    RecoveryWindow none = client.describeLocalAvailableRecoveryTime(CLUSTER).value();
    assertFalse(none.known());

    String first = emulator.createConsoleBackup(CLUSTER);
    clock.advance(Duration.ofMinutes(10));
    RecoveryWindow window = client.describeLocalAvailableRecoveryTime(CLUSTER).value();

    assertTrue(window.known());
    assertEquals(Instant.parse("2026-11-29T03:00:00Z"), window.recoveryBeginTime().orElseThrow());
    assertEquals(Instant.parse("2026-11-29T03:10:00Z"), window.recoveryEndTime().orElseThrow());

    emulator.console().deleteBackup(CLUSTER, first);
    assertFalse(client.describeLocalAvailableRecoveryTime(CLUSTER).value().known());
  }

  @Test
  void backupsKeptAfterTheClusterIsDeletedAreFoundAsDetached() throws IOException {
    PolarDbClient client = start(PolicyReadings.defaults());
    assertTrue(
        client
            .modifyBackupPolicy(
                CLUSTER, BackupPolicy.empty().withBackupRetentionPolicyOnClusterDeletion("ALL"))
            .isOk());
    String id = emulator.createConsoleBackup(CLUSTER);
    clock.advance(Duration.ofMinutes(5));
    emulator.console().deleteCluster(CLUSTER);
    DescribeBackupsQuery query =
        DescribeBackupsQuery.manual(CLUSTER, clock.instant().minusSeconds(3600), clock.instant());

    ApiResult<BackupPage> gone = client.describeBackups(query);
    assertEquals(FailureKind.NOT_FOUND, gone.error().kind());
    assertEquals("InvalidDBClusterId.NotFound", gone.error().code());

    BackupPage detached = client.describeDetachedBackups(query).value();
    assertEquals(1, detached.backups().size());
    assertEquals(id, detached.backups().get(0).backupId());
    assertTrue(detached.backups().get(0).succeeded());
  }
}
