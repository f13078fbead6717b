package dev.polardbbackup.backup;

import static org.awaitility.Awaitility.await;

import dev.polardbbackup.access.SecretReader;
import dev.polardbbackup.emulator.BackupRecord;
import dev.polardbbackup.emulator.EmulatorServer;
import dev.polardbbackup.emulator.Ledger;
import dev.polardbbackup.emulator.MutableClock;
import dev.polardbbackup.emulator.PolarDbEmulator;
import dev.polardbbackup.kube.Events;
import dev.polardbbackup.model.ClusterPattern;
import dev.polardbbackup.model.DeletionPolicy;
import dev.polardbbackup.model.GrantCredentials;
import dev.polardbbackup.model.GrantedAction;
import dev.polardbbackup.model.Phase;
import dev.polardbbackup.model.PolarDBAccessGrant;
import dev.polardbbackup.model.PolarDBAccessGrantSpec;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupSchedule;
import dev.polardbbackup.model.PolarDBBackupScheduleSpec;
import dev.polardbbackup.model.PolarDBBackupSpec;
import dev.polardbbackup.model.SecretReference;
import dev.polardbbackup.polardb.CallListener;
import dev.polardbbackup.polardb.Credentials;
import dev.polardbbackup.polardb.CredentialsProvider;
import dev.polardbbackup.polardb.PolarDbClient;
import dev.polardbbackup.polardb.PolarDbClientFactory;
import dev.polardbbackup.policy.PolarDBBackupPolicyReconciler;
import dev.polardbbackup.policy.PolicySettings;
import dev.polardbbackup.schedule.PolarDBBackupScheduleReconciler;
import dev.polardbbackup.schedule.ScheduleSettings;
import dev.polardbbackup.shard.Shard;
import dev.polardbbackup.shard.ShardGuard;
import dev.polardbbackup.shard.ShardLabeller;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.api.reconciler.RetryInfo;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.logging.Level;
import okhttp3.OkHttpClient;

/**
 * A running operator against a fabric8 CRUD mock API server and an in-process PolarDB emulator,
 * with every wait shrunk to milliseconds.
 */
public final class OperatorHarness implements AutoCloseable {
  public static final String NAMESPACE = "team-a";
  public static final String OPERATOR_NAMESPACE = "polardb-backup-system";

  /** The grant every harness has unless a test asks for none: every namespace, cluster, action. */
  public static final String ALLOW_ALL_GRANT = "allow-all";

  public static final String KEY_ID = "LTAI5tTestKey";
  public static final String KEY_SECRET = "test-secret-value";
  public static final String CLUSTER = "pc-test1";
  public static final String REGION = "cn-hangzhou";

  static {
    // The mock server logs every request through java.util.logging at INFO.
    java.util.logging.Logger.getLogger("io.fabric8").setLevel(Level.WARNING);
    java.util.logging.Logger.getLogger("okhttp3").setLevel(Level.WARNING);
  }

  public final KubernetesClient client;
  public final PolarDbEmulator emulator;
  public final EmulatorServer server;
  public final OkHttpClient http =
      PolarDbClientFactory.httpClient(Duration.ofSeconds(2), Duration.ofSeconds(5));

  /** The schedules' clock: ticks come when a test moves it, never by waiting. */
  public final MutableClock scheduleClock = MutableClock.at("2030-01-01T01:30:00Z");

  private final ControllerSettings settings;
  // Opened first, so that nothing the operator logs escapes the leak check in close().
  private final CapturedLogs logs = CapturedLogs.open();
  private Clock clock = Clock.systemUTC();
  private boolean schedules;
  private PolicySettings policySettings;
  private dev.polardbbackup.restore.RestoreSettings restoreSettings;
  private boolean allowAll = true;
  private final java.util.Set<String> watched = new java.util.TreeSet<>(List.of(NAMESPACE));
  private ScheduleSettings scheduleSettings = fastScheduleSettings();
  private Operator operator;
  private final PassCounter passes = new PassCounter();
  private BackupListener listener = BackupListener.NONE;
  private ShardGuard shardGuard = ShardGuard.unsharded();
  private ShardLabeller labeller;

  /** The operator's reader of Secrets, made at start. */
  public SecretReader secrets;

  // Writers of the operator's Events, one per clock the reconcilers use; new at each start.
  private Events eventWriter;
  private Events scheduleEventWriter;
  private boolean eventsInline;

  /** The running backup controller, for tests that look at what it keeps in memory. */
  public PolarDBBackupReconciler reconciler;

  /** The running backup-policy controller, when {@link #withPolicies} asked for one. */
  public PolarDBBackupPolicyReconciler policies;

