package dev.polardbbackup.emulator;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;

/**
 * SignatureNonces seen in the last 15 minutes. Alibaba rejects a reused nonce within the same
 * window in which it accepts a timestamp, so nothing older needs remembering. Not thread-safe: used
 * under the emulator's lock.
 */
final class NonceWindow {
  static final Duration WINDOW = Duration.ofMinutes(15);

  private record Seen(String nonce, Instant at) {}

  private final Deque<Seen> order = new ArrayDeque<>();
  private final Set<String> nonces = new HashSet<>();

  /** Remembers the nonce, or fails if it was used within the window. */
  void use(String nonce, Instant now) {
    while (!order.isEmpty() && order.peekFirst().at().isBefore(now.minus(WINDOW))) {
      nonces.remove(order.pollFirst().nonce());
    }
    if (!nonces.add(nonce)) {
      throw new ApiError(400, "SignatureNonceUsed", "Specified signature nonce was used already.");
    }
    order.addLast(new Seen(nonce, now));
  }
}
