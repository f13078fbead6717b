package dev.polardbbackup.access;

import dev.polardbbackup.model.GrantedAction;
import dev.polardbbackup.model.PolarDBAccessGrant;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Who may use the operator's grants: a PolarDBBackup without its own credentials acts only through
 * a {@link PolarDBAccessGrant} that selects its namespace, names its cluster and lists every action
 * it needs. One grant must cover the whole request, so that one cloud identity serves it.
 */
public final class AccessGrants {
  /** Set by Kubernetes 1.21+ on every namespace; added here for older API servers. */
  public static final String NAME_LABEL = "kubernetes.io/metadata.name";

  private AccessGrants() {}

  /** What an object needs: its namespace, its cluster and the actions it is about to take. */
  record Request(
      String namespace, String regionId, String dbClusterId, Set<GrantedAction> actions) {
    String actionList() {
      return actions.stream().sorted().map(Enum::name).collect(Collectors.joining(", "));
    }
  }

  /** Granted by a grant (whose credentials to use), or refused with a message for the user. */
  sealed interface Decision permits Granted, Refused {}

  record Granted(PolarDBAccessGrant grant) implements Decision {}

  record Refused(String message) implements Decision {}

  /**
   * The first grant by name that covers {@code request}; otherwise what is missing, naming the
   * grants that select the namespace and why each falls short (grants for other namespaces are not
   * named: a tenant learns nothing about another's).
   *
   * @param namespaceLabels the namespace's labels, or null when the namespace is not known (then
   *     only its name label is matched)
   */
  static Decision decide(
      Stream<PolarDBAccessGrant> grants, Map<String, String> namespaceLabels, Request request) {
    Map<String, String> labels =
        new HashMap<>(namespaceLabels == null ? Map.of() : namespaceLabels);
    labels.put(NAME_LABEL, request.namespace());
    List<String> shortfalls = new ArrayList<>();
    List<PolarDBAccessGrant> sorted =
        grants
            .filter(g -> g.getSpec() != null)
            .sorted(Comparator.comparing(g -> g.getMetadata().getName()))
            .toList();
    for (PolarDBAccessGrant grant : sorted) {
      var spec = grant.getSpec();
      if (!selects(spec.namespaceSelector(), labels)) {
        continue;
      }
      String name = grant.getMetadata().getName();
      boolean covers =
          spec.clusters() != null
              && spec.clusters().stream()
                  .anyMatch(c -> c.covers(request.regionId(), request.dbClusterId()));
      Set<GrantedAction> missing = EnumSet.noneOf(GrantedAction.class);
      missing.addAll(request.actions());
      if (spec.actions() != null) {
        missing.removeAll(spec.actions());
      }
      if (covers && missing.isEmpty()) {
        return new Granted(grant);
      }
      shortfalls.add(
          name
              + (covers
                  ? " does not grant "
                      + missing.stream().sorted().map(Enum::name).collect(Collectors.joining(", "))
                  : " does not list this cluster"));
    }
    String message =
        "No PolarDBAccessGrant lets namespace "
            + request.namespace()
            + " "
            + request.actionList()
            + " on cluster "
            + request.dbClusterId()
            + " in "
            + request.regionId()
            + ": a cluster admin must add one that selects this namespace, lists this cluster and"
            + " grants "
            + request.actionList()
            + " (or give this object a credentialsSecretRef with the team's own AccessKey)."
            + (shortfalls.isEmpty()
                ? " No grant selects this namespace."
                : " Grants for this namespace: " + String.join("; ", shortfalls) + ".");
    return new Refused(message);
  }

  /**
   * Kubernetes label-selector semantics: every matchLabels pair and every expression must hold; an
   * empty selector selects everything, a null one nothing, an unknown operator nothing.
   */
  static boolean selects(LabelSelector selector, Map<String, String> labels) {
    if (selector == null) {
      return false;
    }
    if (selector.getMatchLabels() != null) {
      for (var e : selector.getMatchLabels().entrySet()) {
        if (!e.getValue().equals(labels.get(e.getKey()))) {
          return false;
        }
      }
    }
    if (selector.getMatchExpressions() != null) {
      for (LabelSelectorRequirement r : selector.getMatchExpressions()) {
        if (!holds(r, labels)) {
          return false;
        }
      }
    }
    return true;
  }

  private static boolean holds(LabelSelectorRequirement r, Map<String, String> labels) {
    String value = labels.get(r.getKey());
    List<String> values = r.getValues() == null ? List.of() : r.getValues();
    return switch (r.getOperator() == null ? "" : r.getOperator()) {
      case "In" -> value != null && values.contains(value);
      case "NotIn" -> value == null || !values.contains(value);
      case "Exists" -> labels.containsKey(r.getKey());
      case "DoesNotExist" -> !labels.containsKey(r.getKey());
      default -> false;
    };
  }
}
