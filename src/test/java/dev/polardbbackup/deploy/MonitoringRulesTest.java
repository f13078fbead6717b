package dev.polardbbackup.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The shipped alert rules: one source (the PrometheusRule), the plain groups file promtool and a
 * plain Prometheus read kept equal to its spec, a runbook for every alert, and {@code promtool test
 * rules} on series that fire and series that do not. scripts/test.sh installs promtool (Debian's
 * prometheus package) and sets PROMTOOL_REQUIRED, so that under CI a missing promtool fails instead
 * of skipping.
 */
class MonitoringRulesTest {
  static final Path PROMETHEUS_RULE = Path.of("deploy/monitoring/prometheusrule.yaml");
  static final Path PLAIN_RULES = Path.of("deploy/monitoring/polardb-backup-rules.yaml");
  static final Path RULE_TESTS = Path.of("deploy/monitoring/tests/alerts.test.yaml");
  static final Path RUNBOOKS = Path.of("docs/runbooks");

  private static final ObjectMapper YAML =
      new ObjectMapper(
          new YAMLFactory()
              .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
              .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
              .enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE));

  static JsonNode yaml(Path file) throws IOException {
    return YAML.readTree(file.toFile());
  }

  /** Every rule of every group in the PrometheusRule. */
  static List<JsonNode> rules() throws IOException {
    List<JsonNode> rules = new ArrayList<>();
    yaml(PROMETHEUS_RULE)
        .path("spec")
        .path("groups")
        .forEach(g -> g.path("rules").forEach(rules::add));
    return rules;
  }

  @Test
  void thePlainRuleFileHoldsExactlyThePrometheusRulesGroups() throws IOException {
    JsonNode spec = yaml(PROMETHEUS_RULE).path("spec");
    assertTrue(spec.path("groups").size() > 0, "the PrometheusRule has no groups");
    if (Boolean.getBoolean("monitoring.update")) {
      String header =
          "# Generated from prometheusrule.yaml (its spec), which is the one to edit; regenerate"
              + " with\n# mvn test -Dtest=MonitoringRulesTest -Dmonitoring.update=true\n";
      Files.writeString(PLAIN_RULES, header + YAML.writeValueAsString(spec));
      // The Helm chart's copy (Helm reads only files inside the chart; HelmChartTest compares).
      Files.writeString(
          Path.of("deploy/helm/polardb-backup-operator/files/polardb-backup-rules.yaml"),
          header + YAML.writeValueAsString(spec));
    }
    assertEquals(
        spec,
        yaml(PLAIN_RULES),
        PLAIN_RULES
            + " differs from the spec of "
            + PROMETHEUS_RULE
            + "; edit the PrometheusRule, then run this test with -Dmonitoring.update=true");
  }

  @Test
  void everyAlertLinksItsOwnRunbookAndEveryRunbookHasAnAlert() throws IOException {
    Set<String> linked = new TreeSet<>();
    for (JsonNode rule : rules()) {
      String alert = rule.path("alert").asText();
      assertFalse(alert.isEmpty(), "a rule without an alert name: " + rule);
      String url = rule.path("annotations").path("runbook_url").asText();
      assertEquals("docs/runbooks/" + alert + ".md", url, alert + "'s runbook_url");
      String runbook = Files.readString(Path.of(url));
      for (String section : List.of("## What it means", "## How to confirm", "## What to do")) {
        assertTrue(runbook.contains(section), url + " has no '" + section + "' section");
      }
      assertTrue(runbook.contains("kubectl"), url + " shows no kubectl command to confirm it");
      assertTrue(
          rule.path("annotations").has("summary") && rule.path("labels").has("severity"),
          alert + " needs a summary and a severity");
      linked.add(RUNBOOKS.resolve(alert + ".md").toString());
    }
    try (Stream<Path> files = Files.list(RUNBOOKS)) {
      Set<String> present = new TreeSet<>(files.map(Path::toString).toList());
      assertEquals(present, linked, "every runbook under docs/runbooks/ belongs to an alert");
    }
  }

  /** The quality bar: for each alert, a case where it fires and a case where it does not. */
  @Test
  void everyAlertIsTestedFiringAndNotFiring() throws IOException {
    Set<String> fires = new TreeSet<>();
    Set<String> staysQuiet = new TreeSet<>();
    for (JsonNode test : yaml(RULE_TESTS).path("tests")) {
      for (JsonNode c : test.path("alert_rule_test")) {
        String alert = c.path("alertname").asText();
        (c.path("exp_alerts").size() > 0 ? fires : staysQuiet).add(alert);
      }
    }
    Set<String> alerts = new TreeSet<>();
    for (JsonNode rule : rules()) {
      alerts.add(rule.path("alert").asText());
    }
    assertEquals(alerts, fires, "alerts with a test case in which they fire");
    assertEquals(alerts, staysQuiet, "alerts with a test case in which they do not fire");
  }

  @Test
  void promtoolAcceptsTheRulesAndTheirTestsPass() throws IOException, InterruptedException {
    Path promtool = promtoolOrSkip();
    run(promtool.toString(), "check", "rules", PLAIN_RULES.toString());
    String out = run(promtool.toString(), "test", "rules", RULE_TESTS.toString());
    assertTrue(out.contains("SUCCESS"), out);
  }

  /**
   * promtool on PATH; skips the calling test only where nothing asks for promtool, and fails where
   * CI or scripts/test.sh (PROMTOOL_REQUIRED) does.
   */
  static Path promtoolOrSkip() {
    Optional<Path> promtool = promtool();
    if (promtool.isEmpty()) {
      String why = "promtool is not on PATH (Debian's prometheus package ships it)";
      if (promtoolRequired()) {
        fail(why + ", and PROMTOOL_REQUIRED or CI says it must run; scripts/test.sh installs it");
      }
      Assumptions.abort(why + "; scripts/test.sh installs it and then this test runs");
    }
    return promtool.get();
  }

  private static boolean promtoolRequired() {
    return System.getenv("CI") != null
        || System.getenv("PROMTOOL_REQUIRED") != null
        || Boolean.getBoolean("promtool.required");
  }

  private static Optional<Path> promtool() {
    String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
    for (String dir : path.split(File.pathSeparator)) {
      Path candidate = Path.of(dir, "promtool");
      if (!dir.isEmpty() && Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  private static String run(String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), String.join(" ", command) + " hung");
    assertEquals(0, process.exitValue(), String.join(" ", command) + ":\n" + out);
    return out;
  }
}
