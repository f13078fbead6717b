package dev.polardbbackup.model;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** Clusters named by a region and a cluster id, each a pattern where {@code *} is any text. */
public record ClusterPattern(
    @Required
        @Size(min = 1, max = 64)
        @Pattern(PATTERN)
        @JsonPropertyDescription(
            "Region, e.g. cn-hangzhou; '*' matches any text, '*' alone any region.")
        String regionId,
    @Required
        @Size(min = 1, max = 64)
        @Pattern(PATTERN)
        @JsonPropertyDescription(
            "Cluster id, e.g. pc-bp1abcdefghij1234 or pc-bp1team*; '*' matches any text.")
        String dbClusterId) {

  static final String PATTERN = "^[a-z0-9*-]+$";

  /** True when this pattern covers the cluster {@code dbClusterId} in {@code regionId}. */
  public boolean covers(String regionId, String dbClusterId) {
    return glob(this.regionId, regionId) && glob(this.dbClusterId, dbClusterId);
  }

  /** Whole-text match where {@code *} stands for any run of characters (none included). */
  static boolean glob(String pattern, String text) {
    if (pattern == null || text == null) {
      return false;
    }
    String[] parts = pattern.split("\\*", -1);
    if (parts.length == 1) {
      return pattern.equals(text);
    }
    if (!text.startsWith(parts[0])) {
      return false;
    }
    int at = parts[0].length();
    for (int i = 1; i < parts.length - 1; i++) {
      int found = text.indexOf(parts[i], at);
      if (found < 0) {
        return false;
      }
      at = found + parts[i].length();
    }
    String last = parts[parts.length - 1];
    return text.length() - at >= last.length() && text.endsWith(last);
  }

  @Override
  public String toString() {
    return regionId + "/" + dbClusterId;
  }
}
