package dev.polardbbackup.emulator;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request path of {@link PolarDbEmulator}, under the emulator's lock. A request goes through
 * the steps of Alibaba's gateway in order: route (action and version), authenticate, authorize
 * (RAM), inject faults, then run the action. The lock is released while an injected latency sleeps.
 * Every answer, lost ones included, is recorded for the {@link Ledger}.
 */
final class Gateway {
  // The emulator's log category, which is where its users look for it.
  private static final Logger LOG = LoggerFactory.getLogger(PolarDbEmulator.class);

  private final Object lock;
  private final Clock clock;
  private final Ids ids;
  private final AccessKeys keys;
  private final RequestAuthenticator authenticator;
  private final StsService sts;
  private final Faults faults;
  private final PolarDbActions actions;
  private final PolicyActions policyActions;
  private final ClusterActions clusterActions;
  private final RestoreActions restoreActions;
  private final List<ApiCall> calls = new ArrayList<>();
  private final Map<String, AtomicInteger> inFlight =
      new java.util.concurrent.ConcurrentHashMap<>();

  Gateway(
      Object lock,
      Clock clock,
      Ids ids,
      AccessKeys keys,
      RequestAuthenticator authenticator,
      StsService sts,
      Faults faults,
      PolarDbActions actions,
      PolicyActions policyActions,
      ClusterActions clusterActions,
      RestoreActions restoreActions) {
    this.lock = lock;
    this.clock = clock;
    this.ids = ids;
    this.keys = keys;
    this.authenticator = authenticator;
    this.sts = sts;
    this.faults = faults;
    this.actions = actions;
    this.policyActions = policyActions;
    this.clusterActions = clusterActions;
    this.restoreActions = restoreActions;
  }

  /** Answers one RPC request; the reply may ask the server to drop the connection instead. */
  ApiReply handle(ApiRequest request) {
    String requestId;
    String action = Routing.actionOf(request);
    Params params = new Params(request.params());
    Faults.Decision fault;
    synchronized (lock) {
      requestId = ids.requestId();
      try {
        Routing.route(action, Routing.versionOf(request));
        if (!Routing.STS_ACTION.equals(action)) {
          String accessKeyId = authenticator.authenticate(request, clock.instant());
          keys.requireAllowed(accessKeyId, action);
        }
        fault = faults.decide(action);
      } catch (ApiError e) {
        return answer(ApiReply.error(requestId, Routing.hostId(action), e), action, params);
      }
    }
    // From here until the reply, the call is in flight (a test kills a client mid-call by this).
    inFlight.computeIfAbsent(action, a -> new AtomicInteger()).incrementAndGet();
    try {
      sleep(fault.latency());
      return decide(action, params, requestId, fault);
    } finally {
      inFlight.get(action).decrementAndGet();
    }
  }

  Map<String, Integer> inFlight() {
    Map<String, Integer> counts = new java.util.TreeMap<>();
    inFlight.forEach((action, n) -> counts.put(action, n.get()));
    return counts;
  }

  /** Every call answered so far; the live list, to be read under the lock. */
  List<ApiCall> calls() {
    return calls;
  }

  private ApiReply decide(String action, Params params, String requestId, Faults.Decision fault) {
    synchronized (lock) {
      if (fault.rejection() != null) {
        return answer(
            ApiReply.error(requestId, Routing.hostId(action), fault.rejection()), action, params);
      }
      ApiReply reply;
      try {
        reply = ApiReply.ok(requestId, run(action, params, requestId));
      } catch (ApiError e) {
        reply = ApiReply.error(requestId, Routing.hostId(action), e);
      }
      if (fault.loseResponse()) {
        LOG.info("{} processed, reply dropped on purpose RequestId={}", action, requestId);
        record(action, params, reply.status(), ApiCall.LOST_RESPONSE, requestId);
        return reply.dropped();
      }
      return answer(reply, action, params);
    }
  }

  private ObjectNode run(String action, Params params, String requestId) {
    Instant now = clock.instant();
    if (Routing.STS_ACTION.equals(action)) {
      return sts.assumeRoleWithOidc(params, now);
    }
    if (PolicyActions.ACTIONS.contains(action)) {
      return policyActions.run(action, params, now, requestId);
    }
    if (ClusterActions.ACTIONS.contains(action)) {
      return clusterActions.run(action, params, now, requestId);
    }
    if (RestoreActions.ACTIONS.contains(action)) {
      return restoreActions.run(action, params, now, requestId);
    }
    return actions.run(action, params, now, requestId);
  }

  private ApiReply answer(ApiReply reply, String action, Params params) {
    record(action, params, reply.status(), reply.code(), reply.requestId());
    return reply;
  }

  private void record(String action, Params params, int status, String code, String requestId) {
    calls.add(
        new ApiCall(
            clock.instant(),
            action == null ? "" : action,
            params.optional("DBClusterId").orElse(null),
            status,
            code,
            requestId));
  }

  private static void sleep(Duration latency) {
    if (latency.isZero()) {
      return;
    }
    try {
      Thread.sleep(latency.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
