package dev.polardbbackup.emulator;

import static dev.polardbbackup.emulator.EmulatorHarness.CLUSTER;
import static dev.polardbbackup.emulator.EmulatorHarness.OTHER_CLUSTER;
import static dev.polardbbackup.emulator.EmulatorHarness.REGION;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** DescribeDBClusters: the clusters of a region, narrowed by Tag.N.Key / Tag.N.Value filters. */
class DescribeDbClustersTest {
  private final EmulatorHarness h =
      EmulatorHarness.start(b -> b.clusterCreationDuration(Duration.ofMinutes(5)));

  @AfterEach
  void stop() {
    h.close();
  }

  /** A clone of {@link EmulatorHarness#CLUSTER} carrying the tag {@code owner=<owner>}. */
  private String cloneOwnedBy(String owner) {
    AcsTestClient.Reply made =
        h.client
            .call("CreateDBCluster")
            .param("RegionId", REGION)
            .param("DBType", "MySQL")
            .param("DBVersion", "8.0")
            .param("PayType", "Postpaid")
            .param("DBNodeClass", "polar.mysql.x4.medium")
            .param("CreationOption", "CloneFromPolarDB")
            .param("SourceResourceId", CLUSTER)
            .param("ZoneId", "cn-hangzhou-i")
            .param("VPCId", "vpc-test")
            .param("VSwitchId", "vsw-test")
            .param("Tag.1.Key", "owner")
            .param("Tag.1.Value", owner)
            .param("Tag.2.Key", "team")
            .param("Tag.2.Value", "dba")
            .v3();
    assertEquals(200, made.status(), made.body().toString());
    return made.text("DBClusterId");
  }

  private static List<String> ids(AcsTestClient.Reply reply) {
    List<String> ids = new ArrayList<>();
    reply
        .body()
        .path("Items")
        .path("DBCluster")
        .forEach(c -> ids.add(c.path("DBClusterId").asText()));
    return ids;
  }

  @Test
  void tagFiltersListOnlyTheClustersCarryingEveryTag() {
    String mine = cloneOwnedBy("r1");
    String theirs = cloneOwnedBy("r2");

    AcsTestClient.Reply all = h.client.call("DescribeDBClusters").param("RegionId", REGION).v3();
    AcsTestClient.Reply byValue =
        h.client
            .call("DescribeDBClusters")
            .param("RegionId", REGION)
            .param("Tag.1.Key", "owner")
            .param("Tag.1.Value", "r1")
            .v3();
    AcsTestClient.Reply byTwo =
        h.client
            .call("DescribeDBClusters")
            .param("RegionId", REGION)
            .param("Tag.1.Key", "team")
            .param("Tag.1.Value", "dba")
            .param("Tag.2.Key", "owner")
            .param("Tag.2.Value", "r2")
            .v3();
    AcsTestClient.Reply byKey =
        h.client
            .call("DescribeDBClusters")
            .param("RegionId", REGION)
            .param("Tag.1.Key", "owner")
            .v3();
    AcsTestClient.Reply nobody =
        h.client
            .call("DescribeDBClusters")
            .param("RegionId", REGION)
            .param("Tag.1.Key", "owner")
            .param("Tag.1.Value", "r3")
            .v3();

    assertEquals(200, all.status(), all.body().toString());
    assertEquals(List.of(CLUSTER, OTHER_CLUSTER, mine, theirs), ids(all));
    assertEquals(List.of(mine), ids(byValue));
    assertEquals(List.of(theirs), ids(byTwo));
    assertEquals(List.of(mine, theirs), ids(byKey));
    assertEquals(List.of(), ids(nobody));
    assertEquals("0", nobody.text("TotalRecordCount"));
    JsonNode listed = byValue.body().path("Items").path("DBCluster").get(0);
    assertEquals("Creating", listed.path("DBClusterStatus").asText());
    JsonNode tag = listed.path("Tags").path("Tag").get(0);
    assertEquals("owner", tag.path("Key").asText());
    assertEquals("r1", tag.path("Value").asText());
  }

  @Test
  void otherRegionsAndDeletedClustersAreNotListed() {
    String mine = cloneOwnedBy("r1");
    AcsTestClient.Reply elsewhere =
        h.client
            .call("DescribeDBClusters")
            .param("RegionId", "cn-shanghai")
            .param("Tag.1.Key", "owner")
            .v3();
    assertEquals(List.of(), ids(elsewhere));

    h.emulator.console().deleteCluster(mine);
    AcsTestClient.Reply after =
        h.client
            .call("DescribeDBClusters")
            .param("RegionId", REGION)
            .param("Tag.1.Key", "owner")
            .v3();
    assertEquals(List.of(), ids(after));
  }

  @Test
  void pagesFollowPageSizeAndPageNumber() {
    for (int i = 0; i < 31; i++) {
      cloneOwnedBy("r" + i);
    }
    AcsTestClient.Reply second =
        h.client
            .call("DescribeDBClusters")
            .param("RegionId", REGION)
            .param("Tag.1.Key", "team")
            .param("PageSize", "30")
            .param("PageNumber", "2")
            .v3();
    assertEquals(1, ids(second).size());
    assertEquals("31", second.text("TotalRecordCount"));
    assertEquals("1", second.text("PageRecordCount"));
  }

  @Test
  void badRequestsAreRefusedWithAlibabasCodes() {
    AcsTestClient.Reply noRegion = h.client.call("DescribeDBClusters").v3();
    AcsTestClient.Reply valueWithoutKey =
        h.client
            .call("DescribeDBClusters")
            .param("RegionId", REGION)
            .param("Tag.1.Value", "r1")
            .v3();
    AcsTestClient.Reply oddPage =
        h.client.call("DescribeDBClusters").param("RegionId", REGION).param("PageSize", "10").v3();

    assertEquals("MissingRegionId", noRegion.text("Code"));
    assertEquals("MissingTag.1.Key", valueWithoutKey.text("Code"));
    assertEquals("InvalidPageSize.Malformed", oddPage.text("Code"));
    assertEquals(400, oddPage.status());
  }
}
