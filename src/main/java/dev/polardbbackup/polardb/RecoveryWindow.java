package dev.polardbbackup.polardb;

import java.time.Instant;
import java.util.Optional;

/**
 * The span a cluster can be restored to from its level-1 backups ({@code
 * DescribeLocalAvailableRecoveryTime}); both ends empty when PolarDB reports none (no backup yet).
 */
public record RecoveryWindow(
    Optional<Instant> recoveryBeginTime, Optional<Instant> recoveryEndTime) {

  public RecoveryWindow {
    recoveryBeginTime = recoveryBeginTime == null ? Optional.empty() : recoveryBeginTime;
    recoveryEndTime = recoveryEndTime == null ? Optional.empty() : recoveryEndTime;
  }

  /** True when PolarDB reported both ends. */
  public boolean known() {
    return recoveryBeginTime.isPresent() && recoveryEndTime.isPresent();
  }
}
