package dev.polardbbackup.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a command to completion and keeps what it printed. */
final class Cmd {
  record Result(int exit, String out, String err) {
    Result orFail(String what) {
      if (exit != 0) {
        throw new AssertionError(what + " failed (exit " + exit + "): " + err + out);
      }
      return this;
    }
  }

  static Result run(
      Map<String, String> env,
      Path workDir,
      long timeoutSeconds,
      String stdin,
      List<String> command) {
    try {
      ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile());
      pb.environment().putAll(env);
      Path out = java.nio.file.Files.createTempFile("cmd", ".out");
      Path err = java.nio.file.Files.createTempFile("cmd", ".err");
      pb.redirectOutput(out.toFile()).redirectError(err.toFile());
      Process p = pb.start();
      if (stdin != null) {
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
      }
      p.getOutputStream().close();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("timed out after " + timeoutSeconds + "s: " + command);
      }
      Result r =
          new Result(
              p.exitValue(),
              java.nio.file.Files.readString(out),
              java.nio.file.Files.readString(err));
      java.nio.file.Files.deleteIfExists(out);
      java.nio.file.Files.deleteIfExists(err);
      return r;
    } catch (IOException e) {
      throw new AssertionError("cannot run " + command + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted: " + command, e);
    }
  }

  static List<String> list(String first, String... rest) {
    List<String> all = new ArrayList<>();
    all.add(first);
    all.addAll(List.of(rest));
    return all;
  }

  private Cmd() {}
}
