package dev.polardbbackup.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.model.RestoreTarget.DatabaseRestore;
import dev.polardbbackup.model.RestoreTarget.TableRestore;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A PolarDBRestore, and a schedule's drill fields, read and write as the API server and a user's
 * YAML have them.
 */
class RestoreJsonTest {
  private static final KubernetesSerialization JSON = new KubernetesSerialization();
  private static final Instant T0 = Instant.parse("2026-12-02T03:00:00Z");

  static PolarDBRestoreSpec cloneSpec() {
    return new PolarDBRestoreSpec(
        "cn-hangzhou",
        new SecretReference("polardb-keys"),
        RestoreSource.ofBackupId("pc-demo1", "123456"),
        RestoreTarget.ofNewCluster(
            new NewCluster(
                DbType.MySQL,
                "8.0",
                "polar.mysql.x4.medium",
                "cn-hangzhou-h",
                "vpc-demo1",
                "vsw-demo1",
                PayType.Postpaid,
                "for checks",
                Map.of("team", "orders"))),
        DeletionPolicy.Delete,
        "4h");
  }

  private static PolarDBRestoreStatus fullStatus() {
    var status = PolarDBRestoreStatus.accept("uid-1", cloneSpec(), 1, T0);
    status.sourceResolved("pc-demo1", "123456");
    status.sending(T0);
    status.created("pc-new", "order-1", "req-1", T0.plusSeconds(1));
    status.progressed("Creating", "40%", "req-2", T0.plusSeconds(60));
    status.running(
        new ClusterEndpoint("pc-new.rwlb.rds.aliyuncs.com", 3306),
        Optional.of(Duration.ofHours(4)),
        "req-3",
        T0.plusSeconds(600));
    status.deleting(Reasons.TTL_EXPIRED, "ttl 4h is over", T0.plusSeconds(15_000));
    status.setCondition(
        Reasons.SPEC_CHANGE_IGNORED, true, Reasons.SPEC_CHANGE_IGNORED, "ignored", T0);
    return status;
  }

  @Test
  void aFullRestoreWithItsStatusSurvivesAWriteAndARead() {
    var restore = new PolarDBRestore("default", "clone", cloneSpec());
    restore.setStatus(fullStatus());

    var read = JSON.unmarshal(JSON.asJson(restore), PolarDBRestore.class);

    assertEquals(cloneSpec(), read.getSpec());
    assertEquals(fullStatus(), read.getStatus());
    assertEquals(cloneSpec(), read.getStatus().getAccepted());
    assertEquals("2026-12-02T07:10:00Z", read.getStatus().getExpiryTime());
    assertEquals(3306, read.getStatus().getEndpoint().port());
    assertEquals(Reasons.TTL_EXPIRED, read.getStatus().getDeletion().reason());
  }

  @Test
  void aTablesRestoreSurvivesAWriteAndARead() {
    var spec =
        new PolarDBRestoreSpec(
            "cn-hangzhou",
            RestoreSource.ofPointInTime("pc-demo1", T0),
            RestoreTarget.ofTables(
                List.of(
                    new DatabaseRestore(
                        "orders", "orders_old", List.of(new TableRestore("lines", "lines_old"))))));
    var status = PolarDBRestoreStatus.accept("uid-2", spec, 1, T0);
    status.sendingTableRestore(T0);
    status.tableRestoreStarted("req-1", T0);
    status.tablesRestored("req-2", T0.plusSeconds(30));
    var restore = new PolarDBRestore("default", "tables", spec);
    restore.setStatus(status);

    var read = JSON.unmarshal(JSON.asJson(restore), PolarDBRestore.class);

    assertEquals(spec, read.getSpec());
    assertEquals(status, read.getStatus());
    assertEquals("pc-demo1 at 2026-12-02T03:00:00Z", read.getStatus().getSource());
  }

