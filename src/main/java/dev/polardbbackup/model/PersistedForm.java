package dev.polardbbackup.model;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

/**
 * A status in the form the operator writes it to the API server: the JSON that the fabric8 client's
 * serialization makes of it. Status copies and comparisons go through this form, so that a field
 * added to a status class is copied and compared with no hand edit, and exactly as it is persisted:
 * a field that did not survive here would not survive a status write either.
 */
final class PersistedForm {
  /**
   * Configured as the client's own ({@code KubernetesSerialization}'s mapper: NON_NULL, Java time,
   * the fabric8 modules). Built once; it is thread-safe and never reconfigured.
   */
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  private PersistedForm() {}

  /** A deep copy: written as JSON and read back. */
  static <T> T copy(T value) {
    return SERIALIZATION.clone(value);
  }

  /** Whether both would be written as the same JSON (object keys in any order, lists in order). */
  static boolean same(Object a, Object b) {
    return a == b || of(a).equals(of(b));
  }

  /** Consistent with {@link #same}. */
  static int hash(Object value) {
    return of(value).hashCode();
  }

  private static JsonNode of(Object value) {
    return SERIALIZATION.convertValue(value, JsonNode.class);
  }
}
