package dev.polardbbackup.emulator;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

/**
 * Injected trouble per action, with {@code "*"} as the fallback for actions that have no entry of
 * their own. Decisions come from a seeded random, so a run with the same calls in the same order
 * sees the same faults. Not thread-safe: used under the emulator's lock.
 */
final class Faults {
  static final String EVERY_ACTION = "*";

  /**
   * What happens to one call: an optional delay first, then either a rejection (not processed) or
   * processing, after which the reply may be lost.
   */
  record Decision(Duration latency, ApiError rejection, boolean loseResponse) {
    static final Decision NONE = new Decision(Duration.ZERO, null, false);
  }

  private final Map<String, FaultSpec> specs = new HashMap<>();
  // Throttles a test asked for by count, each with its retry-after: these come before any spec.
  private final Map<String, java.util.ArrayDeque<Duration>> throttles = new HashMap<>();
  // Calls still to be refused with InsufficientResourceCapacity, per action.
  private final Map<String, Integer> shortfalls = new HashMap<>();
  private final Random random;

  Faults(long seed) {
    // Its own stream, so that fault decisions do not shift when other ids are drawn.
    this.random = new Random(seed * 31 + 7);
  }

  void set(String action, FaultSpec spec) {
    if (spec.equals(FaultSpec.NONE)) {
      specs.remove(action);
    } else {
      specs.put(action, spec);
    }
  }

  void clear() {
    specs.clear();
    throttles.clear();
    shortfalls.clear();
  }

  /**
   * The next {@code calls} calls of {@code action} that pass its checks find no stock: the zone has
   * no capacity for the node class. Unlike the other faults this is the action's own answer, given
   * after its parameters were checked, and only the actions that create resources ask for it.
   */
  void shortOfCapacityNext(String action, int calls) {
    shortfalls.merge(action, calls, Integer::sum);
  }

  /** Throws InsufficientResourceCapacity, using up one of the refusals due to {@code action}. */
  void checkCapacity(String action) {
    int due = shortfalls.getOrDefault(action, 0);
    if (due > 0) {
      shortfalls.put(action, due - 1);
      throw new ApiError(
          400,
          "InsufficientResourceCapacity",
          "The resources in the specified zone are insufficient. Try another zone or node class.");
    }
  }

  /** The next {@code calls} calls of {@code action} are throttled with that retry-after. */
  void throttleNext(String action, int calls, Duration retryAfter) {
    java.util.ArrayDeque<Duration> queue =
        throttles.computeIfAbsent(action, a -> new java.util.ArrayDeque<>());
    for (int i = 0; i < calls; i++) {
      queue.add(retryAfter);
    }
  }

  Decision decide(String action) {
    Duration retryAfter = throttles.getOrDefault(action, new java.util.ArrayDeque<>()).poll();
    if (retryAfter != null) {
      return new Decision(
          Duration.ZERO,
          throttled().withHeader("x-acs-retry-after", Long.toString(retryAfter.toMillis())),
          false);
    }
    FaultSpec spec = specs.getOrDefault(action, specs.get(EVERY_ACTION));
    if (spec == null) {
      return Decision.NONE;
    }
    double draw = random.nextDouble();
    ApiError rejection = null;
    if (draw < spec.throttleRate()) {
      rejection = throttledAtRandom();
    } else if (draw < spec.throttleRate() + spec.serverErrorRate()) {
      rejection = serverError();
    }
    boolean lose = rejection == null && random.nextDouble() < spec.lostResponseRate();
    return new Decision(spec.latency(), rejection, lose);
  }

  /** Alibaba's newest SDKs honour x-acs-retry-after; older gateways do not send it. */
  private ApiError throttledAtRandom() {
    ApiError error = throttled();
    return random.nextBoolean() ? error.withHeader("x-acs-retry-after", "1000") : error;
  }

  private static ApiError throttled() {
    return new ApiError(400, "Throttling.User", "Request was denied due to user flow control.");
  }

  private ApiError serverError() {
    return random.nextBoolean()
        ? new ApiError(
            503,
            "ServiceUnavailable",
            "The request has failed due to a temporary failure of the server.")
        : new ApiError(
            500,
            "InternalError",
            "The request processing has failed due to some unknown error, exception or failure.");
  }
}
