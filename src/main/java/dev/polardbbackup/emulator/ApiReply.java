package dev.polardbbackup.emulator;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/**
 * What the server should send back: a JSON body (which always carries {@code RequestId}), the
 * status and extra headers; or, with {@code dropConnection}, nothing at all.
 */
record ApiReply(
    int status,
    String requestId,
    ObjectNode body,
    Map<String, String> headers,
    boolean dropConnection) {

  static final String TROUBLESHOOT = "https://api.aliyun.com/troubleshoot?q=";

  static ApiReply ok(String requestId, ObjectNode result) {
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    body.put("RequestId", requestId);
    body.setAll(result);
    return new ApiReply(200, requestId, body, Map.of(), false);
  }

  static ApiReply error(String requestId, String hostId, ApiError error) {
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    body.put("RequestId", requestId);
    body.put("HostId", hostId);
    body.put("Code", error.code());
    body.put("Message", error.getMessage());
    body.put("Recommend", TROUBLESHOOT + error.code() + "&requestId=" + requestId);
    error.details().forEach(body::set);
    return new ApiReply(error.status(), requestId, body, error.headers(), false);
  }

  /** "OK" for a success, otherwise the error code. */
  String code() {
    return body.has("Code") && status >= 300 ? body.get("Code").asText() : "OK";
  }

  ApiReply dropped() {
    return new ApiReply(status, requestId, body, headers, true);
  }
}
