package dev.polardbbackup.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupSpec;
import dev.polardbbackup.model.PolarDBBackupStatus;
import dev.polardbbackup.polardb.Backup;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A backup that claimed its set in this process a moment ago, whose status write the cache does not
 * show yet, must count as having identified that set. Otherwise its set is left out of the
 * candidates (claimed) while its job still counts as one looking for a set, and the backups started
 * in the same second are one set short: none of them can tell which set is theirs, and after the
 * not-found timeout they fail with BackupNotFound though PolarDB made every backup. (A burst of
 * twelve backups at production's poll proportions did that in one run of four.)
 */
class ClaimsInSnapshotTest {
  private static final Instant SECOND = Instant.parse("2026-12-02T02:14:18Z");

  @Test
  void aSetClaimedHereCountsAsIdentifiedByItsHolder() {
    PolarDBBackup claimer = running("uid-a", "643");
    PolarDBBackup other = running("uid-b", "647");

    List<PolarDBBackupStatus> seen =
        BackupClaims.asKnownHere(List.of(claimer, other), Map.of("310", "uid-a"));

    assertEquals("310", seen.get(0).getBackupId());
    assertNull(seen.get(1).getBackupId());
    assertNull(claimer.getStatus().getBackupId(), "the cached object itself is left as it is");
  }

  @Test
  void aStatusThatNamesItsSetKeepsIt() {
    PolarDBBackup done = running("uid-a", "643");
    done.getStatus().identified("310");

    List<PolarDBBackupStatus> seen =
        BackupClaims.asKnownHere(List.of(done), Map.of("335", "uid-a"));

    assertEquals("310", seen.get(0).getBackupId());
  }

  @Test
  void withTheClaimCountedTheLastJobsOfASecondStillFindTheirSets() {
    // Four jobs of ours started in one second, four sets; 643 has claimed 310 in this process but
    // its write has not reached the cache. 660 looks for its set.
    List<PolarDBBackup> others =
        List.of(running("uid-a", "643"), running("uid-b", "647"), running("uid-c", "661"));
    Map<String, String> claims = Map.of("310", "uid-a");
    List<PolarDBBackupStatus> seen = BackupClaims.asKnownHere(others, claims);
    Set<String> sameSecondJobs =
        Set.copyOf(
            seen.stream()
                .filter(s -> s.getBackupId() == null)
                .map(PolarDBBackupStatus::getBackupJobId)
                .toList());

    // 647 < 660 < 661: the second of the three sets left.
    assertEquals(
        "521", locateFor660(claims.keySet(), sameSecondJobs).set().orElseThrow().backupId());
    // Counting 643 as still looking (the cache's view alone) leaves four jobs for three sets.
    Set<String> cacheOnly = new java.util.HashSet<>(sameSecondJobs);
    cacheOnly.add("643");
    assertTrue(locateFor660(claims.keySet(), cacheOnly).undecided());
  }

  private static BackupSetLocator.Match locateFor660(Set<String> excluded, Set<String> sameSecond) {
    return BackupSetLocator.locate(
        "660",
        Optional.of(SECOND),
        SECOND.minusSeconds(2),
        SECOND.plusSeconds(120),
        List.of(set("310"), set("335"), set("521"), set("607")),
        excluded,
        sameSecond,
        sameSecond.size());
  }

  private static PolarDBBackup running(String uid, String jobId) {
    PolarDBBackup b = new PolarDBBackup();
    b.setMetadata(new ObjectMetaBuilder().withName(uid).withUid(uid).build());
    b.setSpec(new PolarDBBackupSpec("pc-test1", "cn-hangzhou"));
    PolarDBBackupStatus status = PolarDBBackupStatus.accept(uid, b.getSpec(), 1, SECOND);
    status.started(jobId, "req", SECOND);
    status.jobStarted(SECOND);
    b.setStatus(status);
    return b;
  }

  private static Backup set(String id) {
    return new Backup(
        id,
        "pc-test1",
        "Success",
        "Manual",
        Optional.of(SECOND),
        Optional.of(SECOND.plusSeconds(4)),
        Optional.of(1L),
        Optional.of(SECOND));
  }
}
