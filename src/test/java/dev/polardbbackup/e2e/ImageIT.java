package dev.polardbbackup.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The container image, built without a container engine (scripts/image.sh: a Debian root filesystem
 * from mmdebstrap, cached per machine, and the jar this build just packaged, written as an OCI
 * archive) and checked the way a cluster will use it: the user the Deployment runs as, the
 * entrypoint and its default {@code run}, the very jar of this build, a JRE, and the image's own
 * java running that jar in a chroot as user 65532. Then the image's exact bits run the operator
 * against a real kube-apiserver as the shipped ServiceAccount and take a backup to Succeeded.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ImageIT {
  private final Path repo = Path.of("").toAbsolutePath();

  @Test
  @Order(1)
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

  @Test
  @Order(2)
  void theOperatorFromTheImageTakesABackupOnARealApiServer() throws Exception {
    Path root = Files.createTempDirectory("polardb-image-root");
    try (LocalStack stack =
        new LocalStack(
            List.of("--backup-duration", "2s", "--cluster", "pc-demo1"),
            List.of("--poll-min", "500ms", "--poll-max", "2s"))) {
      Cmd.Result unpacked =
          Cmd.run(Map.of(), repo, 300, null, List.of("scripts/image.sh", "rootfs", root.toString()))
              .orFail("scripts/image.sh rootfs");
      List<String> command = List.of(unpacked.out().trim().split(" "));
      assertTrue(command.contains("--userspec=65532:65532"), command.toString());
      stack.useImage(new LocalStack.Image(root, command));
      stack.startOperator("from-image");

      stack
          .admin
          .apply(
              """
              apiVersion: polardbbackup.dev/v1alpha1
              kind: PolarDBBackup
              metadata: {name: from-image, namespace: default}
              spec: {dbClusterId: pc-demo1, regionId: cn-hangzhou}
              """)
          .orFail("kubectl apply");
      stack.awaitTrue(
          "the backup made by the image's operator Succeeded",
          Duration.ofSeconds(120),
          () ->
              "Succeeded"
                  .equals(stack.admin.field("pdbb", "from-image", "default", ".status.phase")));
      // unshare's child in the new PID namespace is the image's java, as the image's user.
      long unshare = stack.operators.get("from-image").pid();
      String child =
          Cmd.run(
                  Map.of(),
                  repo,
                  30,
                  null,
                  List.of("ps", "-o", "uid=,comm=", "--ppid", Long.toString(unshare)))
              .orFail("ps")
              .out()
              .trim();
      assertTrue(child.matches("65532\\s+java"), child);
    } finally {
      Cmd.run(Map.of(), repo, 120, null, List.of("rm", "-rf", root.toString()));
    }
  }
}
