package dev.polardbbackup.polardb;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A {@code CreateDBCluster} that clones a PolarDB cluster ({@code
 * CreationOption=CloneFromPolarDB}). The new cluster is billed, so the ClientToken is required
 * here: a retry after a lost reply must get the cluster the first call made, not a second one.
 *
 * @param cloneDataPoint {@link #LATEST}, a backup-set id of the source, or {@link
 *     #pointInTime(Instant)}
 * @param tags at most 20, sent as {@code Tag.N.Key}/{@code Tag.N.Value} in their iteration order
 */
public record CloneRequest(
    String regionId,
    String dbType,
    String dbVersion,
    String payType,
    Optional<String> dbNodeClass,
    String sourceDbClusterId,
    String cloneDataPoint,
    String clientToken,
    Optional<String> zoneId,
    Optional<String> vpcId,
    Optional<String> vSwitchId,
    Optional<String> description,
    Map<String, String> tags,
    Optional<String> backupRetentionPolicyOnClusterDeletion) {

  public static final String LATEST = "LATEST";
  public static final int MAX_TAGS = 20;
  private static final DateTimeFormatter SECONDS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

  public CloneRequest {
    requireText("regionId", regionId);
    requireText("dbType", dbType);
    requireText("dbVersion", dbVersion);
    requireText("payType", payType);
    requireText("sourceDbClusterId", sourceDbClusterId);
    requireText("cloneDataPoint", cloneDataPoint);
    requireText("clientToken", clientToken);
    if (clientToken.length() > 64
        || !StandardCharsets.US_ASCII.newEncoder().canEncode(clientToken)) {
      throw new IllegalArgumentException("a ClientToken is at most 64 ASCII characters");
    }
    if (tags.size() > MAX_TAGS) {
      throw new IllegalArgumentException("at most " + MAX_TAGS + " tags, not " + tags.size());
    }
    tags = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tags));
  }

  /** A pay-as-you-go MySQL 8.0 clone in the source's region, with nothing optional set. */
  public static CloneRequest of(
      String regionId, String sourceDbClusterId, String cloneDataPoint, String clientToken) {
    return new CloneRequest(
        regionId,
        "MySQL",
        "8.0",
        "Postpaid",
        Optional.empty(),
        sourceDbClusterId,
        cloneDataPoint,
        clientToken,
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Map.of(),
        Optional.empty());
  }

  /**
   * {@code CloneDataPoint} for a point in time: UTC, to the second ({@code YYYY-MM-DDThh:mm:ssZ}).
   */
  public static String pointInTime(Instant instant) {
    return SECONDS.format(instant.truncatedTo(ChronoUnit.SECONDS));
  }

  /** The request's parameters, in the API's names. */
  Map<String, String> parameters() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("RegionId", regionId);
    p.put("DBType", dbType);
    p.put("DBVersion", dbVersion);
    p.put("PayType", payType);
    dbNodeClass.ifPresent(v -> p.put("DBNodeClass", v));
    p.put("CreationOption", "CloneFromPolarDB");
    p.put("SourceResourceId", sourceDbClusterId);
    p.put("CloneDataPoint", cloneDataPoint);
    p.put("ClientToken", clientToken);
    zoneId.ifPresent(v -> p.put("ZoneId", v));
    vpcId.ifPresent(v -> p.put("VPCId", v));
    vSwitchId.ifPresent(v -> p.put("VSwitchId", v));
    if (vpcId.isPresent()) {
      p.put("ClusterNetworkType", "VPC");
    }
    description.ifPresent(v -> p.put("DBClusterDescription", v));
    int n = 1;
    for (Map.Entry<String, String> tag : tags.entrySet()) {
      p.put("Tag." + n + ".Key", tag.getKey());
      p.put("Tag." + n + ".Value", tag.getValue());
      n++;
    }
    backupRetentionPolicyOnClusterDeletion.ifPresent(
        v -> p.put("BackupRetentionPolicyOnClusterDeletion", v));
    return p;
  }

  private static void requireText(String name, String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(name + " must not be blank");
    }
  }
}
