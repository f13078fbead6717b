package dev.polardbbackup.emulator;

import static dev.polardbbackup.emulator.EmulatorHarness.CLUSTER;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class DescribeDbClusterAttributeTest {

  @Test
  void describesTheClusterAndFollowsItsStatus() {
    try (EmulatorHarness h = EmulatorHarness.start()) {
      AcsTestClient.Reply reply =
          h.client.call("DescribeDBClusterAttribute").param("DBClusterId", CLUSTER).v3();

      assertEquals(200, reply.status());
      assertEquals(CLUSTER, reply.text("DBClusterId"));
      assertEquals("Running", reply.text("DBClusterStatus"));
      assertEquals("Unlock", reply.text("LockMode"));
      assertEquals(EmulatorHarness.REGION, reply.text("RegionId"));
      assertEquals("2025-03-10T02:00:00Z", reply.text("CreationTime"));
      assertEquals("MySQL", reply.text("Engine"));
      assertEquals("MySQL", reply.text("DBType"));

      h.emulator.setClusterStatus(CLUSTER, "ClassChanging");
      assertEquals(
          "ClassChanging",
          h.client
              .call("DescribeDBClusterAttribute")
              .param("DBClusterId", CLUSTER)
              .v1()
              .text("DBClusterStatus"));
    }
  }

  @Test
  void unknownClusterIsNotFound() {
    try (EmulatorHarness h = EmulatorHarness.start()) {
      AcsTestClient.Reply reply =
          h.client.call("DescribeDBClusterAttribute").param("DBClusterId", "pc-nosuch").v3();
      assertEquals(404, reply.status());
      assertEquals("InvalidDBClusterId.NotFound", reply.code());
    }
  }
}
