package dev.polardbbackup.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.model.BackupTemplate;
import dev.polardbbackup.model.DeletionPolicy;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupSchedule;
import dev.polardbbackup.model.PolarDBBackupScheduleSpec;
import dev.polardbbackup.model.PolarDBBackupSpec;
import dev.polardbbackup.model.PolarDBBackupStatus;
import java.time.Instant;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ShardTest {
  @Test
  void everyBucketBelongsToExactlyOneShardWhateverTheCount() {
    for (int count = 1; count <= Shard.BUCKETS; count++) {
      for (int bucket = 0; bucket < Shard.BUCKETS; bucket++) {
        int b = bucket;
        int c = count;
        long owners = IntStream.range(0, count).filter(i -> new Shard(i, c).owns(b)).count();
        assertEquals(1, owners, "bucket " + bucket + " with " + count + " shards");
      }
    }
  }

  @Test
  void aClustersBucketIsTheSameInEveryProcessAndRelease() {
    // Pinned: a change of the hash would move every labelled resource to another shard at once.
    assertEquals(Shard.bucket("cn-hangzhou", "pc-demo1"), Shard.bucket("cn-hangzhou/pc-demo1"));
    assertEquals(
        expectedCrc32Bucket("cn-hangzhou/pc-demo1"), Shard.bucket("cn-hangzhou", "pc-demo1"));
    assertTrue(
        Shard.bucket("cn-hangzhou", "pc-a") != Shard.bucket("cn-shanghai", "pc-a")
            || Shard.bucket("cn-hangzhou", "pc-b") != Shard.bucket("cn-shanghai", "pc-b"),
        "the region is part of the key");
  }

  /** CRC-32 (IEEE), written out from its definition, modulo the bucket count. */
  private static int expectedCrc32Bucket(String key) {
    int crc = 0xFFFFFFFF;
    for (byte b : key.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      crc ^= b & 0xFF;
      for (int k = 0; k < 8; k++) {
        crc = (crc >>> 1) ^ (0xEDB88320 & -(crc & 1));
      }
    }
    return (int) ((~crc & 0xFFFFFFFFL) % Shard.BUCKETS);
  }

  @Test
  void twoThousandClustersSpreadOverFourShards() {
    int[] perShard = new int[4];
    for (int c = 1; c <= 2000; c++) {
      int bucket = Shard.bucket("cn-hangzhou", "pc-bench" + c);
      for (int i = 0; i < 4; i++) {
        if (new Shard(i, 4).owns(bucket)) {
          perShard[i]++;
        }
      }
    }
    for (int n : perShard) {
      assertTrue(n > 400 && n < 600, "an even enough share of 2000: " + n);
    }
  }

  @Test
  void theSelectorNamesExactlyTheOwnedBuckets() {
    assertEquals(Optional.empty(), Shard.ONLY.selector());
    assertEquals("a/b", Shard.ONLY.selector("a/b"));
    String selector = new Shard(1, 16).selector().orElseThrow();
    assertEquals(Shard.LABEL + " in (1,17,33,49)", selector);
    assertEquals("x," + selector, new Shard(1, 16).selector("x"));
  }

  @Test
  void leaseNamesKeepTheUnshardedNameAndNameTheCount() {
    assertEquals("op", Shard.ONLY.leaseName("op"));
    assertEquals("op-shard-2-of-3", new Shard(2, 3).leaseName("op"));
    assertEquals(Optional.of(1), Shard.countOfLease("op", "op"));
    assertEquals(Optional.of(3), Shard.countOfLease("op", "op-shard-2-of-3"));
    assertEquals(Optional.empty(), Shard.countOfLease("op", "other"));
    assertEquals(Optional.empty(), Shard.countOfLease("op", "op-shard-x"));
  }

  @Test
  void labelValuesOutsideTheBucketsAreNone() {
    assertEquals(Optional.of(7), Shard.parse("7"));
    for (String bad : new String[] {null, "", "64", "-1", "07", "00", "07x", "abc", "100", " 7"}) {
      assertEquals(Optional.empty(), Shard.parse(bad), String.valueOf(bad));
    }
    assertEquals(Optional.empty(), new Shard(0, 2).ownedBucket("7"));
    assertEquals(Optional.of(8), new Shard(0, 2).ownedBucket("8"));
  }

  @Test
  void badShardSettingsAreRefusedInOneLine() {
    var zero = assertThrows(IllegalArgumentException.class, () -> new Shard(0, 0));
    assertEquals("--shards must be 1..64, not 0", zero.getMessage());
    var tooMany = assertThrows(IllegalArgumentException.class, () -> new Shard(0, 65));
    assertEquals("--shards must be 1..64, not 65", tooMany.getMessage());
    var index = assertThrows(IllegalArgumentException.class, () -> new Shard(2, 2));
    assertEquals("--shard must be 0..1 with --shards 2, not 2", index.getMessage());
  }

  @Test
  void aBackupStaysInTheBucketOfTheClusterItWasAcceptedFor() {
    PolarDBBackup backup =
        new PolarDBBackup("team-a", "b1", new PolarDBBackupSpec("pc-one", "cn-hangzhou"));
    assertEquals(Optional.of(Shard.bucket("cn-hangzhou", "pc-one")), ShardKey.required(backup));
    backup.setStatus(PolarDBBackupStatus.accept("uid-1", backup.getSpec(), 1L, Instant.EPOCH));
    // An edit of the immutable spec that an API server let through changes nothing.
    backup.setSpec(
        new PolarDBBackupSpec("pc-two", "cn-hangzhou", DeletionPolicy.Retain, null, null));
    assertEquals(Optional.of(Shard.bucket("cn-hangzhou", "pc-one")), ShardKey.required(backup));
  }

  @Test
  void aScheduleAndTheBackupsItMakesShareABucket() {
    BackupTemplate template =
        new BackupTemplate("pc-nightly", "cn-hangzhou", DeletionPolicy.Retain);
    PolarDBBackupSchedule schedule = new PolarDBBackupSchedule();
    schedule.setMetadata(
        new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
            .withNamespace("team-a")
            .withName("nightly")
            .build());
    schedule.setSpec(PolarDBBackupScheduleSpec.of("0 1 * * *", template));
    PolarDBBackup child = new PolarDBBackup("team-a", "nightly-1", template.toBackupSpec());
    assertEquals(ShardKey.required(child), ShardKey.required(schedule));
    assertEquals(ShardKey.initial(child), ShardKey.initial(schedule));
  }

  @Test
  void differentClustersMostlyLandInDifferentBuckets() {
    Set<Integer> buckets = new HashSet<>();
    for (int c = 0; c < 200; c++) {
      buckets.add(Shard.bucket("cn-hangzhou", "pc-" + c));
    }
    assertFalse(
        buckets.size() < Shard.BUCKETS * 3 / 4, "200 clusters use most buckets: " + buckets);
  }
}
