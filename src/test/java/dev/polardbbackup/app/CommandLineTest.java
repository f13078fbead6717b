package dev.polardbbackup.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class CommandLineTest {

  private static RunCommand parse(String... args) {
    RunCommand run = new RunCommand();
    new CommandLine(run).parseArgs(args);
    return run;
  }

  @Test
  void durationsReadAsPeopleWriteThem() {
    assertEquals(Optional.of(Duration.ofMillis(500)), DurationConverter.parse("500ms"));
    assertEquals(Optional.of(Duration.ofMinutes(2)), DurationConverter.parse(" 2m "));
    assertEquals(Optional.of(Duration.ofSeconds(90)), DurationConverter.parse("PT1M30S"));
    assertEquals(Optional.empty(), DurationConverter.parse("5x"));
  }

  @Test
  void settingsComeFromFlags() {
    OperatorSettings s =
        parse(
                "--namespaces",
                "team-a, team-b",
                "--polardb-endpoint",
                "http://127.0.0.1:8700",
                "--leader-election",
                "--lease-namespace",
                "ops",
                "--poll-min",
                "2s",
                "--http-port",
                "0")
            .settings(Map.of("POD_NAME", "op-1"));
    assertEquals(Set.of("team-a", "team-b"), s.namespaces());
    assertEquals("http://127.0.0.1:8700", s.polarDbEndpoint().orElseThrow().toString());
    assertEquals("ops", s.leaderElection().orElseThrow().leaseNamespace());
    assertTrue(s.leaderElection().orElseThrow().identity().startsWith("op-1-"));
    assertEquals(Duration.ofSeconds(2), s.controller().pollMin());
    assertTrue(s.serverSideApply());
  }

  @Test
  void leaderElectionOutsideAClusterNeedsALeaseNamespace() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> parse("--leader-election").settings(Map.of()));
    assertTrue(e.getMessage().contains("--lease-namespace"), e.getMessage());
  }

  @Test
  void badValuesEndInOneReadableLineAndExitCode2() {
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setErr(new PrintWriter(err));
    int exit = cli.execute("run", "--poll-min", "5x");
    assertEquals(2, exit);
    assertTrue(err.toString().startsWith("error: "), err.toString());
    assertTrue(err.toString().contains("5x"), err.toString());
  }

  @Test
  void logFormatIsKnownBeforeAnyLoggerExists() {
    assertEquals("json", Main.logFormat(new String[] {"run", "--log-format", "json"}, null));
    assertEquals("json", Main.logFormat(new String[] {"run"}, "json"));
    assertEquals("plain", Main.logFormat(new String[] {"run", "--log-format=plain"}, "json"));
  }
}
