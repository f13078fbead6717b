package dev.polardbbackup.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The operator jar run as a separate process, its output in a log file. */
final class JavaProcess implements AutoCloseable {
  final Process process;
  final Path log;
  final String name;

  private JavaProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  static JavaProcess start(
      String name, Path repo, Path logDir, Map<String, String> env, String... args)
      throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(
                "java",
                "-Xmx256m",
                "-jar",
                repo.resolve("target/polardb-backup-operator.jar").toString()));
    command.addAll(List.of(args));
    Path log = logDir.resolve(name + ".log");
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .directory(repo.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().putAll(env);
    return new JavaProcess(name, pb.start(), log);
  }

  /** Any command (for instance a chroot into the image's root filesystem), logged the same way. */
  static JavaProcess startCommand(String name, Path workDir, Path logDir, List<String> command)
      throws IOException {
    Path log = logDir.resolve(name + ".log");
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .directory(workDir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    return new JavaProcess(name, pb.start(), log);
  }

  String output() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "";
    }
  }

  /** Waits for a line matching the pattern and returns its first group. */
  String await(Pattern pattern, Duration timeout) throws InterruptedException {
    Instant end = Instant.now().plus(timeout);
    while (Instant.now().isBefore(end)) {
      Matcher m = pattern.matcher(output());
      if (m.find()) {
        return m.groupCount() > 0 ? m.group(1) : m.group();
      }
      if (!process.isAlive()) {
        throw new AssertionError(name + " exited with " + process.exitValue() + ":\n" + output());
      }
      Thread.sleep(100);
    }
    throw new AssertionError(
        name + " did not print " + pattern + " in " + timeout + ":\n" + output());
  }

  /** Resident memory in KiB, from /proc. */
  long rssKiB() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("\\D", ""));
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /**
   * SIGTERM, as Kubernetes sends before a pod goes; how long the process took to exit. One that
   * outlives {@code patience} is killed and reported: Kubernetes would have to SIGKILL it too.
   */
  java.time.Duration terminate(java.time.Duration patience) throws InterruptedException {
    Instant start = Instant.now();
    process.destroy(); // SIGTERM
    if (!process.waitFor(patience.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
      kill();
      throw new AssertionError(name + " did not exit within " + patience + " of SIGTERM");
    }
    return java.time.Duration.between(start, Instant.now());
  }

  void kill() throws InterruptedException {
    process.destroyForcibly(); // SIGKILL
    process.waitFor();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
        kill();
      }
    }
  }
}
