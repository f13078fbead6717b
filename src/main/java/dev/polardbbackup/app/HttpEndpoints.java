package dev.polardbbackup.app;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** {@code /healthz}, {@code /readyz} and {@code /metrics} on one port. */
final class HttpEndpoints implements AutoCloseable {
  private final HttpServer server;

  HttpEndpoints(
      InetSocketAddress address,
      BooleanSupplier live,
      BooleanSupplier ready,
      Supplier<String> metrics)
      throws IOException {
    server = HttpServer.create(address, 16);
    server.setExecutor(
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "http-endpoints");
              t.setDaemon(true);
              return t;
            }));
    server.createContext("/healthz", ex -> probe(ex, live, "unhealthy"));
    server.createContext("/readyz", ex -> probe(ex, ready, "not ready"));
    server.createContext(
        "/metrics",
        ex -> respond(ex, 200, metrics.get(), "text/plain; version=0.0.4; charset=utf-8"));
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  /** Asks the check once, so the status code and the body always agree. */
  private static void probe(HttpExchange exchange, BooleanSupplier check, String failure)
      throws IOException {
    boolean ok = check.getAsBoolean();
    respond(exchange, ok ? 200 : 503, ok ? "ok\n" : failure + "\n", "text/plain");
  }

  private static void respond(HttpExchange exchange, int status, String body, String type)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
