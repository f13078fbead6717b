package dev.polardbbackup.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cluster a restore creates: what CreateDBCluster needs for a clone (CreationOption
 * CloneFromPolarDB). Engine and version default to the source cluster's.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record NewCluster(
    @JsonPropertyDescription("MySQL, PostgreSQL or Oracle. Default: the source cluster's.")
        DbType dbType,
    @Size(max = 16)
        @Pattern("^[0-9]+(\\.[0-9]+)?$")
        @JsonPropertyDescription("E.g. 8.0 or 14. Default: the source cluster's.")
        String dbVersion,
    @Required
        @Size(max = 64)
        @Pattern("^[a-z0-9][a-z0-9.]*$")
        @JsonPropertyDescription("The node class, e.g. polar.mysql.x4.medium.")
        String dbNodeClass,
    @Required
        @Size(max = 64)
        @Pattern(PolarDBBackupSpec.REGION_ID_PATTERN)
        @JsonPropertyDescription("The zone, in the restore's region, e.g. cn-hangzhou-h.")
        String zoneId,
    @Required
        @Size(max = 64)
        @Pattern("^vpc-[a-z0-9]+$")
        @JsonPropertyDescription("The VPC of the new cluster, e.g. vpc-bp1abc.")
        String vpcId,
    @Required
        @Size(max = 64)
        @Pattern("^vsw-[a-z0-9]+$")
        @JsonPropertyDescription("A vSwitch of that VPC in zoneId, e.g. vsw-bp1abc.")
        String vSwitchId,
    @Default("Postpaid") @JsonPropertyDescription("Postpaid (default: pay-as-you-go) or Prepaid.")
        PayType payType,
    @Size(max = 256)
        @JsonPropertyDescription("The new cluster's description (DBClusterDescription).")
        String description,
    @JsonPropertyDescription(
            "Tags for the new cluster, at most "
                + MAX_USER_TAGS
                + ". The operator adds its own three, under polardbbackup.dev/: the namespace,"
                + " name and UID of the resource that made the cluster.")
        Map<String, String> tags) {

  /** The operator's tag keys start with this; a user's must not. */
  public static final String RESERVED_TAG_PREFIX = PolarDBBackup.GROUP + "/";

  public static final String TAG_NAMESPACE = RESERVED_TAG_PREFIX + "namespace";
  public static final String TAG_NAME = RESERVED_TAG_PREFIX + "name";
  public static final String TAG_UID = RESERVED_TAG_PREFIX + "uid";

  /** CreateDBCluster takes 20 tags; the operator's three come first. */
  public static final int MAX_USER_TAGS = 17;

  private static final int MAX_TAG_LENGTH = 128;

  /** A pay-as-you-go clone with no description or tags; engine and version as the source's. */
  public static NewCluster of(String dbNodeClass, String zoneId, String vpcId, String vSwitchId) {
    return new NewCluster(null, null, dbNodeClass, zoneId, vpcId, vSwitchId, null, null, null);
  }

  public PayType effectivePayType() {
    return payType == null ? PayType.Postpaid : payType;
  }

  /**
   * The tags to send: the operator's three naming the resource that makes the cluster, then the
   * user's (which can never override them: reserved keys are a problem of the spec).
   */
  public Map<String, String> tagsFor(String namespace, String name, String uid) {
    Map<String, String> all = new LinkedHashMap<>();
    all.put(TAG_NAMESPACE, namespace);
    all.put(TAG_NAME, name);
    all.put(TAG_UID, uid);
    if (tags != null) {
      tags.forEach(all::putIfAbsent);
    }
    return all;
  }

  void problems(List<String> problems, String field) {
    if (tags == null) {
      return;
    }
    if (tags.size() > MAX_USER_TAGS) {
      problems.add(
          field
              + ".tags has "
              + tags.size()
              + " tags; at most "
              + MAX_USER_TAGS
              + " fit beside the operator's 3 (PolarDB takes 20).");
    }
    for (var tag : tags.entrySet()) {
      String key = tag.getKey();
      if (key.startsWith(RESERVED_TAG_PREFIX)) {
        problems.add(
            field
                + ".tags key "
                + key
                + " is reserved: keys under "
                + RESERVED_TAG_PREFIX
                + " are the operator's.");
      } else if (key.isBlank() || key.length() > MAX_TAG_LENGTH) {
        problems.add(field + ".tags key \"" + key + "\" must be 1 to 128 characters.");
      } else if (key.startsWith("aliyun") || key.startsWith("acs:")) {
        problems.add(
            field + ".tags key " + key + " is refused by Alibaba Cloud: no aliyun or acs: prefix.");
      }
      if (tag.getValue() != null && tag.getValue().length() > MAX_TAG_LENGTH) {
        problems.add(field + ".tags value of " + key + " is longer than 128 characters.");
      }
    }
  }
}
