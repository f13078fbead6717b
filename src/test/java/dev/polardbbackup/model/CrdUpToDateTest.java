package dev.polardbbackup.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The CRDs under crds/ are what the model generates; run scripts/update-crds.sh after a change. */
class CrdUpToDateTest {

  @Test
  void checkedInCrdsMatchTheGeneratedOnes() throws IOException {
    Path generatedDir = Path.of("target/classes/META-INF/fabric8");
    List<Path> generated;
    try (Stream<Path> files = Files.list(generatedDir)) {
      generated = files.filter(p -> p.toString().endsWith("-v1.yml")).sorted().toList();
    }
    assertTrue(!generated.isEmpty(), "the crd-generator plugin wrote no CRD");
    for (Path crd : generated) {
      Path checkedIn = Path.of("crds").resolve(crd.getFileName());
      assertTrue(Files.exists(checkedIn), checkedIn + " is missing; run scripts/update-crds.sh");
      assertEquals(
          Files.readString(crd),
          Files.readString(checkedIn),
          checkedIn + " differs from the model; run scripts/update-crds.sh and commit crds/");
    }
  }
}
