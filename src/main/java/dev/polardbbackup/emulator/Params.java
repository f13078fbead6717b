package dev.polardbbackup.emulator;

import java.util.Map;
import java.util.Optional;

/** An action's parameters with Alibaba's rules for absent ones: an empty value counts as absent. */
record Params(Map<String, String> values) {

  Params {
    values = Map.copyOf(values);
  }

  String required(String name) {
    return optional(name).orElseThrow(() -> ApiError.missing(name));
  }

  Optional<String> optional(String name) {
    String value = values.get(name);
    return value == null || value.isEmpty() ? Optional.empty() : Optional.of(value);
  }
}
