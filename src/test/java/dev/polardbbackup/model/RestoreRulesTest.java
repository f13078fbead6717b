package dev.polardbbackup.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.polardbbackup.model.RestoreTarget.DatabaseRestore;
import dev.polardbbackup.model.RestoreTarget.TableRestore;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The rules of a restore's spec, and of a schedule's restore drill, that the CRD schema cannot
 * enforce (no CEL on 1.20): each rule with the exact sentence a user reads.
 */
class RestoreRulesTest {
  private static final NewCluster CLONE =
      NewCluster.of("polar.mysql.x4.medium", "cn-hangzhou-h", "vpc-demo1", "vsw-demo1");
  private static final RestoreTarget NEW_CLUSTER = RestoreTarget.ofNewCluster(CLONE);
  private static final RestoreTarget TABLES =
      RestoreTarget.ofTables(
          List.of(
              new DatabaseRestore(
                  "orders", "orders_restored", List.of(new TableRestore("lines", null)))));

  private static List<String> problems(RestoreSource source, RestoreTarget target) {
    return new PolarDBRestoreSpec("cn-hangzhou", source, target).problems();
  }

  private static List<String> problems(
      RestoreTarget target, DeletionPolicy deletionPolicy, String ttl) {
    return new PolarDBRestoreSpec(
            "cn-hangzhou", null, RestoreSource.ofBackup("b"), target, deletionPolicy, ttl)
        .problems();
  }

  private static RestoreTarget cloneWithTags(Map<String, String> tags) {
    return RestoreTarget.ofNewCluster(
        new NewCluster(
            null, null, "polar.mysql.x4.medium", "z-a", "vpc-a", "vsw-a", null, null, tags));
  }

  @Test
  void eachOfTheThreeSourcesIsFineWithEitherTarget() {
    for (RestoreTarget target : List.of(NEW_CLUSTER, TABLES)) {
      assertEquals(List.of(), problems(RestoreSource.ofBackup("orders-nightly"), target));
      assertEquals(List.of(), problems(RestoreSource.ofBackupId("pc-demo1", "123"), target));
      assertEquals(
          List.of(),
          problems(
              RestoreSource.ofPointInTime(
                  "pc-demo1", java.time.Instant.parse("2026-12-01T03:00:00Z")),
              target));
    }
  }

  @Test
  void aSourceMustNameExactlyOneWay() {
    assertEquals(
        List.of(
            "spec.source must name exactly one of backupRef, backupId or pointInTime; it names 0."),
        problems(new RestoreSource(null, null, null, "pc-demo1"), NEW_CLUSTER));
    assertEquals(
        List.of(
            "spec.source must name exactly one of backupRef, backupId or pointInTime; it names 2."),
        problems(new RestoreSource(null, "123", "2026-12-01T03:00:00Z", "pc-demo1"), NEW_CLUSTER));
  }

  @Test
  void aBackupRefBringsItsOwnCluster() {
    assertEquals(
        List.of(
            "spec.source.dbClusterId must be left out with backupRef: the cluster is the backup's."),
        problems(new RestoreSource(new BackupReference("b"), null, null, "pc-demo1"), NEW_CLUSTER));
  }

  @Test
  void aBackupIdOrPointInTimeNeedsItsCluster() {
    assertEquals(
        List.of("spec.source.dbClusterId is required with backupId: name the source cluster."),
        problems(new RestoreSource(null, "123", null, null), NEW_CLUSTER));
    assertEquals(
        List.of("spec.source.dbClusterId is required with pointInTime: name the source cluster."),
        problems(new RestoreSource(null, null, "2026-12-01T03:00:00Z", null), NEW_CLUSTER));
  }

  @ParameterizedTest
  @ValueSource(strings = {"2026-13-01T03:00:00Z", "2026-12-01T03:00:00+08:00", "yesterday"})
  void aPointInTimeMustBeAUtcTime(String time) {
    assertEquals(
        List.of(
            "spec.source.pointInTime " + time + " is not a UTC time such as 2026-12-01T03:00:00Z."),
        problems(new RestoreSource(null, null, time, "pc-demo1"), NEW_CLUSTER));
  }

  @Test
  void tablesAreRestoredToTheMinuteOnly() {
    var source = new RestoreSource(null, null, "2026-12-01T03:00:30Z", "pc-demo1");
    assertEquals(List.of(), problems(source, NEW_CLUSTER));
    assertEquals(
        List.of(
            "spec.source.pointInTime 2026-12-01T03:00:30Z must be on the minute for a tables"
                + " target: RestoreTable takes no seconds."),
        problems(source, TABLES));
  }

  @Test
  void aTargetMustNameExactlyOneWay() {
    assertEquals(
        List.of("spec.target must name exactly one of newCluster or tables; it names 0."),
        problems(RestoreSource.ofBackup("b"), new RestoreTarget(null, null)));
    assertEquals(
        List.of("spec.target must name exactly one of newCluster or tables; it names 2."),
        problems(RestoreSource.ofBackup("b"), new RestoreTarget(CLONE, TABLES.tables())));
  }

  @Test
  void aMissingSourceOrTargetIsNamed() {
    assertEquals(
        List.of("spec.source is required.", "spec.target is required."),
        new PolarDBRestoreSpec("cn-hangzhou", null, null).problems());
  }

  @Test
  void twoDatabasesOrTablesRestoredUnderOneNameAreAProblem() {
    var tables =
        RestoreTarget.ofTables(
            List.of(
                new DatabaseRestore("a", "copy", null),
                new DatabaseRestore(
                    "b",
                    "copy",
                    List.of(new TableRestore("t", null), new TableRestore("u", "t")))));
    assertEquals(
        List.of(
            "spec.target.tables restores more than one database as copy; give each a new name of"
                + " its own.",
            "spec.target.tables database b restores more than one table as t."),
        problems(RestoreSource.ofBackup("b"), tables));
  }

