package dev.polardbbackup.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped Grafana dashboard: the panels the README promises, every query valid PromQL (promtool
 * parses them), and the metric-name extraction that the /metrics checks rely on.
 */
class GrafanaDashboardTest {

  @Test
  void metricNamesAreTakenFromExpressionsWithoutLabelsFunctionsOrKeywords() {
    assertEquals(
        Set.of("a_total", "b_seconds_count", "c"),
        MonitoringMetricNames.inExpression(
            "sum by (action, outcome) (rate(a_total{outcome=~\"A|B\",x='y'}[5m]))"
                + " / on (action) group_left (code) b_seconds_count offset 1h"
                + " or absent(c == 1) unless time() > 2e3 and bool 1"));
    assertEquals(
        Set.of("polardb_schedule_interval_seconds"),
        MonitoringMetricNames.inExpression(
            "max without (instance) (polardb_schedule_interval_seconds{namespace=~\".*\"})"));
  }

  @Test
  void theDashboardShowsWhatTheReadmePromises() throws IOException {
    JsonNode dashboard = new ObjectMapper().readTree(MonitoringMetricNames.DASHBOARD.toFile());
    List<String> titles = new ArrayList<>();
    dashboard.path("panels").forEach(p -> titles.add(p.path("title").asText()));
    String all = String.join("\n", MonitoringMetricNames.dashboardExpressions());
    for (String metric :
        List.of(
            "polardb_backups{",
            "polardb_last_successful_backup_timestamp_seconds",
            "polardb_schedule_last_successful_backup_timestamp_seconds",
            "polardb_backup_quota_waits_total",
            "polardb_backup_waiting_for_quota_since_timestamp_seconds",
            "polardb_api_calls_seconds_count",
            "polardb_api_calls_seconds_sum",
            "operator_sdk_reconciliations_started_total",
            "operator_sdk_reconciliations_failed_total")) {
      assertTrue(all.contains(metric), "no panel queries " + metric);
    }
    assertTrue(all.contains("by (action, outcome)"), "calls and latency by action and outcome");
    assertEquals(new TreeSet<>(titles).size(), titles.size(), "panel titles are unique");
    Set<Integer> ids = new TreeSet<>();
    dashboard.path("panels").forEach(p -> ids.add(p.path("id").asInt()));
    assertEquals(titles.size(), ids.size(), "panel ids are unique");
    assertFalse(dashboard.path("uid").asText().isEmpty(), "a fixed uid, so imports replace");
  }

  /** promtool parses each query as the expression of a recording rule. */
  @Test
  void everyPanelQueryIsValidPromql(@TempDir Path dir) throws IOException, InterruptedException {
    var promtool = MonitoringRulesTest.promtoolOrSkip();
    StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
    int i = 0;
    for (String expr : MonitoringMetricNames.dashboardExpressions()) {
      rules
          .append("      - record: dashboard:query")
          .append(i++)
          .append("\n        expr: ")
          .append(new ObjectMapper().writeValueAsString(expr))
          .append('\n');
    }
    Path file = dir.resolve("dashboard-queries.yaml");
    Files.writeString(file, rules);
    Process p =
        new ProcessBuilder(promtool.toString(), "check", "rules", file.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "promtool hung");
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("SUCCESS: " + i + " rules found"), out);
  }
}