  @Test
  void theShippedExampleReadsAsAThrowAwayCloneOfTheExampleBackup() throws Exception {
    var restore =
        JSON.unmarshal(
            Files.readString(Path.of("deploy/examples/restore.yaml")), PolarDBRestore.class);
    var spec = restore.getSpec();

    assertEquals(List.of(), spec.problems());
    assertEquals("orders-before-migration", spec.source().backupRef().name());
    assertEquals(Optional.of(Duration.ofHours(4)), spec.ttlDuration());
    assertEquals(DeletionPolicy.Delete, spec.effectiveDeletionPolicy());
    assertEquals(PayType.Postpaid, spec.target().newCluster().effectivePayType());
    assertEquals("vsw-demo1", spec.target().newCluster().vSwitchId());
  }

  @Test
  void aUsersYamlWithOnlyTheRequiredFieldsLeavesTheRestAbsent() {
    String yaml =
        """
        apiVersion: polardbbackup.dev/v1alpha1
        kind: PolarDBRestore
        metadata: {name: r, namespace: default}
        spec:
          regionId: cn-hangzhou
          source: {dbClusterId: pc-demo1, pointInTime: "2026-12-01T03:00:00Z"}
          target:
            tables: [{name: orders, newName: orders_old}]
        """;

    var spec = JSON.unmarshal(yaml, PolarDBRestore.class).getSpec();

    assertEquals(List.of(), spec.problems());
    assertTrue(spec.target().restoresTables());
    assertNull(spec.target().tables().get(0).tables());
    assertEquals(DeletionPolicy.Retain, spec.effectiveDeletionPolicy());
    assertEquals(Optional.empty(), spec.ttlDuration());
    assertEquals(
        "{\"regionId\":\"cn-hangzhou\",\"source\":{\"pointInTime\":\"2026-12-01T03:00:00Z\","
            + "\"dbClusterId\":\"pc-demo1\"},\"target\":{\"tables\":[{\"name\":\"orders\","
            + "\"newName\":\"orders_old\"}]}}",
        JSON.asJson(spec));
  }

  @Test
  void anEmptyStatusIsWrittenAsAnEmptyObject() {
    assertEquals("{}", JSON.asJson(new PolarDBRestoreStatus()));
  }

  @Test
  void aSchedulesDrillFieldsSurviveAWriteAndARead() {
    var spec =
        new PolarDBBackupScheduleSpec(
            "0 2 * * *",
            null,
            new BackupTemplate("pc-demo1", "cn-hangzhou", DeletionPolicy.Delete),
            null,
            null,
            null,
            null,
            null,
            null,
            new RestoreDrill(
                "7d", NewCluster.of("polar.mysql.x4.medium", "cn-hangzhou-h", "vpc-a", "vsw-a")));
    var status = new PolarDBBackupScheduleStatus();
    status.drillFinished(
        new VerifiedRestore(
            "2026-12-01T04:00:00Z",
            "123",
            DrillOutcome.Succeeded,
            Reasons.DRILL_SUCCEEDED,
            "listed orders",
            "pc-clone",
            540L),
        T0.plus(Duration.ofDays(7)));
    status.drillStarted(
        DrillInProgress.start("2026-12-02T03:00:00Z", "124", "nightly-1", "uid-s-124")
            .withCreateSent("2026-12-02T03:00:01Z")
            .withClone("pc-clone2"));
    var schedule = new PolarDBBackupSchedule("team-a", "nightly", spec);
    schedule.setStatus(status);

    var read = JSON.unmarshal(JSON.asJson(schedule), PolarDBBackupSchedule.class);

    assertEquals(spec, read.getSpec());
    assertEquals(status, read.getStatus());
    assertEquals(Optional.of(Duration.ofDays(7)), read.getSpec().verify().interval());
    assertEquals("pc-clone2", read.getStatus().getDrill().cloneDbClusterId());
    assertEquals(DrillOutcome.Succeeded, read.getStatus().getLastVerifiedRestore().outcome());
    assertEquals("2026-12-09T03:00:00Z", read.getStatus().getNextVerifyTime());
  }
}
