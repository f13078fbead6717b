package dev.polardbbackup.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.polardbbackup.polardb.ApiResult;
import dev.polardbbackup.polardb.CallListener;
import dev.polardbbackup.polardb.Credentials;
import dev.polardbbackup.polardb.CredentialsProvider;
import dev.polardbbackup.polardb.DescribeBackupsQuery;
import dev.polardbbackup.polardb.PolarDbClient;
import dev.polardbbackup.polardb.PolarDbClientFactory;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench-client}: N concurrent callers drive the real client against a running emulator and
 * the command prints calls/s, latency percentiles and the emulator's ledger totals. A measurement,
 * not a test: it asserts nothing.
 */
@Command(
    name = "bench-client",
    mixinStandardHelpOptions = true,
    description =
        "Benchmarks the PolarDB client against a running emulator (see scripts/bench-client.sh).")
public final class ClientBenchmarkCommand implements Callable<Integer> {

  @Option(names = "--endpoint", required = true, description = "The emulator's base URL.")
  URI endpoint;

  @Option(
      names = "--access-key",
      defaultValue = EmulatorCommand.DEMO_KEY_ID + ":" + EmulatorCommand.DEMO_KEY_SECRET,
      description = "ID:SECRET accepted by the emulator. Default: its demo key.")
  String accessKey;

  @Option(
      names = "--cluster",
      defaultValue = "pc-demo1",
      description = "Cluster to use. Default: ${DEFAULT-VALUE}.")
  String cluster;

  @Option(
      names = "--callers",
      defaultValue = "16",
      description = "Concurrent callers. Default: ${DEFAULT-VALUE}.")
  int callers;

  @Option(
      names = "--calls",
      defaultValue = "20000",
      description = "Calls in all. Default: ${DEFAULT-VALUE}.")
  int calls;

  @Override
  public Integer call() throws Exception {
    String[] key = accessKey.split(":", 2);
    if (key.length != 2 || callers < 1 || calls < 1) {
      System.err.println("error: --access-key must be ID:SECRET and --callers/--calls positive");
      return 2;
    }
    OkHttpClient http =
        PolarDbClientFactory.httpClient(Duration.ofSeconds(5), Duration.ofSeconds(30))
            .newBuilder()
            .dispatcher(new okhttp3.Dispatcher())
            .connectionPool(
                new okhttp3.ConnectionPool(callers, 1, java.util.concurrent.TimeUnit.MINUTES))
            .build();
    Map<String, AtomicLong> outcomes = new ConcurrentHashMap<>();
    CallListener listener =
        c ->
            outcomes
                .computeIfAbsent(c.action() + " " + c.outcome(), k -> new AtomicLong())
                .incrementAndGet();
    PolarDbClient client =
        new PolarDbClient(
            endpoint,
            CredentialsProvider.of(Credentials.of(key[0], key[1], "benchmark")),
            http,
            Clock.systemUTC(),
            listener);

    long[] latencies = new long[calls];
    AtomicLong next = new AtomicLong();
    String run = Long.toString(System.currentTimeMillis(), 36);
    ExecutorService pool = Executors.newFixedThreadPool(callers);
    long started = System.nanoTime();
    Future<?>[] futures = new Future<?>[callers];
    for (int c = 0; c < callers; c++) {
      futures[c] =
          pool.submit(
              () -> {
                for (long i = next.getAndIncrement(); i < calls; i = next.getAndIncrement()) {
                  long t0 = System.nanoTime();
                  call(client, (int) i, run);
                  latencies[(int) i] = System.nanoTime() - t0;
                }
                return null;
              });
    }
    for (Future<?> f : futures) {
      f.get();
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    pool.shutdown();
    Arrays.sort(latencies);

    System.out.printf("client benchmark: %d calls, %d callers, %.2f s%n", calls, callers, seconds);
    System.out.printf("  calls/s      %10.0f%n", calls / seconds);
    System.out.printf("  p50 latency  %10.2f ms%n", latencies[calls / 2] / 1e6);
    System.out.printf(
        "  p99 latency  %10.2f ms%n", latencies[Math.min(calls - 1, (int) (calls * 0.99))] / 1e6);
    System.out.printf("  max latency  %10.2f ms%n", latencies[calls - 1] / 1e6);
    System.out.println("  outcomes seen by the client:");
    new TreeMap<>(outcomes).forEach((k, v) -> System.out.printf("    %-40s %d%n", k, v.get()));
    try (Response response =
        http.newCall(
                new Request.Builder().url(endpoint.resolve("/_emulator/ledger").toString()).build())
            .execute()) {
      JsonNode ledger = new ObjectMapper().readTree(response.body().string());
      System.out.println("  emulator ledger:");
      ledger
          .path("callsByAction")
          .fields()
          .forEachRemaining(
              e -> System.out.printf("    calls %-34s %d%n", e.getKey(), e.getValue().asLong()));
      System.out.printf(
          "    backups created                          %d%n", ledger.path("backups").size());
    }
    return 0;
  }

  /** A realistic mix: one create for every nine reads. */
  private void call(PolarDbClient client, int i, String run) {
    ApiResult<?> ignored =
        switch (i % 10) {
          case 0 -> client.createBackup(cluster, "bench-" + run + "-" + i);
          case 1, 2, 3, 4 -> client.describeBackupTasks(cluster, Optional.empty());
          case 5, 6 ->
              client.describeBackups(
                  DescribeBackupsQuery.manual(
                      cluster, Instant.now().minusSeconds(600), Instant.now()));
          default -> client.describeDBClusterAttribute(cluster);
        };
  }
}