  /** The running restore controller, when {@link #withRestores} asked for one. */
  public dev.polardbbackup.restore.PolarDBRestoreReconciler restores;

  public OperatorHarness(
      KubernetesClient client, PolarDbEmulator emulator, ControllerSettings settings)
      throws IOException {
    this.client = client;
    this.emulator = emulator;
    this.settings = settings;
    this.server = EmulatorServer.start(emulator, new InetSocketAddress("127.0.0.1", 0));
    // Status must behave as a subresource: the mock learns that from the CRD.
    for (String plural :
        List.of(
            "polardbbackups",
            "polardbbackupschedules",
            "polardbaccessgrants",
            "polardbbackuppolicies",
            "polardbrestores")) {
      client
          .apiextensions()
          .v1()
          .customResourceDefinitions()
          .load(Files.newInputStream(Path.of("crds/" + plural + ".polardbbackup.dev-v1.yml")))
          .createOr(existing -> existing.update());
    }
  }

  /** Schedules tick on a clock the test moves; the grace for a late tick is one minute. */
  public static ScheduleSettings fastScheduleSettings() {
    return new ScheduleSettings(
        Duration.ofMillis(100),
        Duration.ofMinutes(1),
        Duration.ofSeconds(3),
        Duration.ofMillis(200));
  }

  /** Restores that look again within a fraction of a second. */
  public static dev.polardbbackup.restore.RestoreSettings fastRestoreSettings() {
    return new dev.polardbbackup.restore.RestoreSettings(
        Duration.ofMillis(200),
        Duration.ofMillis(200),
        Duration.ofMillis(200),
        Duration.ofMillis(300),
        Duration.ofMillis(200),
        Duration.ofSeconds(30),
        Duration.ofHours(1));
  }

  public static PolarDbEmulator.Builder emulator() {
    return PolarDbEmulator.builder()
        .accessKey(KEY_ID, KEY_SECRET)
        .cluster(CLUSTER, REGION)
        .backupDuration(Duration.ofMillis(600))
        .taskRetention(Duration.ofMillis(300));
  }

  public static ControllerSettings fastSettings() {
    return fastSettings(Duration.ofMillis(500));
  }

  public static ControllerSettings fastSettings(Duration authRetry) {
    return new ControllerSettings(
        new Backoff(Duration.ofMillis(200), Duration.ofMillis(800), 0.2),
        new Backoff(Duration.ofMillis(50), Duration.ofMillis(300), 0.2),
        authRetry,
        Duration.ofSeconds(2),
        Duration.ofMillis(100),
        Duration.ofMillis(50),
        Duration.ofMillis(300),
        // lookGather
        Duration.ofMillis(100),
        Duration.ofSeconds(5),
        Duration.ofSeconds(5),
        Duration.ofMillis(100),
        Duration.ofHours(1),
        Duration.ofMillis(100),
        Duration.ofMillis(100),
        // Succeeded backups are looked at again only where a test asks (AvailabilityTest).
        Duration.ofHours(1));
  }

  /** The backup controller's clock; share it with the emulator to jump over an outage. */
  public OperatorHarness withClock(Clock clock) {
    this.clock = clock;
    return this;
  }

  /** Tells {@code listener} what the backup controller would tell the metrics. */
  public OperatorHarness withListener(BackupListener listener) {
    this.listener = listener;
    return this;
  }

  /**
   * Every Event written before the reconcile goes on, Normal ones too (the operator writes those
   * off the reconcile thread): for a test that holds a reconcile by answering its Event late.
   */
  public OperatorHarness withEventsWrittenInline() {
    eventsInline = true;
    return this;
  }

  /** Runs the schedule controller too (off by default: the backup tests need only backups). */
  public OperatorHarness withSchedules() {
    schedules = true;
    return this;
  }

  /** Runs the backup-policy controller too, with these timers (off by default). */
  public OperatorHarness withPolicies(PolicySettings settings) {
    policySettings = settings;
    return this;
  }

  /** Runs the restore controller too, with these timers (off by default). */
  public OperatorHarness withRestores(dev.polardbbackup.restore.RestoreSettings settings) {
    restoreSettings = settings;
    return this;
  }

  /**
   * No {@value #ALLOW_ALL_GRANT} grant: objects without their own credentials act only through the
   * grants the test makes.
   */
  public OperatorHarness withoutAllowAllGrant() {
    allowAll = false;
    return this;
  }

