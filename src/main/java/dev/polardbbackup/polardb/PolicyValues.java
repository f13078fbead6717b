package dev.polardbbackup.polardb;

import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/** How the policy records compare a wanted value with the one PolarDB reports. */
final class PolicyValues {
  private PolicyValues() {}

  /**
   * {@code wanted} when it is set and differs from {@code observed}, else null (nothing to change).
   * Weekday lists are sets: PolarDB may answer them in its own order.
   */
  static String change(String wanted, String observed, boolean weekdays) {
    if (wanted == null) {
      return null;
    }
    boolean same =
        weekdays ? days(wanted).equals(days(observed)) : wanted.strip().equals(strip(observed));
    return same ? null : wanted;
  }

  /** A reply's value, with an empty one (as PolarDB reports an unset region) read as absent. */
  static String orNull(String value) {
    return value == null || value.isBlank() ? null : value;
  }

  private static Set<String> days(String list) {
    return list == null
        ? Set.of()
        : Arrays.stream(list.split(","))
            .map(String::strip)
            .filter(d -> !d.isEmpty())
            .collect(Collectors.toSet());
  }

  private static String strip(String value) {
    return value == null ? null : value.strip();
  }
}
