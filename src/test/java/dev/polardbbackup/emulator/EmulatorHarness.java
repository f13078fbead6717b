package dev.polardbbackup.emulator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.function.UnaryOperator;

/**
 * An emulator on an ephemeral port with a stopped clock, one AccessKey and one running cluster,
 * plus a signing client: what most tests start from.
 */
final class EmulatorHarness implements AutoCloseable {
  static final String KEY_ID = "LTAI5tTestKey";
  static final String SECRET = "test-secret";
  static final String CLUSTER = "pc-test1";
  static final String OTHER_CLUSTER = "pc-test2";
  static final String REGION = "cn-hangzhou";
  static final Instant START = Instant.parse("2025-03-10T02:00:00Z");

  final MutableClock clock = new MutableClock(START);
  final PolarDbEmulator emulator;
  final EmulatorServer server;
  final AcsTestClient client;

  private EmulatorHarness(UnaryOperator<PolarDbEmulator.Builder> customize) {
    PolarDbEmulator.Builder builder =
        PolarDbEmulator.builder()
            .clock(clock)
            .seed(42)
            .accessKey(KEY_ID, SECRET)
            .cluster(CLUSTER, REGION)
            .cluster(OTHER_CLUSTER, REGION);
    emulator = customize.apply(builder).build();
    try {
      server = EmulatorServer.start(emulator, new InetSocketAddress("127.0.0.1", 0));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    client = new AcsTestClient(server.baseUri(), clock, KEY_ID, SECRET);
  }

  static EmulatorHarness start() {
    return new EmulatorHarness(b -> b);
  }

  static EmulatorHarness start(UnaryOperator<PolarDbEmulator.Builder> customize) {
    return new EmulatorHarness(customize);
  }

  AcsTestClient.Reply createBackup(String cluster, String clientToken) {
    AcsTestClient.Call call = client.call("CreateBackup").param("DBClusterId", cluster);
    if (clientToken != null) {
      call.param("ClientToken", clientToken);
    }
    return call.v3();
  }

  AcsTestClient.Reply createBackup() {
    return createBackup(CLUSTER, null);
  }

  AcsTestClient.Call describeBackups(String cluster) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.MINUTES);
    return client
        .call("DescribeBackups")
        .param("DBClusterId", cluster)
        .param("StartTime", WireTime.minutes(now.minus(Duration.ofDays(1))))
        .param("EndTime", WireTime.minutes(now.plus(Duration.ofDays(1))));
  }

  AcsTestClient.Reply describeTasks(String cluster) {
    return client.call("DescribeBackupTasks").param("DBClusterId", cluster).v3();
  }

  AcsTestClient.Reply deleteBackup(String cluster, String backupIds) {
    return client
        .call("DeleteBackup")
        .param("DBClusterId", cluster)
        .param("BackupId", backupIds)
        .v3();
  }

  /** The BackupId of the backup set a job created, from the ledger. */
  String backupIdOf(String backupJobId) {
    return emulator.ledger().backups().stream()
        .filter(b -> b.backupJobId().equals(backupJobId))
        .findFirst()
        .orElseThrow()
        .backupId();
  }

  @Override
  public void close() {
    server.close();
  }
}