  /**
   * A grant of {@code actions} on clusters {@code region/cluster} to namespaces {@code selector}.
   */
  public static PolarDBAccessGrant grant(
      String name,
      io.fabric8.kubernetes.api.model.LabelSelector selector,
      String region,
      String cluster,
      GrantCredentials credentials,
      GrantedAction... actions) {
    return new PolarDBAccessGrant(
        name,
        new PolarDBAccessGrantSpec(
            selector, List.of(new ClusterPattern(region, cluster)), List.of(actions), credentials));
  }

  /**
   * Reconciles only shard {@code index} of {@code count} (no leader election, so no Lease fence),
   * labelling the unlabelled resources of its buckets as the operator does.
   */
  public OperatorHarness asShard(int index, int count) {
    shardGuard = ShardGuard.open(new Shard(index, count));
    return this;
  }

  /** Watches {@code namespace} too, besides {@value #NAMESPACE}. */
  public OperatorHarness alsoWatching(String namespace) {
    watched.add(namespace);
    return this;
  }

  /** Other schedule timers than {@link #fastScheduleSettings()}. */
  public OperatorHarness withScheduleSettings(ScheduleSettings settings) {
    scheduleSettings = settings;
    return this;
  }

  public OperatorHarness start() {
    if (allowAll) {
      client
          .resource(
              grant(
                  ALLOW_ALL_GRANT,
                  new io.fabric8.kubernetes.api.model.LabelSelector(),
                  "*",
                  "*",
                  null,
                  GrantedAction.values()))
          .createOr(existing -> existing.update());
    }
    secrets = new SecretReader(client, clock, settings.secretCacheTtl());
    eventWriter = new Events(client, clock, eventsInline);
    scheduleEventWriter = new Events(client, scheduleClock, eventsInline);
    operator =
        new Operator(
            o ->
                o.withKubernetesClient(client)
                    .withUseSSAToPatchPrimaryResource(false)
                    .withCloseClientOnStop(false)
                    .withMetrics(passes));
    reconciler =
        new PolarDBBackupReconciler(
            new PolarDbClientFactory(Optional.of(server.baseUri()), http, clock, CallListener.NONE),
            CredentialsProvider.of(Credentials.of(KEY_ID, KEY_SECRET, "test")),
            settings,
            clock,
            new Random(7),
            eventWriter,
            listener,
            secrets,
            OPERATOR_NAMESPACE,
            shardGuard);
    operator.register(reconciler, this::configure);
    if (schedules) {
      operator.register(
          new PolarDBBackupScheduleReconciler(
              scheduleSettings, scheduleClock, scheduleEventWriter, shardGuard),
          c -> c.settingNamespaces(NAMESPACE));
    }
    if (policySettings != null) {
      policies =
          new PolarDBBackupPolicyReconciler(
              new PolarDbClientFactory(
                  Optional.of(server.baseUri()), http, clock, CallListener.NONE),
              CredentialsProvider.of(Credentials.of(KEY_ID, KEY_SECRET, "test")),
              policySettings,
              clock,
              eventWriter,
              secrets,
              OPERATOR_NAMESPACE,
              shardGuard);
      operator.register(policies, this::configure);
    }
    if (restoreSettings != null) {
      restores =
          new dev.polardbbackup.restore.PolarDBRestoreReconciler(
              new PolarDbClientFactory(
                  Optional.of(server.baseUri()), http, clock, CallListener.NONE),
              CredentialsProvider.of(Credentials.of(KEY_ID, KEY_SECRET, "test")),
              restoreSettings,
              clock,
              eventWriter,
              secrets,
              OPERATOR_NAMESPACE,
              shardGuard);
      operator.register(restores, this::configure);
    }
    operator.start();
    labeller = new ShardLabeller(client, shardGuard);
    labeller.start(watched, Duration.ofSeconds(1));
    return this;
  }

  /**
   * The watched namespaces. Unlike the operator, a shard here watches every bucket: the mock API
   * server cannot parse the set-based selector of a shard's buckets (it splits selectors at
   * commas), so the guard alone keeps the shards apart, as it must anyway for a mislabelled object.
   * The selector itself is exercised on a real API server (ShardingIT).
   */
  private void configure(ControllerConfigurationOverrider<?> controller) {
    controller.settingNamespaces(watched);
  }

  public void stopOperator() {
    if (labeller != null) {
      labeller.close();
      labeller = null;
    }
    if (operator != null) {
      operator.stop();
      operator = null;
      eventWriter.close();
      scheduleEventWriter.close();
    }
  }

