package dev.polardbbackup.controller;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.util.HashMap;

/**
 * fabric8's CRUD mock server, but a status update carrying a stale resourceVersion gets 409 as from
 * a real API server. The stock mock copies the stored object and replaces only its status, so its
 * resourceVersion check never fails for /status: optimistic locking on status could not be tested.
 */
final class StrictMockServer {
  private StrictMockServer() {}

  static KubernetesMockServer start() {
    KubernetesMockServer server =
        new KubernetesMockServer(
            new Context(), new MockWebServer(), new HashMap<>(), new Dispatcher(), false);
    server.init();
    return server;
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
