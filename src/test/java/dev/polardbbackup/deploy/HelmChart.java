package dev.polardbbackup.deploy;

import com.marcnuri.helm.Helm;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The chart under deploy/helm, rendered by Helm's own code (helm-java's native library, so no helm
 * binary is needed) as release {@code polardb-backup-operator} in namespace {@code
 * polardb-backup-system}, the names deploy/base uses.
 */
final class HelmChart {
  static final Path DIR = Path.of("deploy/helm/polardb-backup-operator");
  static final String RELEASE = "polardb-backup-operator";
  static final String NAMESPACE = "polardb-backup-system";

  private HelmChart() {}

  /** The objects rendered with these values (YAML, as in a values file) over the defaults. */
  static Rendered render(String valuesYaml) {
    return new Rendered(parse(template(valuesYaml)));
  }

  /** Helm's output; throws IllegalStateException with Helm's message when it refuses. */
  static String template(String valuesYaml) {
    try {
      Path values = Files.createTempFile("values", ".yaml");
      try {
        Files.writeString(values, valuesYaml);
        return new Helm(DIR)
            .template()
            .withName(RELEASE)
            .withNamespace(NAMESPACE)
            .withValuesFile(values)
            .call();
      } finally {
        Files.deleteIfExists(values);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every object in a multi-document YAML stream (documents of comments alone are skipped). */
  static List<HasMetadata> parse(String yaml) {
    List<HasMetadata> objects = new ArrayList<>();
    for (String doc : yaml.split("(?m)^---\\s*$")) {
      if (doc.lines().anyMatch(l -> !l.isBlank() && !l.startsWith("#"))) {
        objects.add(Serialization.unmarshal(doc, HasMetadata.class));
      }
    }
    return objects;
  }

  /** What one rendering produced. */
  record Rendered(List<HasMetadata> objects) {
    <T extends HasMetadata> T one(Class<T> kind, String name) {
      return find(kind, name)
          .orElseThrow(() -> new AssertionError("no " + kind.getSimpleName() + " " + name));
    }

    <T extends HasMetadata> Optional<T> find(Class<T> kind, String name) {
      return objects.stream()
          .filter(kind::isInstance)
          .map(kind::cast)
          .filter(o -> o.getMetadata().getName().equals(name))
          .findFirst();
    }

    <T extends HasMetadata> List<T> all(Class<T> kind) {
      return objects.stream().filter(kind::isInstance).map(kind::cast).toList();
    }

    /** Kind, namespace (or "-" for cluster-scoped) and name of every object, sorted. */
    List<String> keys() {
      return keysOf(objects);
    }
  }

  static List<String> keysOf(List<HasMetadata> objects) {
    return objects.stream()
        .map(
            o ->
                o.getKind()
                    + " "
                    + Optional.ofNullable(o.getMetadata().getNamespace()).orElse("-")
                    + "/"
                    + o.getMetadata().getName())
        .sorted()
        .toList();
  }
}
