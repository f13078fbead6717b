package dev.polardbbackup.policy;

import java.time.Duration;

/**
 * How often a backup policy is looked at.
 *
 * @param resync how often the cluster's policy is described again to find drift (and, after PolarDB
 *     refused a value, tried again); a spec change acts at once
 * @param retry after a failed call (throttling, 5xx, a lost reply, refused or missing credentials)
 */
public record PolicySettings(Duration resync, Duration retry) {
  public static PolicySettings defaults() {
    return new PolicySettings(Duration.ofMinutes(10), Duration.ofSeconds(30));
  }
}
