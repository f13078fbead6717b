package dev.polardbbackup.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.internal.MockDispatcher;
import io.fabric8.mockwebserver.internal.SimpleRequest;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;

/**
 * fabric8's CRUD mock server, but a status update carrying a stale resourceVersion gets 409 as from
 * a real API server. The stock mock copies the stored object and replaces only its status, so its
 * resourceVersion check never fails for /status: optimistic locking on status could not be tested.
 * Expectations set with {@code server.expect()} answer first, as with {@code crud = true}.
 */
public final class StrictMockServer {
  private StrictMockServer() {}

  public static KubernetesMockServer start() {
    Map<ServerRequest, Queue<ServerResponse>> expectations = new HashMap<>();
    KubernetesMockServer server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            expectations,
            new ExpectationsFirst(expectations, new Dispatcher()),
            false);
    server.init();
    return server;
  }

  /**
   * Stops {@code server}. fabric8's mock web server (7.5) can throw RejectedExecutionException from
   * its own shutdown, when the listener that closes Vert.x ends the event loop before shutdown's
   * second listener is added (fabric8io/kubernetes-client#7747, fixed upstream after 7.5): the
   * server is closed all the same, and a test that passed must not fail in its teardown.
   */
  public static void stop(KubernetesMockServer server) {
    try {
      server.destroy();
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // The race above; Vert.x is already closing.
    }
  }

  /** What fabric8's KubernetesMixedDispatcher does, in front of the strict CRUD dispatcher. */
  private static final class ExpectationsFirst extends io.fabric8.mockwebserver.http.Dispatcher {
    private final Map<ServerRequest, Queue<ServerResponse>> expectations;
    private final MockDispatcher expected;
    private final Dispatcher crud;

    ExpectationsFirst(Map<ServerRequest, Queue<ServerResponse>> expectations, Dispatcher crud) {
      this.expectations = expectations;
      this.expected = new MockDispatcher(expectations);
      this.crud = crud;
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
      Queue<ServerResponse> queue =
          expectations.get(
              new SimpleRequest(HttpMethod.valueOf(request.getMethod()), request.getPath()));
      return queue != null && !queue.isEmpty()
          ? expected.dispatch(request)
          : crud.dispatch(request);
    }
  }

  private static final class Dispatcher extends KubernetesCrudDispatcher {
    private static final String STATUS = "/status";
    private final ObjectMapper json = new ObjectMapper();

    @Override
    public synchronized MockResponse handleUpdate(RecordedRequest request) {
      String path = request.getPath();
      String bare = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
      if (bare.endsWith(STATUS)) {
        // getBytes leaves the body unread for the stock handler (getUtf8Body would consume it).
        String sent =
            resourceVersion(
                new String(request.getBody().getBytes(), java.nio.charset.StandardCharsets.UTF_8));
        var stored = findResource(getKey(bare.substring(0, bare.length() - STATUS.length())));
        if (sent != null && stored != null && !sent.equals(resourceVersion(stored.getValue()))) {
          return new MockResponse()
              .setResponseCode(409)
              .setBody(
                  "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
                      + "\"reason\":\"Conflict\",\"code\":409,\"message\":\"the object has been"
                      + " modified; please apply your changes to the latest version and try"
                      + " again\"}");
        }
      }
      return super.handleUpdate(request);
    }

    private String resourceVersion(String body) {
      try {
        JsonNode rv = json.readTree(body).path("metadata").path("resourceVersion");
        return rv.isMissingNode() || rv.isNull() || rv.asText().isEmpty() ? null : rv.asText();
      } catch (IOException e) {
        return null;
      }
    }
  }
}
