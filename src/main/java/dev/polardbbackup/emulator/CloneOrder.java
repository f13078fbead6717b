package dev.polardbbackup.emulator;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A CreateDBCluster request read and checked field by field, in the order the API reference lists
 * them, before anything is looked up. Codes follow Alibaba's pattern: {@code Missing<Name>} for an
 * absent required field, {@code Invalid<Name>.Malformed} for a bad value.
 */
record CloneOrder(
    String regionId,
    String creationOption,
    String sourceResourceId,
    String cloneDataPoint,
    String clientToken,
    String resourceGroupId,
    Optional<String> retentionOnDeletion,
    Map<String, String> attributes,
    Map<String, String> tags) {

  static final String LATEST = "LATEST";
  static final String CLONE = "CloneFromPolarDB";
  static final String NORMAL = "Normal";
  static final String DEFAULT_RESOURCE_GROUP = "rg-acfmz7u4zzr2pea";
  static final int MAX_TAGS = 20;

  private static final Set<String> DB_TYPES = Set.of("MySQL", "PostgreSQL", "Oracle");
  private static final Set<String> PAY_TYPES = Set.of("Postpaid", "Prepaid");
  private static final Set<String> CREATION_OPTIONS =
      Set.of(
          NORMAL,
          CLONE,
          "CloneFromRDS",
          "MigrationFromRDS",
          "CreateGdnStandby",
          "RecoverFromRecyclebin",
          "UpgradeFromPolarDB");
  private static final Pattern POINT_IN_TIME = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T.*Z");

  static CloneOrder read(Params params) {
    String region = params.required("RegionId");
    String dbType = oneOf(params.required("DBType"), "DBType", DB_TYPES);
    String dbVersion = params.required("DBVersion");
    String payType = oneOf(params.required("PayType"), "PayType", PAY_TYPES);
    String option =
        oneOf(params.optional("CreationOption").orElse(NORMAL), "CreationOption", CREATION_OPTIONS);
    if (!option.equals(NORMAL) && !option.equals(CLONE)) {
      // Not Alibaba's answer: the emulator models only a fresh cluster and a PolarDB clone.
      throw new ApiError(
          400,
          "InvalidCreationOption.NotSupported",
          "The emulator does not model CreationOption "
              + option
              + "; use Normal or CloneFromPolarDB.");
    }
    String source = null;
    String dataPoint = null;
    if (option.equals(CLONE)) {
      source = params.required("SourceResourceId");
      dataPoint = params.optional("CloneDataPoint").orElse(LATEST);
      if (POINT_IN_TIME.matcher(dataPoint).matches() && pointInTime(dataPoint).isEmpty()) {
        throw ApiError.malformed(
            400, "CloneDataPoint", "Use LATEST, a backup set id or yyyy-MM-ddTHH:mm:ssZ in UTC.");
      }
    }
    String token = params.optional("ClientToken").orElse(null);
    if (token != null && (token.length() > 64 || !PolarDbActions.isAscii(token))) {
      throw new ApiError(
          400,
          "InvalidClientToken.Malformed",
          "The specified parameter ClientToken is not valid: at most 64 ASCII characters.");
    }
    params
        .optional("ClusterNetworkType")
        .filter(v -> !v.equals("VPC"))
        .ifPresent(
            v -> {
              throw ApiError.malformed(400, "ClusterNetworkType", "Only VPC is supported.");
            });
    params
        .optional("DBClusterDescription")
        .filter(d -> d.length() < 2 || d.length() > 256)
        .ifPresent(
            d -> {
              throw ApiError.malformed(400, "DBClusterDescription", "Use 2 to 256 characters.");
            });
    params
        .optional(PolicyFields.ON_DELETION)
        .ifPresent(
            r -> PolicyFields.check(PolicyFields.ON_DELETION, PolicyFields.ON_DELETION, r, 0));
    Map<String, String> attributes = new LinkedHashMap<>();
    attributes.put("DBType", dbType);
    attributes.put("DBVersion", dbVersion);
    attributes.put("PayType", payType);
    for (String field :
        new String[] {"DBNodeClass", "ZoneId", "VPCId", "VSwitchId", "DBClusterDescription"}) {
      params.optional(field).ifPresent(v -> attributes.put(field, v));
    }
    return new CloneOrder(
        region,
        option,
        source,
        dataPoint,
        token,
        params.optional("ResourceGroupId").orElse(DEFAULT_RESOURCE_GROUP),
        params.optional(PolicyFields.ON_DELETION),
        attributes,
        tags(params));
  }

  boolean isClone() {
    return CLONE.equals(creationOption);
  }

  /** A CloneDataPoint that is a UTC time to the second, or empty (LATEST or a backup set id). */
  static Optional<Instant> pointInTime(String dataPoint) {
    if (!POINT_IN_TIME.matcher(dataPoint).matches()) {
      return Optional.empty();
    }
    try {
      return Optional.of(WireTime.parseSeconds(dataPoint));
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }

  /** {@code Tag.N.Key}/{@code Tag.N.Value}, N from 1 to 20; a key is required for a value. */
  private static Map<String, String> tags(Params params) {
    Map<String, String> tags = new LinkedHashMap<>();
    for (String name : params.values().keySet()) {
      if (name.matches("Tag\\.\\d+\\.(Key|Value)")) {
        int n = Integer.parseInt(name.split("\\.")[1]);
        if (n < 1 || n > MAX_TAGS) {
          throw ApiError.malformed(400, "Tag", "At most " + MAX_TAGS + " tags, Tag.1 to Tag.20.");
        }
      }
    }
    for (int n = 1; n <= MAX_TAGS; n++) {
      Optional<String> key = params.optional("Tag." + n + ".Key");
      Optional<String> value = params.optional("Tag." + n + ".Value");
      if (key.isEmpty() && value.isPresent()) {
        throw ApiError.malformed(400, "Tag", "Tag." + n + ".Value needs a Tag." + n + ".Key.");
      }
      key.ifPresent(k -> tags.put(k, value.orElse("")));
    }
    return tags;
  }

  private static String oneOf(String value, String name, Set<String> allowed) {
    if (!allowed.contains(value)) {
      throw ApiError.malformed(400, name, "Use one of " + new java.util.TreeSet<>(allowed) + ".");
    }
    return value;
  }
}
