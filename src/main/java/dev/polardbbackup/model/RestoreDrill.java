package dev.polardbbackup.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A schedule's restore drill: every so often, its newest successful backup is restored into a
 * throw-away clone, checked (its databases are listed) and deleted.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RestoreDrill(
    @Required
        @Size(max = 32)
        @Pattern(DurationText.PATTERN)
        @JsonPropertyDescription(
            "How often to drill, e.g. 7d (units d, h, m; at least 1h). Each drill creates a"
                + " billed pay-as-you-go cluster for as long as it takes.")
        String every,
    @Required
        @JsonPropertyDescription(
            "The throw-away clone: node class, zone, VPC and vSwitch (as a PolarDBRestore's"
                + " target.newCluster).")
        NewCluster newCluster) {

  /** Drills closer together than this would mostly pay for clusters being created. */
  public static final Duration MIN_INTERVAL = Duration.ofHours(1);

  /** The interval, when it parses. */
  public Optional<Duration> interval() {
    return DurationText.parse(every);
  }

  void problems(List<String> problems) {
    Optional<Duration> interval = interval();
    if (interval.isEmpty()) {
      problems.add(
          "spec.verify.every " + every + " is not a duration such as 7d or 12h (units d, h, m).");
    } else if (interval.get().compareTo(MIN_INTERVAL) < 0) {
      problems.add("spec.verify.every " + every + " is shorter than 1h, the shortest allowed.");
    }
    if (newCluster == null) {
      problems.add("spec.verify.newCluster is required.");
    } else {
      newCluster.problems(problems, "spec.verify.newCluster");
    }
  }
}
