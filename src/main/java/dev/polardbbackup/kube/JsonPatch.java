package dev.polardbbackup.kube;

import java.util.List;

/**
 * JSON patches (RFC 6902) applied only to the version of the object they were computed from: the
 * first operation sets {@code resourceVersion}, which the API server takes as a precondition (409
 * if the object changed meanwhile). Lists such as finalizers can then be written whole without
 * losing an entry another controller added a moment ago. (Not merge patches: fabric8's mock server
 * appends to lists there instead of replacing them.)
 */
public final class JsonPatch {
  private JsonPatch() {}

  /** The patch of {@code operations} (each one JSON object), at {@code resourceVersion} only. */
  public static String atVersion(String resourceVersion, List<String> operations) {
    String precondition =
        "{\"op\":\"replace\",\"path\":\"/metadata/resourceVersion\",\"value\":"
            + quoted(resourceVersion)
            + "}";
    return "[" + precondition + "," + String.join(",", operations) + "]";
  }

  /** {@code text} as a JSON string. */
  public static String quoted(String text) {
    return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  /** {@code key} as one step of a JSON pointer ({@code /} and {@code ~} escaped). */
  public static String pointerStep(String key) {
    return key.replace("~", "~0").replace("/", "~1");
  }
}
