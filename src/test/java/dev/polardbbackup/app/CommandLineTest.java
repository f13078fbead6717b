package dev.polardbbackup.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.emulator.PolarDbEmulator;
import dev.polardbbackup.emulator.PolicyReadings;
import dev.polardbbackup.shard.Shard;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
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
  void shardSettingsAreCheckedBeforeAnythingStarts() {
    OperatorSettings sharded =
        parse("--leader-election", "--lease-namespace", "ops", "--shards", "4", "--shard", "3")
            .settings(Map.of());
    assertEquals(new Shard(3, 4), sharded.shard());
    assertEquals(Shard.ONLY, parse("--http-port", "0").settings(Map.of()).shard());
    IllegalArgumentException noElection =
        assertThrows(
            IllegalArgumentException.class, () -> parse("--shards", "2").settings(Map.of()));
    assertTrue(
        noElection.getMessage().startsWith("--shards 2 needs leader election"),
        noElection.getMessage());
    IllegalArgumentException index =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                parse(
                        "--leader-election",
                        "--lease-namespace",
                        "ops",
                        "--shards",
                        "2",
                        "--shard",
                        "2")
                    .settings(Map.of()));
    assertEquals("--shard must be 0..1 with --shards 2, not 2", index.getMessage());
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

  @Test
  void emulatorReadingsOfUndocumentedBehaviourComeFromFlags() {
    EmulatorCommand emulator = new EmulatorCommand();
    new CommandLine(emulator)
        .parseArgs(
            "--quota-check-order",
            "quota-first",
            "--token-ttl",
            "10m",
            "--task-listing-lag",
            "5s",
            "--delete-failed-backups");
    emulator.configure();

    assertEquals(
        PolarDbEmulator.QuotaCheckOrder.QUOTA_FIRST,
        EmulatorCommand.quotaCheckOrder("quota-first"));
    assertEquals(
        PolarDbEmulator.QuotaCheckOrder.TOKEN_FIRST,
        EmulatorCommand.quotaCheckOrder("Token-First"));
    assertEquals(Duration.ofSeconds(30), EmulatorCommand.tokenTtl("30s"));
    assertEquals(PolarDbEmulator.FOREVER, EmulatorCommand.tokenTtl("forever"));
    assertEquals(Duration.ofMinutes(10), EmulatorCommand.tokenTtl(emulator.tokenTtl));
    assertTrue(emulator.deleteFailedBackups);
    assertEquals("token-first", new EmulatorCommand().quotaCheckOrder);
    assertEquals("forever", new EmulatorCommand().tokenTtl);
  }

  @Test
  void emulatorBackupPolicyReadingsComeFromFlags() {
    EmulatorCommand emulator = new EmulatorCommand();
    new CommandLine(emulator)
        .parseArgs(
            "--policy-retention-max-days",
            "30",
            "--policy-describe-names",
            "legacy",
            "--policy-legacy-names-refused",
            "--policy-modify-requires-window");

    assertEquals(
        new PolicyReadings(30, PolicyReadings.Names.LEGACY, false, true),
        emulator.policyReadings());
    assertEquals(PolicyReadings.defaults(), new EmulatorCommand().policyReadings());
    emulator.configure();
  }

  @Test
  void badEmulatorReadingsEndInOneReadableLineAndExitCode2() {
    List<List<String>> bad =
        List.of(
            List.of("--quota-check-order", "sometimes"),
            List.of("--token-ttl", "soon"),
            List.of("--token-ttl", "0s"),
            List.of("--task-listing-lag", "-5s"),
            List.of("--policy-retention-max-days", "21"),
            List.of("--policy-describe-names", "some"));
    for (List<String> args : bad) {
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
      int exit =
          new CommandLine(new EmulatorCommand(System.out, errStream))
              .execute(args.toArray(String[]::new));
      String message = err.toString(StandardCharsets.UTF_8);

      assertEquals(2, exit, message);
      assertTrue(message.startsWith("emulator: " + args.get(0) + " "), message);
      assertTrue(message.contains(args.get(1)), message);
      assertEquals(1, message.lines().count(), message);
    }
  }
}