  @Test
  void aTtlIsForAThrowAwayCloneAndMustParse() {
    assertEquals(List.of(), problems(NEW_CLUSTER, DeletionPolicy.Retain, "1d12h"));
    assertEquals(
        Optional.of(Duration.ofHours(36)),
        new PolarDBRestoreSpec("r", null, null, null, null, "1d12h").ttlDuration());
    assertEquals(
        List.of("spec.ttl 0h is not a duration above zero such as 2h or 7d (units d, h, m)."),
        problems(NEW_CLUSTER, null, "0h"));
    assertEquals(
        List.of("spec.ttl 2 hours is not a duration above zero such as 2h or 7d (units d, h, m)."),
        problems(NEW_CLUSTER, null, "2 hours"));
    assertEquals(
        List.of("spec.ttl applies only to a newCluster target: restored tables stay."),
        problems(TABLES, null, "2h"));
  }

  @Test
  void deletionPolicyDeleteIsForANewClusterOnly() {
    assertEquals(List.of(), problems(NEW_CLUSTER, DeletionPolicy.Delete, null));
    assertEquals(List.of(), problems(TABLES, DeletionPolicy.Retain, null));
    assertEquals(
        List.of(
            "spec.deletionPolicy Delete applies only to a newCluster target: restored tables"
                + " stay."),
        problems(TABLES, DeletionPolicy.Delete, null));
  }

  @Test
  void seventeenTagsFitBesideTheOperatorsThreeAndEighteenDoNot() {
    Map<String, String> tags = new HashMap<>();
    for (int i = 0; i < 17; i++) {
      tags.put("k" + i, "v");
    }
    assertEquals(List.of(), problems(RestoreSource.ofBackup("b"), cloneWithTags(tags)));
    tags.put("k17", "v");
    assertEquals(
        List.of(
            "spec.target.newCluster.tags has 18 tags; at most 17 fit beside the operator's 3"
                + " (PolarDB takes 20)."),
        problems(RestoreSource.ofBackup("b"), cloneWithTags(tags)));
  }

  @Test
  void theOperatorsTagKeysAreReserved() {
    assertEquals(
        List.of(
            "spec.target.newCluster.tags key polardbbackup.dev/uid is reserved: keys under"
                + " polardbbackup.dev/ are the operator's."),
        problems(RestoreSource.ofBackup("b"), cloneWithTags(Map.of("polardbbackup.dev/uid", "x"))));
  }

  @Test
  void tagKeysAlibabaRefusesAreAProblem() {
    assertEquals(
        List.of(
            "spec.target.newCluster.tags key acs:team is refused by Alibaba Cloud: no aliyun or"
                + " acs: prefix."),
        problems(RestoreSource.ofBackup("b"), cloneWithTags(Map.of("acs:team", "x"))));
    assertEquals(
        List.of("spec.target.newCluster.tags value of team is longer than 128 characters."),
        problems(RestoreSource.ofBackup("b"), cloneWithTags(Map.of("team", "x".repeat(129)))));
  }

  @Test
  void theOperatorsTagsComeFirstAndCannotBeOverridden() {
    var clone =
        new NewCluster(null, null, "c", "z-a", "vpc-a", "vsw-a", null, null, Map.of("team", "a"));
    assertEquals(
        List.of(NewCluster.TAG_NAMESPACE, NewCluster.TAG_NAME, NewCluster.TAG_UID, "team"),
        List.copyOf(clone.tagsFor("default", "r", "uid-1").keySet()));
    assertEquals("uid-1", clone.tagsFor("default", "r", "uid-1").get("polardbbackup.dev/uid"));
    assertEquals(PayType.Postpaid, clone.effectivePayType());
  }

  // ---- a schedule's restore drill ----

  private static List<String> drill(String every, NewCluster clone) {
    return new PolarDBBackupScheduleSpec(
            "0 2 * * *",
            null,
            new BackupTemplate("pc-demo1", "cn-hangzhou", DeletionPolicy.Delete),
            null,
            null,
            null,
            null,
            null,
            null,
            new RestoreDrill(every, clone))
        .problems();
  }

  @Test
  void aScheduleWithoutDrillsHasNoDrillProblems() {
    assertEquals(
        List.of(),
        PolarDBBackupScheduleSpec.of(
                "0 2 * * *", new BackupTemplate("pc-demo1", "cn-hangzhou", null))
            .problems());
    assertEquals(List.of(), drill("7d", CLONE));
    assertEquals(List.of(), drill("1h", CLONE));
  }

  @Test
  void aDrillAtLeastAnHourApart() {
    assertEquals(
        List.of("spec.verify.every 59m is shorter than 1h, the shortest allowed."),
        drill("59m", CLONE));
    assertEquals(
        List.of("spec.verify.every weekly is not a duration such as 7d or 12h (units d, h, m)."),
        drill("weekly", CLONE));
  }

  @Test
  void aDrillsCloneFollowsTheRestoreTagRules() {
    var clone =
        new NewCluster(
            null,
            null,
            "c",
            "z-a",
            "vpc-a",
            "vsw-a",
            null,
            null,
            Map.of("polardbbackup.dev/name", "x"));
    assertEquals(
        List.of(
            "spec.verify.newCluster.tags key polardbbackup.dev/name is reserved: keys under"
                + " polardbbackup.dev/ are the operator's."),
        drill("7d", clone));
    assertEquals(List.of("spec.verify.newCluster is required."), drill("7d", null));
  }
}
