package dev.polardbbackup.polardb;

import java.time.Duration;

/**
 * Told about every HTTP attempt the client makes, so the operator can expose metrics without the
 * client depending on a metrics library.
 */
@FunctionalInterface
public interface CallListener {
  CallListener NONE = call -> {};

  void onCall(Call call);

  /**
   * @param outcome "OK" or the {@link FailureKind} name
   * @param errorCode the service's error code, empty on success
   */
  record Call(String action, String outcome, String errorCode, Duration latency) {}
}
