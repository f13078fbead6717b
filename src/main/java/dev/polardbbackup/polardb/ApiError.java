package dev.polardbbackup.polardb;

import java.time.Duration;
import java.util.Optional;

/**
 * A classified failure of one PolarDB API call. {@code code} and {@code message} come from the
 * service's JSON error body (or name the local I/O problem); {@code requestId} is what Alibaba
 * support asks for. None of the fields ever holds a credential.
 *
 * @param httpStatus the HTTP status, or 0 when no reply arrived
 */
public record ApiError(
    FailureKind kind,
    String code,
    String message,
    String requestId,
    int httpStatus,
    Optional<Duration> retryAfter) {

  public ApiError {
    code = code == null ? "" : code;
    message = message == null ? "" : message;
    retryAfter = retryAfter == null ? Optional.empty() : retryAfter;
  }

  static ApiError local(FailureKind kind, String code, String message) {
    return new ApiError(kind, code, message, null, 0, Optional.empty());
  }

  /** One line for events and status: code, message and request id. */
  public String describe() {
    StringBuilder text = new StringBuilder(code);
    if (!message.isEmpty()) {
      text.append(": ").append(message);
    }
    if (requestId != null) {
      text.append(" (RequestId ").append(requestId).append(')');
    }
    return text.toString();
  }
}
