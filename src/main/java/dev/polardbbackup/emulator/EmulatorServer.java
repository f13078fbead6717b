package dev.polardbbackup.emulator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a {@link PolarDbEmulator} over HTTP with the JDK's built-in server: RPC calls at {@code
 * /}, unsigned admin endpoints under {@code /_emulator/}.
 */
public final class EmulatorServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmulatorServer.class);
  private static final int THREADS = 16;
  static final String JSON_UTF8 = "application/json;charset=utf-8";
  private static final String NODELAY_PROPERTY = "sun.net.httpserver.nodelay";

  private final HttpServer server;
  private final ExecutorService executor;
  private final PolarDbEmulator emulator;
  private final AdminEndpoints admin;
  private final ObjectMapper json = new ObjectMapper();

  private EmulatorServer(HttpServer server, ExecutorService executor, PolarDbEmulator emulator) {
    this.server = server;
    this.executor = executor;
    this.emulator = emulator;
    this.admin = new AdminEndpoints(emulator, json);
  }

  /** Starts serving; port 0 picks a free port. */
  public static EmulatorServer start(PolarDbEmulator emulator, InetSocketAddress address)
      throws IOException {
    disableNagleUnlessConfigured();
    HttpServer http = HttpServer.create(address, 0);
    ExecutorService executor = Executors.newFixedThreadPool(THREADS, new DaemonThreads());
    EmulatorServer server = new EmulatorServer(http, executor, emulator);
    http.createContext("/", server::serve);
    http.setExecutor(executor);
    http.start();
    return server;
  }

  public URI baseUri() {
    InetSocketAddress address = server.getAddress();
    String host = address.getAddress().getHostAddress();
    if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return URI.create("http://" + host + ":" + address.getPort());
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** Stops at once: open exchanges are cut off rather than waited for. */
  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    try {
      executor.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * The JDK server writes a reply's headers and body as two segments; with Nagle's algorithm on,
   * the body waits for the client's delayed ACK, about 40 ms per call. The JDK reads this property
   * once, when its first server starts, so it is set only if nobody chose otherwise.
   */
  private static void disableNagleUnlessConfigured() {
    if (System.getProperty(NODELAY_PROPERTY) == null) {
      System.setProperty(NODELAY_PROPERTY, "true");
    }
  }

  private void serve(HttpExchange exchange) {
    try {
      byte[] body = exchange.getRequestBody().readAllBytes();
      String path = exchange.getRequestURI().getPath();
      if (path.startsWith(AdminEndpoints.PREFIX)) {
        AdminEndpoints.Reply reply =
            admin.handle(
                exchange.getRequestMethod(), path, exchange.getRequestURI().getRawQuery(), body);
        send(exchange, reply.status(), reply.body(), Map.of());
        return;
      }
      if (!path.equals("/") && !path.isEmpty()) {
        send(exchange, 404, admin.message("RPC calls go to /, not " + path), Map.of());
        return;
      }
      ApiRequest request =
          ApiRequest.of(
              exchange.getRequestMethod(),
              exchange.getRequestURI().getRawQuery(),
              firstValues(exchange),
              body);
      ApiReply reply = emulator.handle(request);
      if (reply.dropConnection()) {
        // Closing before sendResponseHeaders makes the JDK server close the connection: the
        // client sees an I/O error, although the request was processed.
        exchange.close();
        return;
      }
      Map<String, String> headers = new LinkedHashMap<>(reply.headers());
      headers.put("x-acs-request-id", reply.requestId());
      send(exchange, reply.status(), reply.body(), headers);
    } catch (IOException | RuntimeException e) {
      LOG.warn("emulator request failed: {}", e.toString());
      exchange.close();
    }
  }

  private void send(HttpExchange exchange, int status, ObjectNode body, Map<String, String> headers)
      throws IOException {
    byte[] bytes = json.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", JSON_UTF8);
    headers.forEach(exchange.getResponseHeaders()::set);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static Map<String, String> firstValues(HttpExchange exchange) {
    Map<String, String> headers = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> e : exchange.getRequestHeaders().entrySet()) {
      if (!e.getValue().isEmpty()) {
        headers.put(e.getKey(), e.getValue().get(0));
      }
    }
    return headers;
  }

  /** Daemon threads, so a forgotten server never keeps a JVM (or a test run) alive. */
  private static final class DaemonThreads implements ThreadFactory {
    private final AtomicInteger count = new AtomicInteger();

    @Override
    public Thread newThread(Runnable task) {
      Thread thread = new Thread(task, "polardb-emulator-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    }
  }
}
