package dev.polardbbackup.e2e;

import java.nio.file.Path;
import java.util.Map;

/** The real kubectl, against one kubeconfig. */
final class Kubectl {
  private final Path kubeconfig;
  private final Path repo;

  Kubectl(Path kubeconfig, Path repo) {
    this.kubeconfig = kubeconfig;
    this.repo = repo;
  }

  Cmd.Result run(String... args) {
    return Cmd.run(
        Map.of("KUBECONFIG", kubeconfig.toString()), repo, 120, null, Cmd.list("kubectl", args));
  }

  Cmd.Result apply(String yaml) {
    return apply(yaml, "apply", "-f", "-");
  }

  /** Applies without kubectl's own schema check, so that the API server's validation answers. */
  Cmd.Result applyUnvalidated(String yaml) {
    return apply(yaml, "apply", "--validate=false", "-f", "-");
  }

  private Cmd.Result apply(String yaml, String... args) {
    return Cmd.run(
        Map.of("KUBECONFIG", kubeconfig.toString()), repo, 60, yaml, Cmd.list("kubectl", args));
  }

  String ok(String... args) {
    return run(args).orFail("kubectl " + String.join(" ", args)).out();
  }

  /** A jsonpath field of an object, or "" when it has none. */
  String field(String type, String name, String namespace, String jsonPath) {
    Cmd.Result r = run("get", type, name, "-n", namespace, "-o", "jsonpath={" + jsonPath + "}");
    return r.exit() == 0 ? r.out().trim() : "";
  }
}
