package dev.polardbbackup.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.model.ClusterPattern;
import dev.polardbbackup.model.GrantedAction;
import dev.polardbbackup.model.PolarDBAccessGrant;
import dev.polardbbackup.model.PolarDBAccessGrantSpec;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupSpec;
import dev.polardbbackup.model.SecretReference;
import io.fabric8.kubernetes.api.model.LabelSelector;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A decision is made only from grants that are known: an informer that is stopping has an empty
 * cache, and "no grant" read from it would let a deletion keep a cloud backup and drop its
 * finalizer (seen in ChaosIT when a replica lost its lease during a deletion).
 */
class CloudAccessTest {
  private static final PolarDBAccessGrant ALLOW_ALL =
      new PolarDBAccessGrant(
          "all",
          new PolarDBAccessGrantSpec(
              new LabelSelector(),
              List.of(new ClusterPattern("*", "*")),
              List.of(GrantedAction.values()),
              null));

  private final AtomicBoolean known = new AtomicBoolean(true);
  private final List<PolarDBAccessGrant> grants = new java.util.ArrayList<>(List.of(ALLOW_ALL));

  private CloudAccess.Sources sources() {
    return new CloudAccess.Sources(
        null,
        null,
        "polardb-backup-system",
        () -> known.get() ? grants.stream() : Stream.empty(),
        namespace -> Map.of(),
        ConcurrentHashMap.newKeySet(),
        known::get);
  }

  private static PolarDBBackup backup(SecretReference own) {
    PolarDBBackup b =
        new PolarDBBackup("team-a", "b", new PolarDBBackupSpec("pc-1", "cn-hangzhou", null, own));
    b.getMetadata().setUid("uid-1");
    return b;
  }

  private Optional<String> refusal(SecretReference own) {
    return new CloudAccess(sources(), backup(own), own)
        .refusal("cn-hangzhou", "pc-1", EnumSet.of(GrantedAction.Delete));
  }

  @Test
  void whileTheGrantsAreKnownAGrantAllows() {
    assertEquals(Optional.empty(), refusal(null));
  }

  @Test
  void whileTheGrantsAreNotKnownNothingIsDecided() {
    known.set(false);

    CloudAccess.GrantsUnknownException e =
        assertThrows(CloudAccess.GrantsUnknownException.class, () -> refusal(null));
    assertTrue(e.getMessage().contains("not known"), e.getMessage());
  }

  @Test
  void anObjectWithItsOwnSecretNeedsNoGrantSoTheGrantsDoNotMatter() {
    known.set(false);

    assertEquals(Optional.empty(), refusal(new SecretReference("team-key")));
  }

  @Test
  void aGrantWatchWhoseInformersNeverStartedKnowsNoGrants() {
    CloudAccess.Sources unstarted =
        new GrantWatch<>(PolarDBBackup.class).sources(null, null, "polardb-backup-system");

    assertThrows(
        CloudAccess.GrantsUnknownException.class,
        () ->
            new CloudAccess(unstarted, backup(null), null)
                .refusal("cn-hangzhou", "pc-1", EnumSet.of(GrantedAction.Backup)));
  }
}
