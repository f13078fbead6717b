package dev.polardbbackup.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names that the shipped alert rules and Grafana dashboard query, and the names a {@code
 * /metrics} scrape exposes: so that tests can prove that no alert or panel rests on a metric that
 * does not exist.
 */
public final class MonitoringMetricNames {
  public static final Path DASHBOARD = Path.of("deploy/monitoring/grafana-dashboard.json");

  /** Made by Prometheus itself for every target, never by the operator. */
  public static final Set<String> MADE_BY_PROMETHEUS = Set.of("up");

  /**
   * JOSDK registers this counter at the first reconcile that throws, so a healthy run's scrape has
   * no such line. MonitoredMetricsTest makes JOSDK's own metrics record a failure and checks that
   * this is the name it writes.
   */
  public static final Set<String> BORN_AT_FIRST_RECONCILE_ERROR =
      Set.of("operator_sdk_reconciliations_failed_total");

  private static final Set<String> KEYWORDS =
      Set.of(
          "and",
          "or",
          "unless",
          "bool",
          "offset",
          "by",
          "without",
          "on",
          "ignoring",
          "group_left",
          "group_right",
          "inf",
          "nan");
  private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'[^']*'");
  private static final Pattern GROUPING =
      Pattern.compile("\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
  private static final Pattern IDENTIFIER =
      Pattern.compile("(?<![\\w.$:])([a-zA-Z_:][a-zA-Z0-9_:]*+)(?!\\s*\\()");
  private static final Pattern LABEL_VALUES =
      Pattern.compile("label_values\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)");

  private MonitoringMetricNames() {}

  /** The metric names in one PromQL expression (label names, functions and keywords left out). */
  public static Set<String> inExpression(String promql) {
    String s = STRING.matcher(promql).replaceAll("\"\"");
    s = s.replaceAll("\\{[^}]*\\}", " ").replaceAll("\\[[^\\]]*\\]", " ");
    s = GROUPING.matcher(s).replaceAll(" ");
    Set<String> names = new TreeSet<>();
    Matcher m = IDENTIFIER.matcher(s);
    while (m.find()) {
      String token = m.group(1);
      if (!KEYWORDS.contains(token.toLowerCase(java.util.Locale.ROOT))) {
        names.add(token);
      }
    }
    return names;
  }

  /** Every expression of the PrometheusRule's alerts. */
  public static List<String> ruleExpressions() {
    try {
      List<String> out = new ArrayList<>();
      for (JsonNode rule : MonitoringRulesTest.rules()) {
        out.add(rule.path("expr").asText());
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every panel query of the dashboard, with Grafana's variables as Prometheus would get them. */
  public static List<String> dashboardExpressions() {
    try {
      JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
      List<String> out = new ArrayList<>();
      for (JsonNode expr : dashboard.findValues("expr")) {
        out.add(
            expr.asText()
                .replace("$__rate_interval", "5m")
                .replace("$__range", "1h")
                .replace("$namespace", ".*"));
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The metrics that the dashboard's variables list values of ({@code label_values(m, l)}). */
  public static Set<String> dashboardVariableMetrics() {
    try {
      String text = new ObjectMapper().readTree(DASHBOARD.toFile()).path("templating").toString();
      Set<String> names = new TreeSet<>();
      Matcher m = LABEL_VALUES.matcher(text);
      while (m.find()) {
        names.add(m.group(1));
      }
      return names;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every metric name the rules and the dashboard use, but those Prometheus makes itself. */
  public static Set<String> usedByRulesAndDashboard() {
    Set<String> names = new TreeSet<>();
    ruleExpressions().forEach(e -> names.addAll(inExpression(e)));
    dashboardExpressions().forEach(e -> names.addAll(inExpression(e)));
    names.addAll(dashboardVariableMetrics());
    names.removeAll(MADE_BY_PROMETHEUS);
    return names;
  }

  /** The sample names in a Prometheus text exposition. */
  public static Set<String> exposedIn(String scrape) {
    Set<String> names = new TreeSet<>();
    for (String line : scrape.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int end = 0;
      while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
        end++;
      }
      names.add(line.substring(0, end));
    }
    return names;
  }
}
