package dev.polardbbackup.kube;

import static java.net.HttpURLConnection.HTTP_CONFLICT;
import static java.net.HttpURLConnection.HTTP_NOT_FOUND;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes Events on a resource, so {@code kubectl describe} tells the user what the log tells
 * the operator's owner. An event that cannot be written is logged, never fatal.
 *
 * <p>A repeat (the same object, type, reason and message) is not a new Event: the existing one's
 * {@code count} goes up and its {@code lastTimestamp} moves, as client-go's recorder and Flink's
 * operator do, so a condition that persists across many reconcile passes is one line in {@code
 * kubectl describe} ("x12 over 5m"), not a page of copies that pushes the rest out of sight.
 *
 * <p>Normal Events are written off the caller's thread, as client-go's recorder writes them: a
 * reconcile does not wait for its Normal Event, so a burst of backups that end together takes one
 * write each (their status) before the next one's turn, and their Events follow at a steady pace.
 * Each carries the time it was recorded, and one object's are written by one writer in the order
 * they were recorded. What is still waiting when the process stops is written within a few seconds
 * ({@link #close}); a Normal Event says again what status already records. A Warning is written
 * before the caller goes on: it may be the only record of a problem (some come just before their
 * object goes), and a process killed a moment later must not lose it.
 */
public final class Events implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Events.class);
  public static final String COMPONENT = "polardb-backup-operator";

  /**
   * Where Events about a cluster-scoped object (a Namespace) go, as kubectl and client-go put them:
   * such an object has no namespace of its own.
   */
  static final String CLUSTER_SCOPED_EVENTS_NAMESPACE = "default";

  /** A DNS subdomain, which an Event's name must be, has at most 253 characters. */
  static final int MAX_NAME = 253;

  /** Longer messages are cut: an Event is a line in {@code kubectl describe}, not a log. */
  static final int MAX_MESSAGE = 1000;

  /**
   * Writes of one Event: for a repeat, the create that finds it exists, then an update and at most
   * two more after a 409 from a concurrent writer.
   */
  static final int MAX_ATTEMPTS = 4;

  /** Writers, each writing the Normal Events of the objects whose namespace and name hash to it. */
  static final int WRITERS = 4;

  /**
   * Normal Events recorded and not yet written, at most, per writer; past that a new one is dropped
   * and logged (client-go's recorder keeps 1000 in all). A thousand backups that end within seconds
   * queue a thousand; this is room for ten times that.
   */
  static final int MAX_QUEUED = 2500;

  /**
   * Normal Event writes a second, at most, for the whole process (client-go's clients allow 5
   * requests of any kind, with a burst of 10): when a thousand backups end together, their statuses
   * are written first, and their Events follow over the next seconds instead of halving the API
   * server's pace for both.
   */
  static final int WRITES_PER_SECOND = 50;

  /** How long {@link #close} waits for the Events still queued. */
  static final Duration DRAIN = Duration.ofSeconds(5);

  private final KubernetesClient client;
  private final Clock clock;
  private final boolean normalsInline;
  private final ThreadPoolExecutor[] writers = new ThreadPoolExecutor[WRITERS];
  private final AtomicInteger unwritten = new AtomicInteger();
  private final AtomicLong dropped = new AtomicLong();
  // When the next write may start (System.nanoTime), for WRITES_PER_SECOND.
  private final AtomicLong nextWrite = new AtomicLong(System.nanoTime());

  public Events(KubernetesClient client, Clock clock) {
    this(client, clock, false);
  }

  /**
   * With {@code normalsInline}, Normal Events too are written before the caller goes on: for a test
   * that holds a reconcile in the write of its Event (the API server answering late).
   */
  public Events(KubernetesClient client, Clock clock, boolean normalsInline) {
    this.client = client;
    this.clock = clock;
    this.normalsInline = normalsInline;
    for (int i = 0; i < WRITERS; i++) {
      String thread = "event-writer-" + i;
      writers[i] =
          new ThreadPoolExecutor(
              1,
              1,
              1,
              TimeUnit.MINUTES,
              new LinkedBlockingQueue<>(MAX_QUEUED),
              r -> {
                Thread t = new Thread(r, thread);
                t.setDaemon(true);
                return t;
              });
      // An idle process (or a test's) keeps no writer thread.
      writers[i].allowCoreThreadTimeOut(true);
    }
  }

  public void normal(HasMetadata resource, String reason, String message) {
    record(resource, "Normal", reason, message);
  }

  public void warning(HasMetadata resource, String reason, String message) {
    record(resource, "Warning", reason, message);
  }

  /**
   * The name of one Event about the object {@code objectName}: {@code <objectName>.<unique>}, as
   * kubectl and client-go name theirs, while that fits the 253 characters of a DNS subdomain. An
   * object name can itself be 253 characters long: then the name is cut, ends on a letter or digit,
   * and carries a hash of the whole object name, so that Events of two long names that share their
   * first 200 characters still tell which object they are about. (The core/v1 Events API lets a
   * longer name through for backward compatibility, but events.k8s.io/v1 refuses it, and so may
   * admission policies and tools that expect every name to be a DNS subdomain.)
   *
   * @param unique lowercase letters, digits and '-', starting and ending with a letter or digit
   */
  public static String eventName(String objectName, String unique) {
    String whole = objectName + "." + unique;
    if (whole.length() <= MAX_NAME) {
      return whole;
    }
    String hash = hash(objectName);
    int room = MAX_NAME - unique.length() - hash.length() - 2;
    String head = objectName.substring(0, Math.min(room, objectName.length()));
    int end = head.length();
    while (end > 0 && !Character.isLetterOrDigit(head.charAt(end - 1))) {
      end--;
    }
    return head.substring(0, end) + "-" + hash + "." + unique;
  }

  private static String hash(String name) {
    return sha256Hex(name, 5);
  }

  /**
   * The part of an Event's name after the object's name: a hash of everything that makes two Events
   * "the same" for {@code kubectl describe} (the object, including its uid, so a new object of the
   * same name starts afresh; the type; the reason; the message as written), the aggregation key
   * client-go's event correlator uses. A repeat therefore finds the earlier Event by name, from any
   * replica and after a restart, for as long as the API server keeps it (its {@code --event-ttl},
   * an hour by default); after that a repeat starts a new Event with count 1.
   */
  static String sameEventKey(ObjectReference object, String type, String reason, String message) {
    StringBuilder key = new StringBuilder();
    for (String field :
        new String[] {
          object.getApiVersion(),
          object.getKind(),
          object.getNamespace(),
          object.getName(),
          object.getUid(),
          type,
          reason,
          message
        }) {
      // Length-prefixed, so that no two different field lists run together into the same text.
      String text = field == null ? "" : field;
      key.append(text.length()).append(':').append(text);
    }
    return sha256Hex(key.toString(), 8);
  }

  private static String sha256Hex(String text, int bytes) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /**
   * Waits until every Event recorded so far is written (or given up), at most {@code timeout}.
   * Returns whether they all were.
   */
  public boolean awaitWritten(Duration timeout) throws InterruptedException {
    Instant until = Instant.now().plus(timeout);
    synchronized (unwritten) {
      while (unwritten.get() > 0) {
        long left = Duration.between(Instant.now(), until).toMillis();
        if (left <= 0) {
          return false;
        }
        unwritten.wait(left);
      }
    }
    return true;
  }

  /** Events dropped because their writer's queue was full or the process was stopping. */
  long dropped() {
    return dropped.get();
  }

  /** Writes what is queued, for at most {@link #DRAIN}, and takes no more. */
  @Override
  public void close() {
    for (ThreadPoolExecutor writer : writers) {
      writer.shutdown();
    }
    try {
      if (!awaitWritten(DRAIN)) {
        log.warn("{} Events not written at shutdown", unwritten.get());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (ThreadPoolExecutor writer : writers) {
      writer.shutdownNow();
    }
  }

  private void record(HasMetadata resource, String type, String reason, String message) {
    var meta = resource.getMetadata();
    String namespace =
        meta.getNamespace() == null ? CLUSTER_SCOPED_EVENTS_NAMESPACE : meta.getNamespace();
    String written = message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE) : message;
    ObjectReference object =
        new ObjectReferenceBuilder()
            .withApiVersion(resource.getApiVersion())
            .withKind(resource.getKind())
            .withNamespace(meta.getNamespace())
            .withName(meta.getName())
            .withUid(meta.getUid())
            .withResourceVersion(meta.getResourceVersion())
            .build();
    String name = eventName(meta.getName(), sameEventKey(object, type, reason, written));
    Event event =
        newEvent(namespace, name, object, type, reason, written, clock.instant().toString());
    if ("Warning".equals(type) || normalsInline) {
      write(event);
      return;
    }
    ThreadPoolExecutor writer =
        writers[Math.floorMod(Objects.hash(namespace, meta.getName()), WRITERS)];
    unwritten.incrementAndGet();
    try {
      writer.execute(
          () -> {
            try {
              paced();
              write(event);
            } catch (InterruptedException stopping) {
              Thread.currentThread().interrupt();
            } finally {
              done();
            }
          });
    } catch (RejectedExecutionException e) {
      done();
      log.warn(
          "{}/{}: event {} dropped: {} ({} dropped since start)",
          namespace,
          meta.getName(),
          reason,
          writer.isShutdown() ? "stopping" : MAX_QUEUED + " Events wait to be written",
          dropped.incrementAndGet());
    }
  }

  /** Waits for this write's turn: at most {@link #WRITES_PER_SECOND} writes start a second. */
  private void paced() throws InterruptedException {
    long interval = TimeUnit.SECONDS.toNanos(1) / WRITES_PER_SECOND;
    long now = System.nanoTime();
    long turn = nextWrite.getAndUpdate(next -> Math.max(next, now) + interval);
    if (turn - now > 0) {
      TimeUnit.NANOSECONDS.sleep(turn - now);
    }
  }

  private void done() {
    if (unwritten.decrementAndGet() == 0) {
      synchronized (unwritten) {
        unwritten.notifyAll();
      }
    }
  }

  private void write(Event event) {
    String namespace = event.getMetadata().getNamespace();
    String name = event.getMetadata().getName();
    var events = client.v1().events().inNamespace(namespace);
    String failure = null;
    // Create first: a new Event, the common case, takes one request and only the `create` verb
    // the shipped RBAC grants. A 409 on create means the Event exists: read it and count on it
    // (that needs `get` and `update` on events). A 409 on update means another replica, or another
    // thread of this one (two Warnings on one Namespace), wrote it after our read: read it again,
    // so that no repeat is lost from the count. A 404 on read or update means it expired
    // meanwhile: create it again.
    boolean exists = false;
    for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      try {
        if (!exists) {
          events.resource(event).create();
          return;
        }
        Event existing = events.withName(name).get();
        if (existing == null) {
          exists = false;
          continue;
        }
        existing.setCount(existing.getCount() == null ? 2 : existing.getCount() + 1);
        existing.setLastTimestamp(event.getLastTimestamp());
        // update() sends the resourceVersion that was read: a stale one gets 409.
        events.resource(existing).update();
        return;
      } catch (KubernetesClientException e) {
        failure = e.getMessage();
        if (e.getCode() == HTTP_CONFLICT) {
          exists = true;
        } else if (e.getCode() == HTTP_NOT_FOUND && exists) {
          // The Event went between our read and our update; a 404 on create (no such namespace)
          // would not change on a retry.
          exists = false;
        } else {
          break;
        }
      }
    }
    log.warn(
        "{}/{}: could not record event {}: {}",
        namespace,
        event.getInvolvedObject().getName(),
        event.getReason(),
        failure);
  }

  private static Event newEvent(
      String namespace,
      String name,
      ObjectReference object,
      String type,
      String reason,
      String message,
      String now) {
    return new EventBuilder()
        .withNewMetadata()
        .withNamespace(namespace)
        .withName(name)
        .endMetadata()
        .withInvolvedObject(object)
        .withType(type)
        .withReason(reason)
        .withMessage(message)
        .withFirstTimestamp(now)
        .withLastTimestamp(now)
        .withCount(1)
        .withNewSource(COMPONENT, null)
        .withReportingComponent(COMPONENT)
        .build();
  }
}