  /**
   * Waits for the Events the operator recorded so far to be written: it writes them off the
   * reconcile thread, so one can still be on its way when the status it goes with is seen.
   */
  public void awaitEventsWritten() {
    try {
      for (Events writer : new Events[] {eventWriter, scheduleEventWriter}) {
        if (writer != null && !writer.awaitWritten(Duration.ofSeconds(10))) {
          throw new AssertionError("Events recorded by the operator still unwritten after 10 s");
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  @Override
  public void close() {
    List<String> leaks = leaksOf(KEY_SECRET);
    stopOperator();
    server.close();
    logs.close();
    if (!leaks.isEmpty()) {
      throw new AssertionError(
          "the AccessKey secret appeared in " + leaks.size() + " places, first: " + leaks.get(0));
    }
  }

  /**
   * Where {@code secret} appears in what the operator said during the test: its log (every level of
   * ours), the Events and the statuses. Every test on the harness ends with this check.
   */
  private List<String> leaksOf(String secret) {
    List<String> found = new java.util.ArrayList<>(logs.linesContaining(secret));
    String encoded = java.util.Base64.getEncoder().encodeToString(secret.getBytes());
    found.addAll(logs.linesContaining(encoded));
    try {
      awaitEventsWritten();
      for (Event e : client.v1().events().inAnyNamespace().list().getItems()) {
        if (e.getMessage() != null && e.getMessage().contains(secret)) {
          found.add("Event " + e.getReason() + ": " + e.getMessage());
        }
      }
      for (PolarDBBackup b :
          client.resources(PolarDBBackup.class).inAnyNamespace().list().getItems()) {
        if (client.getKubernetesSerialization().asJson(b.getStatus()).contains(secret)) {
          found.add("status of " + b.getMetadata().getName());
        }
      }
    } catch (RuntimeException clientAlreadyClosed) {
      // The log check above still ran.
    }
    return found;
  }

  // ---- reconcile passes ----

  /**
   * Waits until a reconcile pass of the named resource that began after this call has ended: the
   * controller has then looked at the world as the test left it, and an absence means something.
   * JOSDK runs one pass of a resource at a time, so the pass that ends as number {@code started +
   * 1} began after the call.
   */
  public void awaitFreshPass(Class<? extends HasMetadata> type, String name) {
    String key = PassCounter.key(type, name);
    int started = passes.started(key);
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> passes.ended(key) > started);
  }

  /** How many reconcile passes of the named backup have ended so far. */
  public int passesOf(String name) {
    return passes.ended(PassCounter.key(PolarDBBackup.class, name));
  }

  /** Counts passes per resource through JOSDK's metrics hook. */
  private static final class PassCounter implements Metrics {
    private final Map<String, AtomicInteger> started = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> ended = new ConcurrentHashMap<>();

    static String key(Class<? extends HasMetadata> type, String name) {
      return HasMetadata.getKind(type) + "/" + name;
    }

    private static String key(HasMetadata resource) {
      return resource.getKind() + "/" + resource.getMetadata().getName();
    }

    int started(String key) {
      return started.getOrDefault(key, new AtomicInteger()).get();
    }

    int ended(String key) {
      return ended.getOrDefault(key, new AtomicInteger()).get();
    }

    private static void count(Map<String, AtomicInteger> counts, String key) {
      counts.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
    }

    @Override
    public void reconcileCustomResource(
        HasMetadata resource, RetryInfo retryInfo, Map<String, Object> metadata) {
      count(started, key(resource));
    }

    @Override
    public void finishedReconciliation(HasMetadata resource, Map<String, Object> metadata) {
      count(ended, key(resource));
    }

    @Override
    public void failedReconciliation(
        HasMetadata resource, Exception exception, Map<String, Object> metadata) {
      count(ended, key(resource));
    }
  }

  // ---- resources ----

  public PolarDBBackup create(String name) {
    return create(name, new PolarDBBackupSpec(CLUSTER, REGION));
  }

  public PolarDBBackup create(String name, DeletionPolicy policy) {
    return create(name, new PolarDBBackupSpec(CLUSTER, REGION, policy, null));
  }

  public PolarDBBackup createWithSecret(String name, String secretName) {
    return create(
        name,
        new PolarDBBackupSpec(
            CLUSTER, REGION, DeletionPolicy.Retain, new SecretReference(secretName)));
  }

  public PolarDBBackup create(String name, PolarDBBackupSpec spec) {
    return client.resource(new PolarDBBackup(NAMESPACE, name, spec)).create();
  }

  /** The backups made with the ClientTokens of the resource {@code uid} (the uid, or uid-n). */
  public static List<BackupRecord> madeWithTokensOf(Ledger ledger, String uid) {
    return ledger.backups().stream()
        .filter(b -> b.clientToken() != null && b.clientToken().startsWith(uid))
        .toList();
  }

  public PolarDBBackup get(String name) {
    return client.resources(PolarDBBackup.class).inNamespace(NAMESPACE).withName(name).get();
  }

  public PolarDBBackup awaitPhase(String name, Phase phase) {
    return awaitThat(
        name,
        b -> b.getStatus() != null && b.getStatus().getPhase() == phase,
        Duration.ofSeconds(20));
  }

  public PolarDBBackup awaitReason(String name, String reason) {
    return awaitThat(
        name,
        b -> b.getStatus() != null && reason.equals(b.getStatus().getReason()),
        Duration.ofSeconds(20));
  }

  public PolarDBBackup awaitThat(
      String name, Predicate<PolarDBBackup> condition, Duration timeout) {
    await()
        .atMost(timeout)
        .pollInterval(Duration.ofMillis(50))
        .until(() -> Optional.ofNullable(get(name)).map(condition::test).orElse(false));
    return get(name);
  }

  /**
   * Waits until the operator has seen {@code name}'s job in a DescribeBackupTasks look taken at
   * least {@code listingLag} after the job was made (PolarDB's start of the job is not written on
   * its own: the look is the evidence).
   */
  public PolarDBBackup awaitJobSeen(String name, Duration listingLag) {
    return awaitThat(
        name,
        b -> {
          String job = b.getStatus() == null ? null : b.getStatus().getBackupJobId();
          if (job == null) {
            return false;
          }
          Ledger ledger = emulator.ledger();
          return ledger.backups().stream()
              .filter(r -> job.equals(r.backupJobId()))
              .findFirst()
              .map(
                  r ->
                      ledger.callsTo("DescribeBackupTasks").stream()
                          .anyMatch(
                              c ->
                                  c.httpStatus() == 200
                                      && !c.at().isBefore(r.createdAt().plus(listingLag))))
              .orElse(false);
        },
        Duration.ofSeconds(10));
  }

  public void awaitGone(String name) {
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> get(name) == null);
  }

  /**
   * A JSON merge patch without a resourceVersion: a user's edit that must not lose a race with the
   * operator's own status writes.
   */
  public void mergePatch(String name, String json) {
    mergePatch(PolarDBBackup.class, name, json);
  }

  public void mergePatchSchedule(String name, String json) {
    mergePatch(PolarDBBackupSchedule.class, name, json);
  }

  private void mergePatch(Class<? extends HasMetadata> type, String name, String json) {
    client
        .resources(type)
        .inNamespace(NAMESPACE)
        .withName(name)
        .patch(
            io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
            json);
  }

  public void delete(String name) {
    client.resources(PolarDBBackup.class).inNamespace(NAMESPACE).withName(name).delete();
  }

  public List<Event> events(String name) {
    awaitEventsWritten();
    return client.v1().events().inAnyNamespace().list().getItems().stream()
        .filter(e -> name.equals(e.getInvolvedObject().getName()))
        .toList();
  }

  public boolean hasEvent(String name, String reason) {
    return events(name).stream().anyMatch(e -> reason.equals(e.getReason()));
  }

  // ---- schedules ----

  public PolarDBBackupSchedule createSchedule(String name, PolarDBBackupScheduleSpec spec) {
    return client.resource(new PolarDBBackupSchedule(NAMESPACE, name, spec)).create();
  }

  public PolarDBBackupSchedule schedule(String name) {
    return client
        .resources(PolarDBBackupSchedule.class)
        .inNamespace(NAMESPACE)
        .withName(name)
        .get();
  }

  public PolarDBBackupSchedule awaitSchedule(
      String name, Predicate<PolarDBBackupSchedule> condition) {
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> Optional.ofNullable(schedule(name)).map(condition::test).orElse(false));
    return schedule(name);
  }

  /** The backups labelled as made by this schedule, sorted by name (that is, by tick). */
  public List<PolarDBBackup> children(String scheduleName) {
    return client
        .resources(PolarDBBackup.class)
        .inNamespace(NAMESPACE)
        .withLabel(PolarDBBackupScheduleReconciler.SCHEDULE_LABEL, scheduleName)
        .list()
        .getItems()
        .stream()
        .sorted(java.util.Comparator.comparing(b -> b.getMetadata().getName()))
        .toList();
  }

  public List<String> childNames(String scheduleName) {
    return children(scheduleName).stream().map(b -> b.getMetadata().getName()).toList();
  }

  /** A direct client, for a test that changes the cloud behind the operator's back. */
  public PolarDbClient polarDb() {
    return new PolarDbClient(
        server.baseUri(),
        CredentialsProvider.of(Credentials.of(KEY_ID, KEY_SECRET, "test")),
        http,
        clock,
        CallListener.NONE);
  }
}
