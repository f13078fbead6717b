package dev.polardbbackup.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What to restore, from where, and what becomes of the new cluster. The whole spec is immutable:
 * one resource is one restore. Kubernetes 1.20 cannot enforce that (no CEL), so the operator keeps
 * the spec it accepted in status and ignores later edits, saying so in a SpecChangeIgnored
 * condition.
 */
@ValidationRule(
    value = "self == oldSelf",
    message = "spec is immutable; create a new PolarDBRestore instead")
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PolarDBRestoreSpec(
    @Required
        @Size(max = 64)
        @Pattern(PolarDBBackupSpec.REGION_ID_PATTERN)
        @JsonPropertyDescription("The region of the source cluster and of the new one.")
        String regionId,
    @JsonPropertyDescription(
            "Credentials for the restore. When absent, a PolarDBAccessGrant with the action"
                + " Restore on the source cluster decides which identity may be used.")
        SecretReference credentialsSecretRef,
    @Required
        @JsonPropertyDescription(
            "What to restore from: exactly one of backupRef, backupId (with dbClusterId) or"
                + " pointInTime (with dbClusterId).")
        RestoreSource source,
    @Required @JsonPropertyDescription("Where to restore to: exactly one of newCluster or tables.")
        RestoreTarget target,
    @Default("Retain")
        @JsonPropertyDescription(
            "Retain (default) keeps the new cluster when this resource is deleted; Delete deletes"
                + " it too (DeleteDBCluster). Only for a newCluster target.")
        DeletionPolicy deletionPolicy,
    @Size(max = 32)
        @Pattern(DurationText.PATTERN)
        @JsonPropertyDescription(
            "For a throw-away clone: delete the new cluster this long after it became Running,"
                + " e.g. 2h or 7d (units d, h, m), whatever deletionPolicy says. Only for a"
                + " newCluster target.")
        String ttl) {

  public PolarDBRestoreSpec(String regionId, RestoreSource source, RestoreTarget target) {
    this(regionId, null, source, target, null, null);
  }

  /** The deletion policy, defaulted where an API server did not apply the schema default. */
  public DeletionPolicy effectiveDeletionPolicy() {
    return deletionPolicy == null ? DeletionPolicy.Retain : deletionPolicy;
  }

  /** How long the clone lives once Running, when the spec sets a ttl that parses. */
  public Optional<Duration> ttlDuration() {
    return DurationText.parse(ttl);
  }

  /**
   * What is wrong with this spec that the CRD schema cannot say (Kubernetes 1.20 has no CEL), one
   * sentence per problem naming the field; empty when nothing is. The reconciler fails a restore
   * whose spec has problems before calling PolarDB.
   */
  public List<String> problems() {
    List<String> problems = new ArrayList<>();
    boolean tables = target != null && target.restoresTables();
    if (source == null) {
      problems.add("spec.source is required.");
    } else {
      source.problems(problems, tables);
    }
    if (target == null) {
      problems.add("spec.target is required.");
    } else {
      target.problems(problems);
    }
    if (ttl != null) {
      if (tables) {
        problems.add("spec.ttl applies only to a newCluster target: restored tables stay.");
      } else if (ttlDuration().isEmpty()) {
        problems.add(
            "spec.ttl " + ttl + " is not a duration above zero such as 2h or 7d (units d, h, m).");
      }
    }
    if (tables && deletionPolicy == DeletionPolicy.Delete) {
      problems.add(
          "spec.deletionPolicy Delete applies only to a newCluster target: restored tables stay.");
    }
    return problems;
  }
}
