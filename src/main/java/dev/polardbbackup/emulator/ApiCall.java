package dev.polardbbackup.emulator;

import java.time.Instant;

/**
 * One API call as answered (or, for {@code code} {@code "LostResponse"}, processed but never
 * answered). {@code code} is {@code "OK"} or the error code; {@code dbClusterId} is null when the
 * call named no cluster; {@code action} is empty when the request named none.
 */
public record ApiCall(
    Instant at, String action, String dbClusterId, int httpStatus, String code, String requestId) {

  public static final String LOST_RESPONSE = "LostResponse";
}
