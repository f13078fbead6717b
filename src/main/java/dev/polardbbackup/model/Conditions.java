package dev.polardbbackup.model;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Kubernetes-style conditions, shared by every status type of the model. */
public final class Conditions {
  private Conditions() {}

  /**
   * Returns the list with the condition set; its lastTransitionTime changes only when its status
   * does, as Kubernetes conventions ask.
   */
  public static List<Condition> set(
      List<Condition> conditions,
      String type,
      boolean value,
      String reason,
      String message,
      Long observedGeneration,
      Instant now) {
    return set(
        conditions, type, value ? "True" : "False", reason, message, observedGeneration, now);
  }

  /** {@link #set} with the status as text: {@code True}, {@code False} or {@code Unknown}. */
  public static List<Condition> set(
      List<Condition> conditions,
      String type,
      String statusText,
      String reason,
      String message,
      Long observedGeneration,
      Instant now) {
    String transition =
        find(conditions, type)
            .filter(c -> statusText.equals(c.getStatus()))
            .map(Condition::getLastTransitionTime)
            .orElse(timestamp(now));
    Condition condition =
        new ConditionBuilder()
            .withType(type)
            .withStatus(statusText)
            .withReason(reason)
            .withMessage(message)
            .withLastTransitionTime(transition)
            .withObservedGeneration(observedGeneration)
            .build();
    List<Condition> result = conditions == null ? new ArrayList<>() : conditions;
    // In place: setting a condition to what it already says leaves the list equal, so no write.
    for (int i = 0; i < result.size(); i++) {
      if (type.equals(result.get(i).getType())) {
        result.set(i, condition);
        return result;
      }
    }
    result.add(condition);
    return result;
  }

  public static Optional<Condition> find(List<Condition> conditions, String type) {
    return conditions == null
        ? Optional.empty()
        : conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
  }

  /**
   * A time as Kubernetes and this operator write them (RFC 3339), or empty when it is absent or
   * cannot be read.
   */
  public static Optional<Instant> instant(String text) {
    if (text == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(Instant.parse(text));
    } catch (DateTimeException e) {
      return Optional.empty();
    }
  }

  /** Whole seconds, as Kubernetes writes times. */
  public static String timestamp(Instant instant) {
    return instant.truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
