package dev.polardbbackup.emulator;

import static dev.polardbbackup.emulator.EmulatorHarness.CLUSTER;
import static dev.polardbbackup.emulator.EmulatorHarness.OTHER_CLUSTER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BackupPolicyTest {

  private static AcsTestClient.Reply describe(EmulatorHarness h, String cluster) {
    return h.client.call("DescribeBackupPolicy").param("DBClusterId", cluster).v3();
  }

  private static AcsTestClient.Call modify(EmulatorHarness h, String cluster) {
    return h.client.call("ModifyBackupPolicy").param("DBClusterId", cluster);
  }

  @Test
  void aNewClusterHasTheDocumentedDefaultsUnderBothSpellings() {
    try (EmulatorHarness h = EmulatorHarness.start()) {
      AcsTestClient.Reply reply = describe(h, CLUSTER);

      assertEquals(200, reply.status());
      assertEquals("Monday,Wednesday,Friday", reply.text("DataLevel1BackupPeriod"));
      assertEquals("Monday,Wednesday,Friday", reply.text("PreferredBackupPeriod"));
      assertEquals("18:00Z-19:00Z", reply.text("DataLevel1BackupTime"));
      assertEquals("18:00Z-19:00Z", reply.text("PreferredBackupTime"));
      assertEquals("Normal", reply.text("DataLevel1BackupFrequency"));
      assertEquals("Normal", reply.text("BackupFrequency"));
      assertEquals("7", reply.text("DataLevel1BackupRetentionPeriod"));
      assertEquals("0", reply.text("DataLevel2BackupRetentionPeriod"));
      assertEquals("", reply.text("DataLevel2BackupAnotherRegionRegion"));
      assertEquals("0", reply.text("DataLevel2BackupAnotherRegionRetentionPeriod"));
      assertEquals("NONE", reply.text("BackupRetentionPolicyOnClusterDeletion"));
      assertTrue(reply.body().path("DataLevel1BackupRetentionPeriod").isTextual());
      assertTrue(reply.text("RequestId") != null);
    }
  }

  @Test
  void modifyChangesOnlyTheFieldsSent() {
    try (EmulatorHarness h = EmulatorHarness.start()) {
      JsonNode before = describe(h, CLUSTER).body();

      AcsTestClient.Reply reply =
          modify(h, CLUSTER)
              .param("DataLevel1BackupRetentionPeriod", "10")
              .param("BackupRetentionPolicyOnClusterDeletion", "LATEST")
              .v3();

      assertEquals(200, reply.status(), reply.body().toString());
      JsonNode after = describe(h, CLUSTER).body();
      before
          .fieldNames()
          .forEachRemaining(
              field -> {
                if (field.equals("DataLevel1BackupRetentionPeriod")) {
                  assertEquals("10", after.path(field).asText());
                } else if (field.equals("BackupRetentionPolicyOnClusterDeletion")) {
                  assertEquals("LATEST", after.path(field).asText());
                } else if (!field.equals("RequestId")) {
                  assertEquals(before.path(field), after.path(field), field);
                }
              });
      assertEquals(
          "NONE", describe(h, OTHER_CLUSTER).text("BackupRetentionPolicyOnClusterDeletion"));
    }
  }

  @Test
  void eitherSpellingChangesTheSameFieldAndDescribeShowsBoth() {
    try (EmulatorHarness h = EmulatorHarness.start()) {
      modify(h, CLUSTER)
          .param("PreferredBackupPeriod", "Sunday,Tuesday")
          .param("PreferredBackupTime", "03:00Z-04:00Z")
          .param("BackupFrequency", "2/24H")
          .v3();
      AcsTestClient.Reply legacy = describe(h, CLUSTER);
      assertEquals("Tuesday,Sunday", legacy.text("DataLevel1BackupPeriod"), "kept in week order");
      assertEquals("Tuesday,Sunday", legacy.text("PreferredBackupPeriod"));
      assertEquals("03:00Z-04:00Z", legacy.text("DataLevel1BackupTime"));
      assertEquals("2/24H", legacy.text("DataLevel1BackupFrequency"));

      modify(h, CLUSTER)
          .param("DataLevel1BackupPeriod", "Monday,Thursday")
          .param("DataLevel1BackupTime", "22:00Z-23:00Z")
          .param("DataLevel1BackupFrequency", "4/24H")
          .v3();
      AcsTestClient.Reply newer = describe(h, CLUSTER);
      assertEquals("Monday,Thursday", newer.text("PreferredBackupPeriod"));
      assertEquals("22:00Z-23:00Z", newer.text("PreferredBackupTime"));
      assertEquals("4/24H", newer.text("BackupFrequency"));
    }
  }

  @Test
  void bothSpellingsInOneRequestMustAgree() {
    try (EmulatorHarness h = EmulatorHarness.start()) {
      assertEquals(
          200,
          modify(h, CLUSTER)
              .param("PreferredBackupPeriod", "Friday,Monday")
              .param("DataLevel1BackupPeriod", "Monday,Friday")
              .v3()
              .status());

      AcsTestClient.Reply conflict =
          modify(h, CLUSTER)
              .param("DataLevel1BackupTime", "01:00Z-02:00Z")
              .param("PreferredBackupTime", "05:00Z-06:00Z")
              .v3();
      assertEquals(400, conflict.status());
      assertTrue(conflict.code().endsWith("BackupTime.Malformed"), conflict.code());
      assertEquals("18:00Z-19:00Z", describe(h, CLUSTER).text("DataLevel1BackupTime"));
    }
  }

  @Test
  void oneBadFieldRefusesTheWholeRequest() {
    try (EmulatorHarness h = EmulatorHarness.start()) {
      AcsTestClient.Reply reply =
          modify(h, CLUSTER)
              .param("DataLevel1BackupRetentionPeriod", "10")
              .param("DataLevel2BackupRetentionPeriod", "29")
              .v3();
      assertEquals("InvalidDataLevel2BackupRetentionPeriod.Malformed", reply.code());
      assertEquals("7", describe(h, CLUSTER).text("DataLevel1BackupRetentionPeriod"));
    }
  }

  @Test
  void describeCanAnswerWithOnlyTheLegacyOrOnlyTheNewerNames() {
    try (EmulatorHarness h =
        EmulatorHarness.start(
            b ->
                b.policyReadings(
                    PolicyReadings.defaults().withDescribeNames(PolicyReadings.Names.LEGACY)))) {
      JsonNode body = describe(h, CLUSTER).body();
      assertEquals("Monday,Wednesday,Friday", body.path("PreferredBackupPeriod").asText());
      assertEquals("18:00Z-19:00Z", body.path("PreferredBackupTime").asText());
      assertEquals("Normal", body.path("BackupFrequency").asText());
      assertFalse(body.has("DataLevel1BackupPeriod"));
      assertFalse(body.has("DataLevel1BackupTime"));
      assertFalse(body.has("DataLevel1BackupFrequency"));
      assertEquals("7", body.path("DataLevel1BackupRetentionPeriod").asText());
    }
    try (EmulatorHarness h =
        EmulatorHarness.start(
            b ->
                b.policyReadings(
                    PolicyReadings.defaults()
                        .withDescribeNames(PolicyReadings.Names.DATA_LEVEL_1)))) {
      JsonNode body = describe(h, CLUSTER).body();
      assertEquals("Monday,Wednesday,Friday", body.path("DataLevel1BackupPeriod").asText());
      assertFalse(body.has("PreferredBackupPeriod"));
      assertFalse(body.has("PreferredBackupTime"));
      assertFalse(body.has("BackupFrequency"));
    }
  }

  @Test
  void legacyNamesCanBeRefusedInModify() {
    try (EmulatorHarness h =
        EmulatorHarness.start(
            b -> b.policyReadings(PolicyReadings.defaults().withLegacyNamesInModify(false)))) {
      assertEquals(
          "InvalidPreferredBackupPeriod.Malformed",
          modify(h, CLUSTER).param("PreferredBackupPeriod", "Monday,Tuesday").v3().code());
      assertEquals(
          "OK", modify(h, CLUSTER).param("DataLevel1BackupPeriod", "Monday,Tuesday").v3().code());
    }
  }

  @Test
  void theBackupWindowCanBeRequiredInEveryModifyInEitherSpelling() {
    try (EmulatorHarness h =
        EmulatorHarness.start(
            b ->
                b.policyReadings(PolicyReadings.defaults().withModifyRequiresBackupWindow(true)))) {
      assertEquals(
          "MissingPreferredBackupPeriod",
          modify(h, CLUSTER).param("DataLevel1BackupRetentionPeriod", "5").v3().code());
      assertEquals(
          "MissingPreferredBackupTime",
          modify(h, CLUSTER)
              .param("DataLevel1BackupRetentionPeriod", "5")
              .param("DataLevel1BackupPeriod", "Monday,Tuesday")
              .v3()
              .code());
      assertEquals(
          "OK",
          modify(h, CLUSTER)
              .param("DataLevel1BackupRetentionPeriod", "5")
              .param("DataLevel1BackupPeriod", "Monday,Tuesday")
              .param("PreferredBackupTime", "01:00Z-02:00Z")
              .v3()
              .code());
      assertEquals("5", describe(h, CLUSTER).text("DataLevel1BackupRetentionPeriod"));
    }
  }

  @Test
  void aCrossRegionCopyNeedsARegion() {
    try (EmulatorHarness h = EmulatorHarness.start()) {
      AcsTestClient.Reply refused =
          modify(h, CLUSTER).param("DataLevel2BackupAnotherRegionRetentionPeriod", "30").v3();
      assertEquals(403, refused.status());
      assertEquals("IncorrectBackupPolicy", refused.code());

      AcsTestClient.Reply ok =
          modify(h, CLUSTER)
              .param("DataLevel2BackupAnotherRegionRegion", "cn-beijing")
              .param("DataLevel2BackupAnotherRegionRetentionPeriod", "-1")
              .v3();
      assertEquals(200, ok.status(), ok.body().toString());
      AcsTestClient.Reply after = describe(h, CLUSTER);
      assertEquals("cn-beijing", after.text("DataLevel2BackupAnotherRegionRegion"));
      assertEquals("-1", after.text("DataLevel2BackupAnotherRegionRetentionPeriod"));
    }
  }

  @Test
  void unknownMalformedAndBusyClustersAreRefused() {
    try (EmulatorHarness h = EmulatorHarness.start()) {
      AcsTestClient.Reply unknown = describe(h, "pc-nosuch");
      assertEquals(404, unknown.status());
      assertEquals("InvalidDBClusterId.NotFound", unknown.code());
      AcsTestClient.Reply unknownModify =
          modify(h, "pc-nosuch").param("DataLevel1BackupRetentionPeriod", "5").v3();
      assertEquals(404, unknownModify.status());
      assertEquals("InvalidDBClusterId.NotFound", unknownModify.code());
      assertEquals("InvalidDBClusterId.Malformed", describe(h, "nope").code());
      assertEquals("MissingDBClusterId", h.client.call("DescribeBackupPolicy").v3().code());

      h.emulator.setClusterStatus(CLUSTER, "ClassChanging");
      assertEquals(200, describe(h, CLUSTER).status(), "reading works in any status");
      AcsTestClient.Reply busy =
          modify(h, CLUSTER).param("DataLevel1BackupRetentionPeriod", "5").v3();
      assertEquals(403, busy.status());
      assertEquals("OperationDenied.DBClusterStatus", busy.code());
    }
  }

  @Test
  void everyPolicyCallIsInTheLedgerAndSubjectToFaults() {
    try (EmulatorHarness h = EmulatorHarness.start()) {
      describe(h, CLUSTER);
      modify(h, CLUSTER).param("DataLevel1BackupRetentionPeriod", "5").v3();
      modify(h, CLUSTER).param("DataLevel1BackupRetentionPeriod", "99").v3();
      h.emulator.throttleNext("ModifyBackupPolicy", 1, Duration.ofSeconds(1));
      AcsTestClient.Reply throttled =
          modify(h, CLUSTER).param("DataLevel1BackupRetentionPeriod", "6").v3();
      assertEquals("Throttling.User", throttled.code());
      h.emulator.setFault("DescribeBackupPolicy", new FaultSpec(Duration.ZERO, 0, 1.0, 0));
      assertTrue(describe(h, CLUSTER).status() >= 500);

      Ledger ledger = h.emulator.ledger();
      assertEquals(3L, ledger.callsByAction().get("ModifyBackupPolicy"));
      assertEquals(2L, ledger.callsByAction().get("DescribeBackupPolicy"));
      assertEquals(
          java.util.List.of(
              "OK", "InvalidDataLevel1BackupRetentionPeriod.Malformed", "Throttling.User"),
          ledger.callsTo("ModifyBackupPolicy").stream().map(ApiCall::code).toList());
      assertEquals(CLUSTER, ledger.callsTo("ModifyBackupPolicy").get(0).dbClusterId());
      assertEquals(
          "5", h.emulator.console().backupPolicy(CLUSTER).get("DataLevel1BackupRetentionPeriod"));
    }
  }

  @Test
  void ramCanDenyModifyWhileDescribeStillWorks() {
    try (EmulatorHarness h = EmulatorHarness.start()) {
      h.emulator.denyAction(EmulatorHarness.KEY_ID, "ModifyBackupPolicy");
      assertEquals(
          "Forbidden.RAM",
          modify(h, CLUSTER).param("DataLevel1BackupRetentionPeriod", "5").v3().code());
      assertEquals(200, describe(h, CLUSTER).status());
    }
  }

  @Test
  void v1SignedCallsWorkToo() {
    try (EmulatorHarness h = EmulatorHarness.start()) {
      AcsTestClient.Reply reply =
          modify(h, CLUSTER).param("DataLevel1BackupPeriod", "Monday,Tuesday").v1();
      assertEquals(200, reply.status(), reply.body().toString());
      assertEquals(
          "Monday,Tuesday",
          h.client
              .call("DescribeBackupPolicy")
              .param("DBClusterId", CLUSTER)
              .v1()
              .text("DataLevel1BackupPeriod"));
    }
  }

  @Test
  void theConsoleChangesThePolicyBehindTheOperatorsBack() {
    try (EmulatorHarness h = EmulatorHarness.start()) {
      h.emulator
          .console()
          .changeBackupPolicy(
              CLUSTER,
              Map.of(
                  "PreferredBackupTime", "05:00Z-06:00Z",
                  "DataLevel1BackupRetentionPeriod", "3",
                  "LogBackupRetentionPeriod", "30"));

      AcsTestClient.Reply after = describe(h, CLUSTER);
      assertEquals("05:00Z-06:00Z", after.text("DataLevel1BackupTime"));
      assertEquals("3", after.text("DataLevel1BackupRetentionPeriod"));
      assertEquals(
          "30",
          h.client
              .call("DescribeLogBackupPolicy")
              .param("DBClusterId", CLUSTER)
              .v3()
              .text("LogBackupRetentionPeriod"));
      assertNull(h.emulator.ledger().callsByAction().get("ModifyBackupPolicy"), "not an API call");

      IllegalStateException bad =
          assertThrows(
              IllegalStateException.class,
              () ->
                  h.emulator
                      .console()
                      .changeBackupPolicy(CLUSTER, Map.of("DataLevel1BackupRetentionPeriod", "1")));
      assertTrue(
          bad.getMessage().startsWith("InvalidDataLevel1BackupRetentionPeriod.Malformed: "),
          bad.getMessage());
      assertThrows(
          IllegalArgumentException.class,
          () -> h.emulator.console().changeBackupPolicy(CLUSTER, Map.of("Colour", "blue")));
    }
  }

  @Test
  void theAdminEndpointChangesAndShowsThePolicy() {
    try (EmulatorHarness h = EmulatorHarness.start()) {
      AcsTestClient.Reply changed =
          h.client.adminReply(
              "POST",
              "/_emulator/backup-policy",
              "{\"dbClusterId\":\""
                  + CLUSTER
                  + "\",\"DataLevel1BackupRetentionPeriod\":\"12\","
                  + "\"BackupRetentionPolicyOnClusterDeletion\":\"ALL\"}");
      assertEquals(200, changed.status(), changed.body().toString());
      assertEquals("12", changed.text("DataLevel1BackupRetentionPeriod"));
      assertEquals("ALL", describe(h, CLUSTER).text("BackupRetentionPolicyOnClusterDeletion"));

      JsonNode shown =
          h.client.admin("GET", "/_emulator/backup-policy?dbClusterId=" + CLUSTER, null);
      assertEquals("12", shown.path("DataLevel1BackupRetentionPeriod").asText());
      assertEquals("7", shown.path("LogBackupRetentionPeriod").asText());

      AcsTestClient.Reply refused =
          h.client.adminReply(
              "POST",
              "/_emulator/backup-policy",
              "{\"dbClusterId\":\"" + CLUSTER + "\",\"DataLevel2BackupRetentionPeriod\":\"29\"}");
      assertEquals(400, refused.status());
      assertTrue(
          refused.text("message").startsWith("InvalidDataLevel2BackupRetentionPeriod.Malformed"),
          refused.body().toString());
      AcsTestClient.Reply unknown =
          h.client.adminReply(
              "POST", "/_emulator/backup-policy", "{\"dbClusterId\":\"pc-nosuch\"}");
      assertEquals(404, unknown.status());
    }
  }
}
