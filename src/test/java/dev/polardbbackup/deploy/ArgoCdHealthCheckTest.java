package dev.polardbbackup.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Runs the shipped Argo CD health script in a real Lua 5.1 interpreter (Argo CD's dialect) against
 * a sample resource in every phase, and the schedule's script against a schedule in every state.
 * scripts/test.sh installs lua5.1 when it is missing.
 */
class ArgoCdHealthCheckTest {
  private static final Path SCRIPT = Path.of("deploy/argocd/polardbbackup-health.lua");
  private static final Path CONFIGMAP = Path.of("deploy/argocd/argocd-cm-patch.yaml");
  private static final Path SCHEDULE_SCRIPT =
      Path.of("deploy/argocd/polardbbackupschedule-health.lua");
  private static final String KEY = "resource.customizations.health.polardbbackup.dev_";

  private static String run(String objectLiteral, Path script)
      throws IOException, InterruptedException {
    String chunk =
        "obj = "
            + objectLiteral
            + "\nlocal hs = dofile('"
            + script
            + "')\nio.write(hs.status .. '|' .. (hs.message or ''))";
    Process lua = new ProcessBuilder("lua5.1", "-e", chunk).redirectErrorStream(true).start();
    assertTrue(lua.waitFor(10, TimeUnit.SECONDS), "lua5.1 did not finish");
    String out = new String(lua.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, lua.exitValue(), out);
    return out;
  }

  /** The block-scalar value of data.{key} in argocd-cm-patch.yaml, as YAML reads it. */
  private static String embeddedScript(String key) throws IOException {
    List<String> lines = Files.readAllLines(CONFIGMAP);
    int start = lines.indexOf("  " + key + ": |");
    assertTrue(start >= 0, key + " is missing from " + CONFIGMAP);
    StringBuilder body = new StringBuilder();
    for (String line : lines.subList(start + 1, lines.size())) {
      if (!line.isBlank() && !line.startsWith("    ")) {
        break;
      }
      body.append(line.isBlank() ? "" : line.substring(4)).append('\n');
    }
    // "|" keeps exactly one final line break.
    return body.toString().stripTrailing() + "\n";
  }

  private static Path embeddedScriptFile(String key) throws IOException {
    Path extracted = Files.createTempFile("health", ".lua");
    extracted.toFile().deleteOnExit();
    Files.writeString(extracted, embeddedScript(key));
    return extracted;
  }

  @ParameterizedTest(name = "{0}/{1} -> {2}")
  @CsvSource({
    "'', '', Progressing",
    "Pending, Pending, Progressing",
    "Pending, ApiThrottled, Progressing",
    "Pending, ClusterNotReady, Progressing",
    "Pending, SecretNotFound, Degraded",
    "Pending, SecretInvalid, Degraded",
    "Pending, AuthFailed, Degraded",
    "Pending, NotPermitted, Degraded",
    "Running, NotPermitted, Degraded",
    "WaitingForQuota, WaitingForQuota, Progressing",
    "WaitingForQuota, QueuedBehindOlderBackup, Progressing",
    "Running, BackupRunning, Progressing",
    "Succeeded, BackupSucceeded, Healthy",
    "Failed, BackupFailed, Degraded",
    "Failed, ClusterNotFound, Degraded",
  })
  void everyPhaseMapsToAnArgoHealth(String phase, String reason, String expected) throws Exception {
    String object =
        phase.isEmpty()
            ? "{ metadata = { name = 'b' } }"
            : "{ status = { phase = '"
                + phase
                + "', reason = '"
                + reason
                + "', message = 'm', backupId = '123' } }";

    String result = run(object, SCRIPT);

    assertEquals(expected, result.substring(0, result.indexOf('|')), result);
  }

  @Test
  void configMapCarriesTheSameScript() throws Exception {
    assertEquals(Files.readString(SCRIPT), embeddedScript(KEY + "PolarDBBackup"));
    Path extracted = embeddedScriptFile(KEY + "PolarDBBackup");
    for (String status : new String[] {"Succeeded", "Failed", "Running"}) {
      String object =
          "{ status = { phase = '" + status + "', reason = 'AuthFailed', message = 'm' } }";
      assertEquals(run(object, SCRIPT), run(object, extracted), status);
    }
    String gone = succeeded(condition("BackupAvailable", "False", "BackupGone", "gone"));
    assertEquals(run(gone, SCRIPT), run(gone, extracted));
  }

  /** A Succeeded backup with these conditions (besides Ready). */
  private static String succeeded(String... conditions) {
    return "{ status = { phase = 'Succeeded', reason = 'BackupSucceeded', message = 'm',"
        + " backupId = '123'"
        + conditions(
            java.util.stream.Stream.concat(
                    java.util.stream.Stream.of(
                        condition("Ready", "True", "BackupSucceeded", "Backup 123 is complete.")),
                    java.util.stream.Stream.of(conditions))
                .toArray(String[]::new))
        + " } }";
  }

  @Test
  void aBackupSetGoneSinceItSucceededIsDegradedWithWhy() throws Exception {
    String object =
        succeeded(
            condition(
                "BackupAvailable",
                "False",
                "BackupGone",
                "Cluster pc-1 was deleted and PolarDB did not keep backup set 123"));

    assertEquals(
        "Degraded|BackupGone: Cluster pc-1 was deleted and PolarDB did not keep backup set 123",
        run(object, SCRIPT));
  }

  @Test
  void aBackupSetStillListedIsHealthy() throws Exception {
    assertEquals(
        "Healthy|Backup 123 is complete",
        run(succeeded(condition("BackupAvailable", "True", "BackupListed", "listed")), SCRIPT));
    assertEquals(
        "Healthy|Backup 123 is complete",
        run(
            succeeded(
                condition("BackupAvailable", "True", "KeptAfterClusterDeletion", "kept"),
                condition("RetainedAfterClusterDeletion", "True", "AllKept", "all")),
            SCRIPT));
  }

  @Test
  void aBackupThatItsClusterWouldDeleteIsHealthyButSaysSo() throws Exception {
    assertEquals(
        "Healthy|Backup 123 is complete; DeletedWithCluster: deleting the cluster deletes it",
        run(
            succeeded(
                condition("BackupAvailable", "True", "BackupListed", "listed"),
                condition("RetainedAfterClusterDeletion", "False", "DeletedWithCluster", "none")),
            SCRIPT));
  }

  // ---- PolarDBBackupSchedule ----

  private static final String NEXT = "2024-05-02T03:00:00Z";

  /** One status.conditions entry. */
  private static String condition(String type, String status, String reason, String message) {
    return "{ type = '"
        + type
        + "', status = '"
        + status
        + "', reason = '"
        + reason
        + "', message = '"
        + message
        + "' }";
  }

  /**
   * A generation-2 schedule the operator has caught up with (observedGeneration 2, next run at
   * NEXT), with the given extra metadata, spec and status fields (each empty or starting with a
   * comma).
   */
  private static String schedule(String metadata, String spec, String status) {
    return "{ metadata = { name = 's', generation = 2"
        + metadata
        + " }, spec = { schedule = '0 3 * * *'"
        + spec
        + " }, status = { observedGeneration = 2, nextScheduleTime = '"
        + NEXT
        + "'"
        + status
        + " } }";
  }

  private static String conditions(String... entries) {
    return ", conditions = { " + String.join(", ", entries) + " }";
  }

  private static final String READY =
      condition("Ready", "True", "Scheduled", "Next backup at " + NEXT);

  @Test
  void newScheduleWithoutStatusIsProgressing() throws Exception {
    String object =
        "{ metadata = { name = 's', generation = 1 }, spec = { schedule = '0 3 * * *' } }";

    assertEquals(
        "Progressing|Waiting for the operator to observe this schedule",
        run(object, SCHEDULE_SCRIPT));
  }

  @Test
  void statusForAnOlderGenerationIsProgressingEvenIfItLookedHealthy() throws Exception {
    String object =
        "{ metadata = { name = 's', generation = 3 }, status = { observedGeneration = 2,"
            + " nextScheduleTime = '"
            + NEXT
            + "'"
            + conditions(READY)
            + " } }";

    assertEquals(
        "Progressing|Waiting for the operator to observe this schedule",
        run(object, SCHEDULE_SCRIPT));
  }

  @Test
  void statusWithoutObservedGenerationIsProgressing() throws Exception {
    String object = "{ metadata = { name = 's', generation = 1 }, status = { active = {} } }";

    assertEquals(
        "Progressing|Waiting for the operator to observe this schedule",
        run(object, SCHEDULE_SCRIPT));
  }

  @Test
  void pausedConditionIsSuspendedWithItsMessage() throws Exception {
    String object =
        schedule(
            "",
            "",
            conditions(READY, condition("Paused", "True", "Paused", "Paused by annotation")));

    assertEquals("Suspended|Paused by annotation", run(object, SCHEDULE_SCRIPT));
  }

  @Test
  void pausedAnnotationIsSuspendedBeforeTheOperatorSetsTheCondition() throws Exception {
    String object =
        schedule(
            ", annotations = { ['polardbbackup.dev/paused'] = 'true' }", "", conditions(READY));

    assertEquals("Suspended|Reconciliation is paused", run(object, SCHEDULE_SCRIPT));
  }

  @Test
  void pauseWinsOverAStalledSchedule() throws Exception {
    String object =
        schedule(
            ", annotations = { ['polardbbackup.dev/paused'] = 'true' }",
            "",
            conditions(READY, condition("Stalled", "True", "QuotaFull", "quota full")));

    assertEquals("Suspended|Reconciliation is paused", run(object, SCHEDULE_SCRIPT));
  }

  @Test
  void invalidCronIsDegradedWithTheReason() throws Exception {
    String message = "spec.schedule 0 3 * *: expected 5 fields, got 4";
    String object =
        schedule("", "", conditions(condition("Ready", "False", "InvalidSchedule", message)));

    assertEquals("Degraded|" + message, run(object, SCHEDULE_SCRIPT));
  }

  @ParameterizedTest(name = "Stalled {0} -> Degraded")
  @CsvSource({"QuotaFull", "LastBackupFailed", "CreateFailed", "NameConflict"})
  void stalledScheduleIsDegradedWithReasonAndMessage(String reason) throws Exception {
    String object =
        schedule("", "", conditions(READY, condition("Stalled", "True", reason, "needs a person")));

    assertEquals("Degraded|" + reason + ": needs a person", run(object, SCHEDULE_SCRIPT));
  }

  @Test
  void quotaFullIsDegradedEvenWhenSuspendedBySpec() throws Exception {
    String object =
        schedule(
            "",
            ", suspend = true",
            conditions(
                condition("Ready", "True", "Suspended", "Suspended by spec.suspend"),
                condition("Stalled", "True", "QuotaFull", "5 of 5 backups kept")));

    assertEquals("Degraded|QuotaFull: 5 of 5 backups kept", run(object, SCHEDULE_SCRIPT));
  }

  @Test
  void suspendedBySpecIsSuspended() throws Exception {
    String object =
        "{ metadata = { name = 's', generation = 2 }, spec = { suspend = true },"
            + " status = { observedGeneration = 2"
            + conditions(condition("Ready", "True", "Suspended", "Suspended by spec.suspend"))
            + " } }";

    assertEquals("Suspended|Suspended by spec.suspend", run(object, SCHEDULE_SCRIPT));
  }

  @Test
  void scheduledIsHealthyAndNamesTheNextBackup() throws Exception {
    String object = schedule("", ", suspend = false", conditions(READY));

    assertEquals("Healthy|Next backup at " + NEXT, run(object, SCHEDULE_SCRIPT));
  }

  @Test
  void healthyMessageAlsoNamesTheLastSuccessfulBackup() throws Exception {
    String object =
        schedule(
            "",
            "",
            ", lastSuccessfulBackup = { name = 's-1', backupId = '42',"
                + " time = '2024-05-01T03:04:05Z' }, active = { 's-2' }"
                + conditions(READY));

    assertEquals(
        "Healthy|Next backup at " + NEXT + "; last successful backup at 2024-05-01T03:04:05Z",
        run(object, SCHEDULE_SCRIPT));
  }

  @Test
  void configMapCarriesTheScheduleScriptVerbatim() throws Exception {
    assertEquals(Files.readString(SCHEDULE_SCRIPT), embeddedScript(KEY + "PolarDBBackupSchedule"));
    Path extracted = embeddedScriptFile(KEY + "PolarDBBackupSchedule");
    for (String object :
        new String[] {
          "{ metadata = { generation = 1 } }",
          schedule("", "", conditions(condition("Ready", "False", "InvalidSchedule", "bad"))),
          schedule("", ", suspend = true", ""),
          schedule("", "", conditions(READY)),
        }) {
      assertEquals(run(object, SCHEDULE_SCRIPT), run(object, extracted), object);
    }
  }

  // ---- PolarDBBackupPolicy ----

  private static final Path POLICY_SCRIPT = Path.of("deploy/argocd/polardbbackuppolicy-health.lua");

  private static String policy(String conditions) {
    return "{ metadata = { name = 'p', generation = 2 }, status = { observedGeneration = 2,"
        + " lastSyncTime = '2026-12-02T03:00:00Z'"
        + conditions
        + " } }";
  }

  @Test
  void newPolicyWithoutStatusIsProgressing() throws Exception {
    assertEquals(
        "Progressing|Waiting for the operator to observe this policy",
        run("{ metadata = { name = 'p', generation = 1 } }", POLICY_SCRIPT));
  }

  @Test
  void policyInSyncIsHealthyAndNamesTheLastLook() throws Exception {
    String object =
        policy(
            conditions(
                condition("Ready", "True", "PolicyInSync", "ok"),
                condition("InSync", "True", "PolicyInSync", "ok")));

    assertEquals("Healthy|In sync; last look at 2026-12-02T03:00:00Z", run(object, POLICY_SCRIPT));
  }

  @ParameterizedTest
  @CsvSource({"InvalidSpec", "NotPermitted", "InvalidRequest", "AuthFailed"})
  void policyNotReadyIsDegradedWithTheReason(String reason) throws Exception {
    String object = policy(conditions(condition("Ready", "False", reason, "what to fix")));

    assertEquals("Degraded|" + reason + ": what to fix", run(object, POLICY_SCRIPT));
  }

  @Test
  void observedDriftIsDegradedAndNamesIt() throws Exception {
    String object =
        policy(
            conditions(
                condition("Ready", "True", "PolicyDrifted", "differs"),
                condition("InSync", "False", "PolicyDrifted", "level1.retentionDays differs")));

    assertEquals(
        "Degraded|PolicyDrifted: level1.retentionDays differs", run(object, POLICY_SCRIPT));
  }

  @Test
  void configMapCarriesThePolicyScriptVerbatim() throws Exception {
    assertEquals(Files.readString(POLICY_SCRIPT), embeddedScript(KEY + "PolarDBBackupPolicy"));
  }

  // ---- PolarDBRestore ----

  private static final Path RESTORE_SCRIPT = Path.of("deploy/argocd/polardbrestore-health.lua");

  private static String restore(String phase, String reason, String extra) {
    return "{ metadata = { name = 'r', generation = 1 }, status = { observedGeneration = 1,"
        + " phase = '"
        + phase
        + "', reason = '"
        + reason
        + "', message = 'm'"
        + extra
        + " } }";
  }

  @Test
  void newRestoreWithoutStatusIsProgressing() throws Exception {
    assertEquals(
        "Progressing|Waiting for the operator to accept the restore",
        run("{ metadata = { name = 'r', generation = 1 } }", RESTORE_SCRIPT));
  }

  @ParameterizedTest(name = "{0}/{1} -> {2}")
  @CsvSource({
    "Pending, Pending, Progressing",
    "Pending, SourceNotReady, Progressing",
    "Pending, WaitingForCapacity, Progressing",
    "Pending, ApiThrottled, Progressing",
    "Creating, ClusterCreating, Progressing",
    "Creating, TablesRestoring, Progressing",
    "Pending, SecretNotFound, Degraded",
    "Pending, SecretInvalid, Degraded",
    "Pending, AuthFailed, Degraded",
    "Pending, NotPermitted, Degraded",
    "Creating, NotPermitted, Degraded",
    "Succeeded, RestoreSucceeded, Healthy",
    "Succeeded, ClusterDeleted, Healthy",
    "Failed, InvalidRequest, Degraded",
    "Failed, InvalidSpec, Degraded",
    "Failed, SourceFailed, Degraded",
  })
  void everyRestorePhaseMapsToAnArgoHealth(String phase, String reason, String expected)
      throws Exception {
    String result = run(restore(phase, reason, ""), RESTORE_SCRIPT);

    assertEquals(expected, result.substring(0, result.indexOf('|')), result);
  }

  @Test
  void aRestoreWaitingSaysWhatFor() throws Exception {
    assertEquals(
        "Progressing|Pending: m",
        run(restore("Pending", "WaitingForCapacity", ""), RESTORE_SCRIPT));
    assertEquals(
        "Degraded|NotPermitted: m", run(restore("Pending", "NotPermitted", ""), RESTORE_SCRIPT));
    assertEquals(
        "Degraded|InvalidRequest: m", run(restore("Failed", "InvalidRequest", ""), RESTORE_SCRIPT));
  }

  @Test
  void aRunningCloneIsHealthyAndNamesItsClusterAndExpiry() throws Exception {
    assertEquals(
        "Healthy|Cluster pc-new restored; expires at 2026-12-02T07:00:00Z",
        run(
            restore(
                "Succeeded",
                "RestoreSucceeded",
                ", dbClusterId = 'pc-new', expiryTime = '2026-12-02T07:00:00Z'"),
            RESTORE_SCRIPT));
    assertEquals(
        "Healthy|Tables restored",
        run(restore("Succeeded", "RestoreSucceeded", ""), RESTORE_SCRIPT));
  }

  @Test
  void aCloneDeletedForItsTtlIsStillHealthyAndSaysSo() throws Exception {
    assertEquals(
        "Healthy|Cluster pc-new restored; ClusterDeleted: m",
        run(
            restore(
                "Succeeded",
                "ClusterDeleted",
                ", dbClusterId = 'pc-new', expiryTime = '2026-12-02T07:00:00Z'"),
            RESTORE_SCRIPT));
  }

  @Test
  void configMapCarriesTheRestoreScriptVerbatim() throws Exception {
    assertEquals(Files.readString(RESTORE_SCRIPT), embeddedScript(KEY + "PolarDBRestore"));
    Path extracted = embeddedScriptFile(KEY + "PolarDBRestore");
    for (String object :
        new String[] {
          "{ metadata = { generation = 1 } }",
          restore("Pending", "NotPermitted", ""),
          restore("Creating", "ClusterCreating", ""),
          restore("Succeeded", "RestoreSucceeded", ", dbClusterId = 'pc-new'"),
          restore("Failed", "InvalidRequest", ""),
        }) {
      assertEquals(run(object, RESTORE_SCRIPT), run(object, extracted), object);
    }
  }
}
