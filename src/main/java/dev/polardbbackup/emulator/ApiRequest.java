package dev.polardbbackup.emulator;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * An RPC-style request as it arrived, independent of the HTTP server. The query string and a
 * form-encoded body are kept apart because V3 signs only the query (the body through its hash),
 * while V1 and the actions themselves see both merged.
 *
 * @param headers lowercase names, first value of each
 */
record ApiRequest(
    String method,
    Map<String, String> query,
    Map<String, String> form,
    Map<String, String> headers,
    byte[] body) {

  ApiRequest {
    method = method.toUpperCase(Locale.ROOT);
    query = Collections.unmodifiableMap(new LinkedHashMap<>(query));
    form = Collections.unmodifiableMap(new LinkedHashMap<>(form));
    Map<String, String> lower = new LinkedHashMap<>();
    headers.forEach((k, v) -> lower.putIfAbsent(k.toLowerCase(Locale.ROOT), v));
    headers = Collections.unmodifiableMap(lower);
  }

  /** Parses the raw (still percent-encoded) query and the body as received. */
  static ApiRequest of(String method, String rawQuery, Map<String, String> headers, byte[] body) {
    Map<String, String> form = Map.of();
    String contentType = headerIgnoringCase(headers, "content-type");
    if (contentType != null
        && contentType.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
      form = decodeForm(new String(body, StandardCharsets.UTF_8));
    }
    return new ApiRequest(method, decodeForm(rawQuery), form, headers, body);
  }

  /** Query parameters, then form parameters that the query does not already name. */
  Map<String, String> params() {
    Map<String, String> merged = new LinkedHashMap<>(query);
    form.forEach(merged::putIfAbsent);
    return merged;
  }

  String param(String name) {
    String value = query.get(name);
    return value != null ? value : form.get(name);
  }

  String header(String lowercaseName) {
    return headers.get(lowercaseName);
  }

  static Map<String, String> decodeForm(String encoded) {
    Map<String, String> params = new LinkedHashMap<>();
    if (encoded == null || encoded.isEmpty()) {
      return params;
    }
    for (String pair : encoded.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = eq < 0 ? pair : pair.substring(0, eq);
      String value = eq < 0 ? "" : pair.substring(eq + 1);
      params.putIfAbsent(decode(name), decode(value));
    }
    return params;
  }

  private static String decode(String text) {
    try {
      return URLDecoder.decode(text, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException malformedEscape) {
      // Keep the raw text: the signature check will then fail in a way the caller can read.
      return text;
    }
  }

  private static String headerIgnoringCase(Map<String, String> headers, String name) {
    for (Map.Entry<String, String> e : headers.entrySet()) {
      if (e.getKey().equalsIgnoreCase(name)) {
        return e.getValue();
      }
    }
    return null;
  }
}
