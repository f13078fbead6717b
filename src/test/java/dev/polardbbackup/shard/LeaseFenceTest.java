package dev.polardbbackup.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which leader may work while Leases of two shard layouts exist side by side. */
class LeaseFenceTest {
  private static final String BASE = "polardb-backup-operator";
  private static final Instant NOW = Instant.parse("2030-01-01T00:00:00Z");
  private static final Shard NEW = new Shard(0, 2);

  private static Lease lease(String name, String holder, Instant acquired, Instant renewed) {
    return new LeaseBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .withHolderIdentity(holder)
        .withLeaseDurationSeconds(15)
        .withAcquireTime(acquired == null ? null : acquired.atZone(ZoneOffset.UTC))
        .withRenewTime(renewed == null ? null : renewed.atZone(ZoneOffset.UTC))
        .endSpec()
        .build();
  }

  private static Lease mine(Instant acquired) {
    return lease(NEW.leaseName(BASE), "me", acquired, NOW);
  }

  private static Optional<String> blocker(Lease... leases) {
    return LeaseFence.blocker(List.of(leases), BASE, NEW, "me", NOW);
  }

  @Test
  void aLeaderAloneWorks() {
    assertEquals(Optional.empty(), blocker(mine(NOW.minusSeconds(60))));
  }

  @Test
  void noWorkWithoutHoldingItsOwnLease() {
    assertTrue(blocker().orElseThrow().contains("does not hold Lease " + BASE + "-shard-0-of-2"));
    Lease someoneElses = lease(NEW.leaseName(BASE), "other", NOW, NOW);
    assertTrue(blocker(someoneElses).isPresent());
  }

  @Test
  void theUnshardedOperatorStillWorkingHoldsOffTheNewLayout() {
    Lease old = lease(BASE, "old-pod", NOW.minusSeconds(3600), NOW.minusSeconds(2));
    String why = blocker(mine(NOW.minusSeconds(5)), old).orElseThrow();
    assertTrue(why.contains("Lease " + BASE + " of another shard count is held by old-pod"), why);
  }

  @Test
  void anExpiredOrReleasedOldLeaseHoldsNothing() {
    Lease expired =
        lease(BASE + "-shard-1-of-3", "old", NOW.minusSeconds(3600), NOW.minusSeconds(16));
    Lease released = lease(BASE + "-shard-2-of-3", "", NOW.minusSeconds(3600), NOW.minusSeconds(1));
    assertEquals(Optional.empty(), blocker(mine(NOW.minusSeconds(5)), expired, released));
  }

  @Test
  void theSameLayoutsOtherShardsDoNotFenceEachOther() {
    Lease sibling = lease(BASE + "-shard-1-of-2", "sibling", NOW.minusSeconds(3600), NOW);
    assertEquals(Optional.empty(), blocker(mine(NOW.minusSeconds(5)), sibling));
  }

  @Test
  void aLaterLayoutWaitsForTheOneAlreadyWorkingNotTheOtherWayRound() {
    // The old layout's leader took its Lease over (say, a standby after a kill) after ours: it is
    // the one to wait, and we go on.
    Lease later = lease(BASE + "-shard-0-of-3", "late", NOW.minusSeconds(1), NOW);
    assertEquals(Optional.empty(), blocker(mine(NOW.minusSeconds(5)), later));
    // Seen from its side, ours is older: it waits.
    Lease ours = mine(NOW.minusSeconds(5));
    Optional<String> theirView =
        LeaseFence.blocker(List.of(ours, later), BASE, new Shard(0, 3), "late", NOW);
    assertTrue(theirView.orElseThrow().contains(BASE + "-shard-0-of-2"));
  }

  @Test
  void twoLayoutsAcquiringInTheSameInstantAreOrderedByName() {
    Instant same = NOW.minusSeconds(1);
    Lease three = lease(BASE + "-shard-0-of-3", "three", same, NOW);
    Lease two = lease(BASE + "-shard-0-of-2", "me", same, NOW);
    Optional<String> forTwo = blocker(two, three);
    Optional<String> forThree =
        LeaseFence.blocker(List.of(two, three), BASE, new Shard(0, 3), "three", NOW);
    assertTrue(forTwo.isPresent() != forThree.isPresent(), "exactly one of the two goes first");
  }

  @Test
  void aLeaseWithoutTimesCountsAsHeld() {
    Lease unknown = lease(BASE, "old", null, null);
    assertTrue(blocker(mine(NOW.minusSeconds(5)), unknown).isPresent());
  }

  @Test
  void leasesOfOtherNamesAreNotOurs() {
    Lease other = lease("some-other-operator", "x", NOW.minusSeconds(3600), NOW);
    assertEquals(Optional.empty(), blocker(mine(NOW.minusSeconds(5)), other));
  }
}
