package dev.polardbbackup.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A PolarDBBackupPolicy reads and writes as the API server and a user's YAML have it. */
class BackupPolicyJsonTest {
  private static final KubernetesSerialization JSON = new KubernetesSerialization();
  private static final Instant T0 = Instant.parse("2026-12-02T03:00:00Z");

  private static PolarDBBackupPolicySpec fullSpec() {
    return new PolarDBBackupPolicySpec(
        "pc-bp1abcdefghij1234",
        "cn-hangzhou",
        new SecretReference("polardb-keys"),
        ManagementPolicy.ObserveOnly,
        new Level1Backups(
            List.of(Weekday.Monday, Weekday.Wednesday, Weekday.Friday),
            "18:00Z-19:00Z",
            7,
            "2/24H"),
        new Level2Backups(List.of(Weekday.Monday, Weekday.Friday), 365, "cn-shanghai", -1),
        new LogBackups(30, "cn-shanghai", 0),
        RetentionOnClusterDeletion.LATEST);
  }

  private static PolarDBBackupPolicyStatus fullStatus() {
    var status = new PolarDBBackupPolicyStatus();
    status.setObservedGeneration(3L);
    status.setReason(Reasons.POLICY_DRIFTED);
    status.setMessage("level1.retentionDays differs");
    status.setLastSyncTime(Conditions.timestamp(T0));
    status.setEffective(
        new EffectivePolicy(
            new EffectivePolicy.Level1(List.of("Monday", "Friday"), "18:00Z-19:00Z", 14, "Normal"),
            new EffectivePolicy.Level2(List.of("Monday", "Friday"), 0, null, 0),
            new EffectivePolicy.Logs(7, null, 0),
            "NONE"));
    status.setDrift(List.of("level1.retentionDays: wanted 7, PolarDB has 14"));
    status.setRecoveryWindow(new RecoverableWindow("2026-11-25T18:00:00Z", "2026-12-02T02:59:00Z"));
    status.setCondition(
        PolarDBBackupPolicyStatus.READY, true, Reasons.POLICY_DRIFTED, "reported only", T0);
    status.setCondition(
        PolarDBBackupPolicyStatus.IN_SYNC, false, Reasons.POLICY_DRIFTED, "1 field differs", T0);
    return status;
  }

  @Test
  void aFullPolicyWithItsStatusSurvivesAWriteAndARead() {
    var policy = new PolarDBBackupPolicy("team-a", "orders", fullSpec());
    policy.setStatus(fullStatus());

    var read = JSON.unmarshal(JSON.asJson(policy), PolarDBBackupPolicy.class);

    assertEquals(fullSpec(), read.getSpec());
    assertEquals(fullStatus(), read.getStatus());
    assertEquals("Ready", read.getStatus().getConditions().get(0).getType());
    assertEquals(
        "1 field differs",
        read.getStatus().condition(PolarDBBackupPolicyStatus.IN_SYNC).orElseThrow().getMessage());
  }

  @Test
  void thePolicyIsWrittenInPolarDbsSpellings() {
    String json = JSON.asJson(new PolarDBBackupPolicy("team-a", "orders", fullSpec()));
    assertTrue(json.contains("\"backupPeriod\":[\"Monday\",\"Wednesday\",\"Friday\"]"), json);
    assertTrue(json.contains("\"frequency\":\"2/24H\""), json);
    assertTrue(json.contains("\"retentionOnClusterDeletion\":\"LATEST\""), json);
    assertTrue(json.contains("\"managementPolicy\":\"ObserveOnly\""), json);
  }

  @Test
  void aUsersYamlWithOnlySomeFieldsLeavesTheRestAbsent() {
    String yaml =
        """
        apiVersion: polardbbackup.dev/v1alpha1
        kind: PolarDBBackupPolicy
        metadata:
          name: orders
          namespace: team-a
        spec:
          dbClusterId: pc-bp1abcdefghij1234
          regionId: cn-hangzhou
          level1:
            backupWindow: 23:00Z-00:00Z
            frequency: 4/24H
          retentionOnClusterDeletion: ALL
        """;

    var policy = JSON.unmarshal(yaml, PolarDBBackupPolicy.class);
    var spec = policy.getSpec();

    assertEquals(new Level1Backups(null, "23:00Z-00:00Z", null, "4/24H"), spec.level1());
    assertEquals(RetentionOnClusterDeletion.ALL, spec.retentionOnClusterDeletion());
    assertNull(spec.level2());
    assertNull(spec.logBackups());
    assertNull(spec.credentialsSecretRef());
    assertEquals(ManagementPolicy.Enforce, spec.effectiveManagementPolicy());
    assertEquals(List.of(), spec.problems());
    assertNull(policy.getStatus());
    assertFalse(policy.isPaused());
  }

  @Test
  void anEmptyStatusIsWrittenAsAnEmptyObject() {
    assertEquals("{}", JSON.asJson(new PolarDBBackupPolicyStatus()));
  }

  @Test
  void thePauseAnnotationPausesAPolicyAsItDoesABackup() {
    var policy = new PolarDBBackupPolicy("team-a", "orders", fullSpec());
    policy.getMetadata().setAnnotations(java.util.Map.of(PolarDBBackup.PAUSED_ANNOTATION, "true"));
    assertTrue(policy.isPaused());
  }
}
