package dev.polardbbackup.policy;

import static dev.polardbbackup.backup.OperatorHarness.CLUSTER;
import static dev.polardbbackup.backup.OperatorHarness.NAMESPACE;
import static dev.polardbbackup.backup.OperatorHarness.REGION;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.backup.MockKubernetes;
import dev.polardbbackup.backup.OperatorHarness;
import dev.polardbbackup.emulator.FaultSpec;
import dev.polardbbackup.emulator.PolarDbEmulator;
import dev.polardbbackup.emulator.PolicyReadings;
import dev.polardbbackup.model.GrantedAction;
import dev.polardbbackup.model.Level1Backups;
import dev.polardbbackup.model.LogBackups;
import dev.polardbbackup.model.ManagementPolicy;
import dev.polardbbackup.model.PolarDBBackupPolicy;
import dev.polardbbackup.model.PolarDBBackupPolicySpec;
import dev.polardbbackup.model.PolarDBBackupPolicyStatus;
import dev.polardbbackup.model.Reasons;
import dev.polardbbackup.model.RetentionOnClusterDeletion;
import dev.polardbbackup.model.Weekday;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A PolarDBBackupPolicy against the emulator: it converges with one Modify call per policy, stays
 * quiet while PolarDB agrees, corrects drift under Enforce and only reports it under ObserveOnly,
 * and refuses what is wrong (before any call when the operator can tell, with PolarDB's code when
 * only PolarDB can) and what no grant allows.
 */
class BackupPolicyControllerTest {
  private static final PolicySettings FAST =
      new PolicySettings(Duration.ofMillis(200), Duration.ofMillis(200));

  @RegisterExtension final MockKubernetes kubernetes = new MockKubernetes(() -> this.harness);
  private final KubernetesClient client = kubernetes.client;
  private OperatorHarness harness;

  private OperatorHarness start(PolarDbEmulator.Builder emulator) throws Exception {
    harness =
        new OperatorHarness(client, emulator.build(), OperatorHarness.fastSettings())
            .withPolicies(FAST);
    return harness;
  }

  private static PolarDBBackupPolicySpec spec(
      ManagementPolicy mode, Level1Backups level1, LogBackups logs) {
    return new PolarDBBackupPolicySpec(
        CLUSTER, REGION, null, mode, level1, null, logs, RetentionOnClusterDeletion.LATEST);
  }

  private static Level1Backups level1(String window, int retention) {
    return new Level1Backups(
        List.of(Weekday.Tuesday, Weekday.Saturday), window, retention, "Normal");
  }

  private void apply(String name, PolarDBBackupPolicySpec spec) {
    client.resource(new PolarDBBackupPolicy(NAMESPACE, name, spec)).create();
  }

