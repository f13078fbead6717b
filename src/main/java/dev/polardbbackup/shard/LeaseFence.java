package dev.polardbbackup.shard;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps two shard layouts from acting at once. Each shard elects its leader on a Lease named for
 * its index and the shard count ({@link Shard#leaseName}), so while a resize rolls out, the old
 * layout's Leases and the new one's exist side by side. A leader works only while it holds its own
 * Lease and no live Lease of another shard count was acquired before its own: the layout already
 * working goes on, the newcomer waits until the old Leases are released or expire (a killed
 * process's after its lease duration). Two newcomers of different counts that acquire in the same
 * instant are ordered by Lease name, so exactly one goes first.
 *
 * <p>The guard starts fenced; this looks at the Leases every retry period, and at once when the
 * process becomes leader.
 */
public final class LeaseFence implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LeaseFence.class);

  private final KubernetesClient client;
  private final String namespace;
  private final String base;
  private final String identity;
  private final ShardGuard guard;
  private final Duration period;
  private final Clock clock;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "shard-lease-fence");
            t.setDaemon(true);
            return t;
          });

  public LeaseFence(
      KubernetesClient client,
      String namespace,
      String base,
      String identity,
      ShardGuard guard,
      Duration period,
      Clock clock) {
    this.client = client;
    this.namespace = namespace;
    this.base = base;
    this.identity = identity;
    this.guard = guard;
    this.period = period;
    this.clock = clock;
  }

  public void start() {
    timer.scheduleWithFixedDelay(this::look, 0, period.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Looks now (from the timer's thread): the process has just become leader. */
  public void lookSoon() {
    timer.execute(this::look);
  }

  private void look() {
    try {
      List<Lease> leases = client.leases().inNamespace(namespace).list().getItems();
      boolean standby = heldLease(leases, guard.shard().leaseName(base), identity).isEmpty();
      blocker(leases, base, guard.shard(), identity, clock.instant())
          .ifPresentOrElse(why -> guard.fence(why, standby), guard::clear);
    } catch (KubernetesClientException e) {
      // Unknown is not clear: hold the work and look again.
      guard.fence(
          "cannot list the Leases in "
              + namespace
              + (e.getCode() == 403
                  ? ": forbidden (the operator's Role needs list on leases)"
                  : ": "
                      + (e.getCode() > 0 ? "HTTP " + e.getCode() : e.getClass().getSimpleName())),
          false);
      log.debug("reading the Leases", e);
    } catch (RuntimeException e) {
      // Whatever it was, the timer must go on (an exception would end it) and work stays held.
      guard.fence(
          "cannot judge the Leases in " + namespace + ": " + e.getClass().getSimpleName(), false);
      log.warn("reading the Leases", e);
    }
  }

  /**
   * Why {@code shard}'s leader {@code identity} must not act, given the Leases of its namespace, or
   * empty when it may.
   */
  static Optional<String> blocker(
      List<Lease> leases, String base, Shard shard, String identity, Instant now) {
    String own = shard.leaseName(base);
    Optional<Lease> mine = heldLease(leases, own, identity);
    if (mine.isEmpty()) {
      return Optional.of("this replica does not hold Lease " + own);
    }
    Instant acquired = instant(mine.get().getSpec().getAcquireTime()).orElse(now);
    return leases.stream()
        .filter(l -> !own.equals(l.getMetadata().getName()))
        .filter(
            l ->
                Shard.countOfLease(base, l.getMetadata().getName())
                    .filter(count -> count != shard.count())
                    .isPresent())
        .filter(l -> alive(l.getSpec(), now))
        .filter(l -> before(l, acquired, own))
        .min(Comparator.comparing(l -> l.getMetadata().getName()))
        .map(
            l ->
                "Lease "
                    + l.getMetadata().getName()
                    + " of another shard count is held by "
                    + l.getSpec().getHolderIdentity()
                    + " since before this shard's; waiting until it is released or expires");
  }

  /** The Lease named {@code own}, if {@code identity} holds it. */
  private static Optional<Lease> heldLease(List<Lease> leases, String own, String identity) {
    return leases.stream()
        .filter(l -> own.equals(l.getMetadata().getName()))
        .filter(l -> l.getSpec() != null && identity.equals(l.getSpec().getHolderIdentity()))
        .findFirst();
  }

  private static boolean alive(LeaseSpec spec, Instant now) {
    if (spec == null || spec.getHolderIdentity() == null || spec.getHolderIdentity().isBlank()) {
      return false;
    }
    Optional<Instant> renewed =
        instant(spec.getRenewTime()).or(() -> instant(spec.getAcquireTime()));
    int seconds = spec.getLeaseDurationSeconds() == null ? 0 : spec.getLeaseDurationSeconds();
    // A Lease without times is taken as alive: unknown is not free.
    return renewed.map(r -> r.plusSeconds(seconds).isAfter(now)).orElse(true);
  }

  /** The other Lease was acquired before ours (or in the same instant, with a smaller name). */
  private static boolean before(Lease other, Instant ours, String ownName) {
    Optional<Instant> theirs = instant(other.getSpec().getAcquireTime());
    if (theirs.isEmpty() || theirs.get().isBefore(ours)) {
      return true;
    }
    return theirs.get().equals(ours) && other.getMetadata().getName().compareTo(ownName) < 0;
  }

  private static Optional<Instant> instant(ZonedDateTime time) {
    return Optional.ofNullable(time).map(ZonedDateTime::toInstant);
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
