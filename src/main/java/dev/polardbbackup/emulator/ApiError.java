package dev.polardbbackup.emulator;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An error reply in the making. It is thrown because a failed check deep inside parameter parsing
 * or authentication must end the request with exactly one reply; it carries no stack trace since it
 * is an answer to the caller, not a bug.
 */
final class ApiError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String code;
  private final transient Map<String, String> headers;
  private final transient Map<String, ObjectNode> details;

  ApiError(int status, String code, String message) {
    this(status, code, message, Map.of(), Map.of());
  }

  private ApiError(
      int status,
      String code,
      String message,
      Map<String, String> headers,
      Map<String, ObjectNode> details) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.headers = Map.copyOf(headers);
    this.details = Map.copyOf(details);
  }

  /** Alibaba's wording for an absent required parameter: code {@code Missing<Name>}. */
  static ApiError missing(String parameter) {
    return new ApiError(400, "Missing" + parameter, parameter + " is mandatory for this action.");
  }

  /** Alibaba's wording for a bad value: code {@code Invalid<Name>.Malformed}. */
  static ApiError malformed(int status, String parameter, String why) {
    return new ApiError(
        status,
        "Invalid" + parameter + ".Malformed",
        "Specified parameter " + parameter + " is not valid. " + why);
  }

  ApiError withHeader(String name, String value) {
    Map<String, String> more = new LinkedHashMap<>(headers);
    more.put(name, value);
    return new ApiError(status, code, getMessage(), more, details);
  }

  ApiError withDetail(String field, ObjectNode value) {
    Map<String, ObjectNode> more = new LinkedHashMap<>(details);
    more.put(field, value);
    return new ApiError(status, code, getMessage(), headers, more);
  }

  int status() {
    return status;
  }

  String code() {
    return code;
  }

  Map<String, String> headers() {
    return headers;
  }

  Map<String, ObjectNode> details() {
    return details;
  }
}