  private PolarDBBackupPolicy awaitPolicy(String name, Predicate<PolarDBBackupPolicy> done) {
    return await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () ->
                client
                    .resources(PolarDBBackupPolicy.class)
                    .inNamespace(NAMESPACE)
                    .withName(name)
                    .get(),
            p -> p != null && p.getStatus() != null && done.test(p));
  }

  private static boolean condition(PolarDBBackupPolicy p, String type, String status) {
    return p.getStatus()
        .condition(type)
        .map(Condition::getStatus)
        .filter(status::equals)
        .isPresent();
  }

  private long calls(String action) {
    return harness.emulator.ledger().callsByAction().getOrDefault(action, 0L);
  }

  private long policyCalls() {
    return harness.emulator.ledger().callsByAction().entrySet().stream()
        .filter(e -> e.getKey().contains("BackupPolicy") || e.getKey().contains("RecoveryTime"))
        .mapToLong(Map.Entry::getValue)
        .sum();
  }

  private PolarDBBackupPolicy awaitInSync(String name) {
    return awaitPolicy(
        name,
        p ->
            condition(p, PolarDBBackupPolicyStatus.READY, "True")
                && condition(p, PolarDBBackupPolicyStatus.IN_SYNC, "True"));
  }

  @Test
  void convergesWithOneModifyPerPolicyAndThenOnlyLooks() throws Exception {
    start(OperatorHarness.emulator()).start();
    apply("prod", spec(null, level1("02:00Z-03:00Z", 10), new LogBackups(30, null, null)));

    PolarDBBackupPolicy synced = awaitInSync("prod");

    assertEquals(1, calls("ModifyBackupPolicy"));
    assertEquals(1, calls("ModifyLogBackupPolicy"));
    var effective = synced.getStatus().getEffective();
    assertEquals(10, effective.level1().retentionDays());
    assertEquals("02:00Z-03:00Z", effective.level1().backupWindow());
    assertEquals(List.of("Tuesday", "Saturday"), effective.level1().backupPeriod());
    assertEquals("LATEST", effective.retentionOnClusterDeletion());
    assertEquals(30, effective.logBackups().retentionDays());
    assertNotNull(synced.getStatus().getLastSyncTime());
    assertTrue(harness.hasEvent("prod", Reasons.POLICY_APPLIED));
    // Ten more looks (a resync every 200 ms): PolarDB agrees, so nothing is changed.
    long looks = calls("DescribeBackupPolicy");
    await().atMost(Duration.ofSeconds(20)).until(() -> calls("DescribeBackupPolicy") >= looks + 10);
    assertEquals(1, calls("ModifyBackupPolicy"), "no Modify while PolarDB agrees");
    assertEquals(1, calls("ModifyLogBackupPolicy"), "no Modify while PolarDB agrees");
  }

  @Test
  void aChangeMadeInTheConsoleIsCorrectedUnderEnforce() throws Exception {
    start(OperatorHarness.emulator()).start();
    apply("prod", spec(ManagementPolicy.Enforce, level1("02:00Z-03:00Z", 10), null));
    awaitInSync("prod");

    harness
        .emulator
        .console()
        .changeBackupPolicy(
            CLUSTER,
            Map.of(
                "DataLevel1BackupRetentionPeriod", "5",
                "BackupRetentionPolicyOnClusterDeletion", "NONE"));

    await().atMost(Duration.ofSeconds(20)).until(() -> calls("ModifyBackupPolicy") == 2);
    PolarDBBackupPolicy corrected =
        awaitPolicy(
            "prod",
            p ->
                "LATEST".equals(p.getStatus().getEffective().retentionOnClusterDeletion())
                    && Integer.valueOf(10)
                        .equals(p.getStatus().getEffective().level1().retentionDays()));
    assertEquals(
        "10",
        harness.emulator.console().backupPolicy(CLUSTER).get("DataLevel1BackupRetentionPeriod"));
    assertTrue(
        harness.events("prod").stream()
            .anyMatch(
                e ->
                    e.getMessage().startsWith("Corrected a change made outside this resource")
                        && e.getMessage().contains("retentionOnClusterDeletion: wanted LATEST")),
        "the Event names what was corrected");
    assertTrue(condition(corrected, PolarDBBackupPolicyStatus.IN_SYNC, "True"));
  }

  @Test
  void underObserveOnlyDriftIsReportedAndNothingIsChanged() throws Exception {
    start(OperatorHarness.emulator()).start();
    apply("watch", spec(ManagementPolicy.ObserveOnly, level1("02:00Z-03:00Z", 10), null));

    PolarDBBackupPolicy observed =
        awaitPolicy("watch", p -> condition(p, PolarDBBackupPolicyStatus.IN_SYNC, "False"));

    assertEquals(0, calls("ModifyBackupPolicy") + calls("ModifyLogBackupPolicy"));
    assertTrue(condition(observed, PolarDBBackupPolicyStatus.READY, "True"));
    assertEquals(Reasons.POLICY_DRIFTED, observed.getStatus().getReason());
    List<String> drift = observed.getStatus().getDrift();
    assertTrue(drift.contains("level1.retentionDays: wanted 10, PolarDB has 7"), drift.toString());
    assertTrue(
        drift.contains("retentionOnClusterDeletion: wanted LATEST, PolarDB has NONE"),
        drift.toString());
    assertTrue(harness.hasEvent("watch", Reasons.POLICY_DRIFTED));
    // The emulator's default policy is what status shows: PolarDB's, not the spec's.
    assertEquals(7, observed.getStatus().getEffective().level1().retentionDays());
  }

  @Test
  void aValueOnlyPolarDbCanRefuseIsReadyFalseWithItsCode() throws Exception {
    // The schema allows 3-30 days; this PolarDB reads its docs as 3-14.
    start(OperatorHarness.emulator()).start();
    apply("long", spec(null, level1("02:00Z-03:00Z", 20), null));

    PolarDBBackupPolicy refused =
        awaitPolicy("long", p -> Reasons.INVALID_REQUEST.equals(p.getStatus().getReason()));

    assertTrue(condition(refused, PolarDBBackupPolicyStatus.READY, "False"));
    assertTrue(
        refused.getStatus().getMessage().contains("InvalidDataLevel1BackupRetentionPeriod"),
        refused.getStatus().getMessage());
    assertTrue(harness.hasEvent("long", Reasons.INVALID_REQUEST));
    assertEquals(
        "7",
        harness.emulator.console().backupPolicy(CLUSTER).get("DataLevel1BackupRetentionPeriod"),
        "nothing was half-applied");
  }

  @Test
  void whatTheSchemaCannotSayIsRefusedBeforeAnyCall() throws Exception {
    start(OperatorHarness.emulator()).start();
    apply("wide", spec(null, level1("02:00Z-04:00Z", 7), null));

    PolarDBBackupPolicy refused =
        awaitPolicy("wide", p -> Reasons.INVALID_SPEC.equals(p.getStatus().getReason()));

    assertTrue(refused.getStatus().getMessage().contains("spec.level1.backupWindow"));
    assertTrue(condition(refused, PolarDBBackupPolicyStatus.READY, "False"));
    assertTrue(harness.hasEvent("wide", Reasons.INVALID_SPEC));
    assertEquals(0, policyCalls(), "no PolarDB call for a spec the operator can tell is wrong");
  }

  @Test
  void withoutAGrantForPolicyNothingIsCalledUntilOneIsMade() throws Exception {
    start(OperatorHarness.emulator()).withoutAllowAllGrant().start();
    client
        .resource(
            OperatorHarness.grant(
                "backups-only",
                new LabelSelectorBuilder()
                    .withMatchLabels(Map.of("kubernetes.io/metadata.name", NAMESPACE))
                    .build(),
                REGION,
                CLUSTER,
                null,
                GrantedAction.Backup,
                GrantedAction.Delete))
        .create();
    apply("prod", spec(null, level1("02:00Z-03:00Z", 10), null));

    PolarDBBackupPolicy refused =
        awaitPolicy("prod", p -> Reasons.NOT_PERMITTED.equals(p.getStatus().getReason()));
    assertTrue(condition(refused, PolarDBBackupPolicyStatus.READY, "False"));
    assertEquals(0, policyCalls());

    client
        .resource(
            OperatorHarness.grant(
                "policy",
                new LabelSelectorBuilder()
                    .withMatchLabels(Map.of("kubernetes.io/metadata.name", NAMESPACE))
                    .build(),
                REGION,
                CLUSTER,
                null,
                GrantedAction.Policy))
        .create();
    awaitInSync("prod");
    assertEquals(1, calls("ModifyBackupPolicy"));
  }

  @Test
  void aRefusedPolicyThatIsDeletedIsForgotten() throws Exception {
    // No finalizer tells the controller of a deletion: the waiters are pruned at the next grant
    // or namespace change, so refused objects created and deleted leave nothing behind.
    start(OperatorHarness.emulator()).withoutAllowAllGrant().start();
    apply("refused", spec(null, level1("02:00Z-03:00Z", 10), null));
    awaitPolicy("refused", p -> Reasons.NOT_PERMITTED.equals(p.getStatus().getReason()));
    assertEquals(1, harness.policies.waitingForGrant());

    client.resources(PolarDBBackupPolicy.class).inNamespace(NAMESPACE).withName("refused").delete();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                client
                        .resources(PolarDBBackupPolicy.class)
                        .inNamespace(NAMESPACE)
                        .withName("refused")
                        .get()
                    == null);
    client
        .resource(
            OperatorHarness.grant(
                "unrelated",
                new LabelSelectorBuilder()
                    .withMatchLabels(Map.of("kubernetes.io/metadata.name", "elsewhere"))
                    .build(),
                REGION,
                "pc-other",
                null,
                GrantedAction.Backup))
        .create();

    await().atMost(Duration.ofSeconds(10)).until(() -> harness.policies.waitingForGrant() == 0);
  }

  /** Every reading of the API's ambiguities: one Modify, and in sync. */
  @ParameterizedTest
  @EnumSource(PolicyReadings.Names.class)
  void convergesUnderEveryReadingOfTheDocs(PolicyReadings.Names names) throws Exception {
    start(
            OperatorHarness.emulator()
                .policyReadings(
                    PolicyReadings.defaults()
                        .withDescribeNames(names)
                        .withLegacyNamesInModify(false)
                        .withModifyRequiresBackupWindow(true)
                        .withLevel1RetentionMaxDays(30)))
        .start();
    apply("prod", spec(null, level1("02:00Z-03:00Z", 20), new LogBackups(30, null, null)));

    PolarDBBackupPolicy synced = awaitInSync("prod");

    assertEquals(1, calls("ModifyBackupPolicy"));
    assertEquals(20, synced.getStatus().getEffective().level1().retentionDays());
    assertFalse(harness.hasEvent("prod", Reasons.INVALID_REQUEST));
  }

  @Test
  void aSecondPolicyOfTheSameClusterMakesNoCallAndSaysWhoHasIt() throws Exception {
    start(OperatorHarness.emulator()).start();
    apply("first", spec(null, level1("02:00Z-03:00Z", 10), null));
    awaitInSync("first");
    long before = policyCalls();

    apply("second", spec(null, level1("05:00Z-06:00Z", 5), null));

    PolarDBBackupPolicy refused =
        awaitPolicy("second", p -> Reasons.POLICY_CONFLICT.equals(p.getStatus().getReason()));
    assertTrue(
        refused.getStatus().getMessage().contains("PolarDBBackupPolicy first"),
        refused.getStatus().getMessage());
    assertTrue(condition(refused, PolarDBBackupPolicyStatus.READY, "False"));
    assertEquals(1, calls("ModifyBackupPolicy"), "the second one changed nothing");
    assertEquals(
        "02:00Z-03:00Z",
        harness.emulator.console().backupPolicy(CLUSTER).get("DataLevel1BackupTime"));
    assertTrue(policyCalls() >= before, "the first one keeps looking");
  }

  @Test
  void aTenantWithoutAGrantCannotBlockAnotherTeamsPolicyByCreatingOneFirst() throws Exception {
    start(OperatorHarness.emulator()).withoutAllowAllGrant().alsoWatching("team-b").start();
    client
        .resource(
            OperatorHarness.grant(
                "team-a-policy",
                new LabelSelectorBuilder()
                    .withMatchLabels(Map.of("kubernetes.io/metadata.name", NAMESPACE))
                    .build(),
                REGION,
                CLUSTER,
                null,
                GrantedAction.Policy))
        .create();
    client
        .resource(
            new PolarDBBackupPolicy(
                "team-b",
                "squatter",
                new PolarDBBackupPolicySpec(
                    CLUSTER,
                    REGION,
                    null,
                    null,
                    level1("05:00Z-06:00Z", 3),
                    null,
                    null,
                    RetentionOnClusterDeletion.NONE)))
        .create();
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> {
              PolarDBBackupPolicy p =
                  client
                      .resources(PolarDBBackupPolicy.class)
                      .inNamespace("team-b")
                      .withName("squatter")
                      .get();
              return p.getStatus() != null
                  && Reasons.NOT_PERMITTED.equals(p.getStatus().getReason());
            });

    apply("prod", spec(null, level1("02:00Z-03:00Z", 10), null));

    awaitInSync("prod");
    assertEquals(
        "LATEST",
        harness
            .emulator
            .console()
            .backupPolicy(CLUSTER)
            .get("BackupRetentionPolicyOnClusterDeletion"));
  }

  @Test
  void aFailedLookAfterTheChangeIsRetriedNotReportedAsDrift() throws Exception {
    // The Modify is slow; while it is in flight, DescribeBackupPolicy starts failing, so the look
    // that follows the change fails. That says nothing about drift: try again, then in sync.
    start(OperatorHarness.emulator()).start();
    harness.emulator.setFault("ModifyBackupPolicy", new FaultSpec(Duration.ofMillis(800), 0, 0, 0));
    apply("prod", spec(null, level1("02:00Z-03:00Z", 10), null));
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> harness.emulator.inFlight().getOrDefault("ModifyBackupPolicy", 0) > 0);
    harness.emulator.setFault("DescribeBackupPolicy", new FaultSpec(Duration.ZERO, 0, 1, 0));

    awaitPolicy("prod", p -> Reasons.API_UNAVAILABLE.equals(p.getStatus().getReason()));
    harness.emulator.clearFaults();
    awaitInSync("prod");

    assertEquals(1, calls("ModifyBackupPolicy"));
    assertFalse(harness.hasEvent("prod", Reasons.POLICY_DRIFTED), "no drift was reported");
  }

  @Test
  void aModifyWhoseReplyIsLostIsNotSentAgainOncePolarDbAgrees() throws Exception {
    // The Modify does its work, but its reply never arrives (OutcomeUnknown). The retry looks
    // first, finds PolarDB in agreement, and sends nothing: one Modify, no drift reported.
    start(OperatorHarness.emulator()).start();
    harness.emulator.setFault("ModifyBackupPolicy", FaultSpec.lostResponses(1.0));
    apply("prod", spec(null, level1("02:00Z-03:00Z", 10), null));

    awaitPolicy("prod", p -> Reasons.OUTCOME_UNKNOWN.equals(p.getStatus().getReason()));
    assertEquals(1, calls("ModifyBackupPolicy"));
    assertEquals(
        "10",
        harness.emulator.console().backupPolicy(CLUSTER).get("DataLevel1BackupRetentionPeriod"),
        "the lost Modify did its work");
    harness.emulator.clearFaults();
    PolarDBBackupPolicy synced = awaitInSync("prod");

    assertEquals(1, calls("ModifyBackupPolicy"), "not sent again");
    assertEquals(10, synced.getStatus().getEffective().level1().retentionDays());
    assertFalse(harness.hasEvent("prod", Reasons.POLICY_DRIFTED), "no drift was reported");
  }
}
