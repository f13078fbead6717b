package dev.polardbbackup.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The container image, built without a container engine (scripts/image.sh: a Debian root filesystem
 * from mmdebstrap, cached per machine, and the jar this build just packaged, written as an OCI
 * archive) and checked the way a cluster will use it: the user the Deployment runs as, the
 * entrypoint and its default {@code run}, the very jar of this build, a JRE, and the image's own
 * java running that jar in a chroot as user 65532.
 */
class ImageIT {
  private final Path repo = Path.of("").toAbsolutePath();

  @Test
  void theImageRunsThisBuildsJarAsTheDeploymentsNonRootUser() {
    // The first build on a machine runs mmdebstrap (about three minutes); later ones reuse it.
    Cmd.run(Map.of(), repo, 1200, null, List.of("scripts/image.sh", "build"))
        .orFail("scripts/image.sh build");
    assertTrue(Files.isRegularFile(repo.resolve("target/image/polardb-backup-operator.oci.tar")));

    Cmd.Result check =
        Cmd.run(Map.of(), repo, 300, null, List.of("scripts/image.sh", "check"))
            .orFail("scripts/image.sh check");
    for (String expected :
        List.of(
            "ok: User 65532:65532 = the Deployment's runAsUser 65532, runAsGroup 65532",
            "ok: Entrypoint ['java', '-jar', '/app/polardb-backup-operator.jar'], Cmd ['run']",
            "ok: /app/polardb-backup-operator.jar = target/polardb-backup-operator.jar",
            "ok: /usr/bin/java -> /usr/lib/jvm/java-17-openjdk-",
            "in a chroot as 65532:65532: java -jar /app/polardb-backup-operator.jar run --help",
            "image check: all passed")) {
      assertTrue(check.out().contains(expected), expected + " in:\n" + check.out() + check.err());
    }
  }
}
