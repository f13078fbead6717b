package dev.polardbbackup.restore;

import java.time.Duration;

/**
 * How patient the restore controller is. The defaults suit real PolarDB; tests shrink them.
 *
 * @param follow between looks at a cluster being created (PolarDB takes 10 to 30 minutes)
 * @param sourceRecheck between looks at a {@code backupRef} that has not Succeeded yet (the cache
 *     is read; no PolarDB call)
 * @param retry after throttling, a server error, a lost reply or refused credentials
 * @param capacityRetry after PolarDB had no room for the cluster ({@code
 *     InsufficientResourceCapacity})
 * @param deletionRetry between attempts to delete a cluster (a Creating one cannot be deleted yet)
 * @param deletionTimeout how long deleting the resource tries to delete its cluster before the
 *     finalizer goes anyway, with a Warning that names the cluster
 * @param tokenReuseWindow how long PolarDB is trusted to remember a ClientToken: a CreateDBCluster
 *     whose outcome stayed unknown longer is never sent again (it could make a second billed
 *     cluster); the cluster it may have made is looked for by the restore's uid tag instead
 */
public record RestoreSettings(
    Duration follow,
    Duration sourceRecheck,
    Duration retry,
    Duration capacityRetry,
    Duration deletionRetry,
    Duration deletionTimeout,
    Duration tokenReuseWindow) {

  public static RestoreSettings defaults() {
    return new RestoreSettings(
        Duration.ofSeconds(30),
        Duration.ofSeconds(15),
        Duration.ofSeconds(30),
        Duration.ofMinutes(5),
        Duration.ofSeconds(30),
        Duration.ofHours(2),
        Duration.ofHours(1));
  }
}
