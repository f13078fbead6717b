package dev.polardbbackup.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Runs the shipped Argo CD health script in a real Lua 5.1 interpreter (Argo CD's dialect) against
 * a sample resource in every phase. scripts/test.sh installs lua5.1 when it is missing.
 */
class ArgoCdHealthCheckTest {
  private static final Path SCRIPT = Path.of("deploy/argocd/polardbbackup-health.lua");
  private static final Path CONFIGMAP = Path.of("deploy/argocd/argocd-cm-patch.yaml");

  private static String run(String objectLiteral, Path script)
      throws IOException, InterruptedException {
    String chunk =
        "obj = "
            + objectLiteral
            + "\nlocal hs = dofile('"
            + script
            + "')\nio.write(hs.status .. '|' .. (hs.message or ''))";
    Process lua = new ProcessBuilder("lua5.1", "-e", chunk).redirectErrorStream(true).start();
    assertTrue(lua.waitFor(10, TimeUnit.SECONDS), "lua5.1 did not finish");
    String out = new String(lua.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, lua.exitValue(), out);
    return out;
  }

  @ParameterizedTest(name = "{0}/{1} -> {2}")
  @CsvSource({
    "'', '', Progressing",
    "Pending, Pending, Progressing",
    "Pending, ApiThrottled, Progressing",
    "Pending, ClusterNotReady, Progressing",
    "Pending, SecretNotFound, Degraded",
    "Pending, SecretInvalid, Degraded",
    "Pending, AuthFailed, Degraded",
    "WaitingForQuota, WaitingForQuota, Progressing",
    "WaitingForQuota, QueuedBehindOlderBackup, Progressing",
    "Running, BackupRunning, Progressing",
    "Succeeded, BackupSucceeded, Healthy",
    "Failed, BackupFailed, Degraded",
    "Failed, ClusterNotFound, Degraded",
  })
  void everyPhaseMapsToAnArgoHealth(String phase, String reason, String expected) throws Exception {
    String object =
        phase.isEmpty()
            ? "{ metadata = { name = 'b' } }"
            : "{ status = { phase = '"
                + phase
                + "', reason = '"
                + reason
                + "', message = 'm', backupId = '123' } }";

    String result = run(object, SCRIPT);

    assertEquals(expected, result.substring(0, result.indexOf('|')), result);
  }

  @Test
  void configMapCarriesTheSameScript() throws Exception {
    String yaml = Files.readString(CONFIGMAP);
    Matcher body = Pattern.compile("(?s)\\|\\n(.*)").matcher(yaml);
    assertTrue(body.find());
    Path extracted = Files.createTempFile("health", ".lua");
    Files.writeString(extracted, body.group(1).replaceAll("(?m)^    ", ""));
    for (String status : new String[] {"Succeeded", "Failed", "Running"}) {
      String object =
          "{ status = { phase = '" + status + "', reason = 'AuthFailed', message = 'm' } }";
      assertEquals(run(object, SCRIPT), run(object, extracted), status);
    }
  }
}
