package dev.polardbbackup.emulator;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster actions a restore needs, API version 2017-08-01: CreateDBCluster (a clone of a
 * cluster, as of now, a backup set or a point in time), DeleteDBCluster, DescribeDBClusterEndpoints
 * and DescribeDBClusters (the clusters of a region, filtered by tags). Not thread-safe: used under
 * the emulator's lock.
 */
final class ClusterActions {
  static final Set<String> ACTIONS =
      Set.of(
          "CreateDBCluster", "DeleteDBCluster", "DescribeDBClusterEndpoints", "DescribeDBClusters");

  /** DescribeDBClusters takes at most 20 tag filters, {@code Tag.1} to {@code Tag.20}. */
  private static final int MAX_TAG_FILTERS = 20;

  private static final Set<Integer> PAGE_SIZES = Set.of(30, 50, 100);

  private static final Logger LOG = LoggerFactory.getLogger(ClusterActions.class);

  /**
   * How the emulator answers where Alibaba's docs are silent; each is explained on the {@link
   * PolarDbEmulator.Builder} method of the same name.
   */
  record Readings(boolean deleteClusterWhileCreating) {}

  private final Clusters clusters;
  private final Backups backups;
  private final Schemas schemas;
  private final ClusterCreations creations;
  private final BackupPolicies policies;
  private final Console console;
  private final Faults faults;
  private final Ids ids;
  private final Supplier<Duration> creationDuration;
  private final Readings readings;

  ClusterActions(
      Clusters clusters,
      Backups backups,
      Schemas schemas,
      ClusterCreations creations,
      BackupPolicies policies,
      Console console,
      Faults faults,
      Ids ids,
      Supplier<Duration> creationDuration,
      Readings readings) {
    this.clusters = clusters;
    this.backups = backups;
    this.schemas = schemas;
    this.creations = creations;
    this.policies = policies;
    this.console = console;
    this.faults = faults;
    this.ids = ids;
    this.creationDuration = creationDuration;
    this.readings = readings;
  }

  ObjectNode run(String action, Params params, Instant now, String requestId) {
    return switch (action) {
      case "CreateDBCluster" -> createDbCluster(params, now, requestId);
      case "DeleteDBCluster" -> deleteDbCluster(params, requestId);
      case "DescribeDBClusterEndpoints" -> describeEndpoints(params);
      case "DescribeDBClusters" -> describeClusters(params);
      default -> throw new IllegalArgumentException("not a cluster action: " + action);
    };
  }

  /**
   * Checks the request in the order the fields are documented, answers a repeated ClientToken with
   * the first result (before the source is looked at again: it may have changed since), then
   * clones. Only CloneFromPolarDB and Normal are emulated.
   */
  private ObjectNode createDbCluster(Params params, Instant now, String requestId) {
    CloneOrder order = CloneOrder.read(params);
    String fingerprint = PolarDbActions.fingerprint(params);
    Optional<ClusterCreations.Order> earlier =
        creations.replay(order.clientToken(), fingerprint, now);
    if (earlier.isPresent()) {
      return reply(earlier.get());
    }
    Map<String, List<String>> databases = Map.of();
    String dataPoint = null;
    if (order.isClone()) {
      Clusters.Cluster source = clusters.lookup(order.sourceResourceId(), 404);
      Clusters.requireRunning(source);
      dataPoint = order.cloneDataPoint();
      databases = schemas.at(source.id(), dataPointTime(source.id(), dataPoint, now));
    }
    faults.checkCapacity("CreateDBCluster");

    String id = ids.dbClusterId();
    ClusterCreations.Order made =
        new ClusterCreations.Order(
            id,
            ids.orderId(),
            order.resourceGroupId(),
            order.clientToken(),
            fingerprint,
            order.isClone() ? order.sourceResourceId() : null,
            dataPoint,
            now,
            order.attributes(),
            order.tags());
    clusters.putCreating(id, order.regionId(), now, now.plus(creationDuration.get()));
    schemas.start(id, databases);
    order
        .retentionOnDeletion()
        .ifPresent(r -> policies.apply(id, Map.of(PolicyFields.ON_DELETION, r)));
    creations.add(made);
    LOG.info(
        "CreateDBCluster DBClusterId={} source={} CloneDataPoint={} RequestId={}",
        id,
        made.source(),
        dataPoint,
        requestId);
    return reply(made);
  }

  /**
   * When a clone's data is taken from: now for LATEST, a backup set's consistent time, or a point
   * in the source's recoverable window (what DescribeLocalAvailableRecoveryTime reports).
   */
  private Instant dataPointTime(String sourceId, String dataPoint, Instant now) {
    if (CloneOrder.LATEST.equals(dataPoint)) {
      return now;
    }
    Optional<Instant> time = CloneOrder.pointInTime(dataPoint);
    if (time.isPresent()) {
      Optional<Instant> begin = PolicyActions.recoveryBegin(backups, sourceId, now);
      if (begin.isEmpty() || time.get().isBefore(begin.get()) || time.get().isAfter(now)) {
        // The emulator's reading: Alibaba documents no code for a time outside the window.
        throw new ApiError(
            400,
            "InvalidCloneDataPoint.OutOfRange",
            "The specified CloneDataPoint "
                + dataPoint
                + " is outside the recoverable window of "
                + sourceId
                + " (see DescribeLocalAvailableRecoveryTime).");
      }
      return time.get();
    }
    return BackupSets.usable(backups, sourceId, dataPoint, now).createdAt;
  }

  private ObjectNode deleteDbCluster(Params params, String requestId) {
    Clusters.Cluster cluster = clusters.lookup(params.required("DBClusterId"), 404);
    String retention = params.optional(PolicyFields.ON_DELETION).orElse(null);
    if (Clusters.CREATING.equals(cluster.status()) && !readings.deleteClusterWhileCreating()) {
      Clusters.requireRunning(cluster);
    }
    ClusterDeletion deletion = console.removeCluster(cluster.id(), retention);
    LOG.info(
        "DeleteDBCluster DBClusterId={} retention={} RequestId={}",
        cluster.id(),
        deletion.backupRetentionPolicyOnClusterDeletion(),
        requestId);
    return JsonNodeFactory.instance.objectNode();
  }

  /**
   * One cluster endpoint with one private address; none while the cluster is Creating (our reading:
   * the address is given out when the cluster is ready).
   */
  private ObjectNode describeEndpoints(Params params) {
    Clusters.Cluster cluster = clusters.lookup(params.required("DBClusterId"), 404);
    ObjectNode reply = JsonNodeFactory.instance.objectNode();
    ArrayNode items = reply.putArray("Items");
    if (Clusters.CREATING.equals(cluster.status())) {
      return reply;
    }
    ObjectNode endpoint = items.addObject();
    endpoint.put("DBClusterId", cluster.id());
    endpoint.put("DBEndpointId", cluster.id().replaceFirst("^pc-", "pe-"));
    endpoint.put("EndpointType", "Cluster");
    endpoint.put("ReadWriteMode", "ReadWrite");
    ObjectNode address = endpoint.putArray("AddressItems").addObject();
    address.put("ConnectionString", cluster.id() + ".rwlb.rds.aliyuncs.com");
    address.put("Port", "3306");
    address.put("NetType", "Private");
    address.put("IPAddress", "172.16.0.10");
    return reply;
  }

  /**
   * The clusters of {@code RegionId} that carry every {@code Tag.N.Key} asked for (with {@code
   * Tag.N.Value}, when given: a key alone matches any value), optionally only those in {@code
   * DBClusterIds}; one page of them, oldest first. Only clusters CreateDBCluster made have tags.
   */
  private ObjectNode describeClusters(Params params) {
    String region = params.required("RegionId");
    Map<String, Optional<String>> tagFilters = new java.util.LinkedHashMap<>();
    for (int n = 1; n <= MAX_TAG_FILTERS; n++) {
      Optional<String> key = params.optional("Tag." + n + ".Key");
      Optional<String> value = params.optional("Tag." + n + ".Value");
      if (key.isEmpty() && value.isPresent()) {
        throw ApiError.missing("Tag." + n + ".Key");
      }
      key.ifPresent(k -> tagFilters.put(k, value));
    }
    if (params.optional("Tag." + (MAX_TAG_FILTERS + 1) + ".Key").isPresent()) {
      throw ApiError.malformed(400, "Tag", "At most " + MAX_TAG_FILTERS + " tags.");
    }
    Optional<Set<String>> ids =
        params.optional("DBClusterIds").map(v -> Set.copyOf(List.of(v.split("\\s*,\\s*"))));
    int pageSize = PolarDbActions.pageParam(params, "PageSize", 30);
    if (!PAGE_SIZES.contains(pageSize)) {
      throw ApiError.malformed(400, "PageSize", "Use 30, 50 or 100.");
    }
    int pageNumber = PolarDbActions.pageParam(params, "PageNumber", 1);
    if (pageNumber < 1) {
      throw ApiError.malformed(400, "PageNumber", "Pages count from 1.");
    }
    List<Clusters.Cluster> matching =
        clusters.all().stream()
            .filter(c -> region.equals(c.regionId()))
            .filter(c -> ids.map(set -> set.contains(c.id())).orElse(true))
            .filter(c -> hasTags(tagsOf(c.id()), tagFilters))
            .toList();
    List<Clusters.Cluster> page =
        matching.stream().skip((long) (pageNumber - 1) * pageSize).limit(pageSize).toList();
    ObjectNode reply = JsonNodeFactory.instance.objectNode();
    ArrayNode items = reply.putObject("Items").putArray("DBCluster");
    for (Clusters.Cluster c : page) {
      Map<String, String> asked =
          creations.find(c.id()).map(ClusterCreations.Order::attributes).orElse(Map.of());
      ObjectNode item = items.addObject();
      item.put("DBClusterId", c.id());
      item.put("DBClusterDescription", asked.getOrDefault("DBClusterDescription", c.id()));
      item.put("DBClusterStatus", c.status());
      item.put("RegionId", c.regionId());
      item.put("DBType", asked.getOrDefault("DBType", "MySQL"));
      item.put("DBVersion", asked.getOrDefault("DBVersion", "8.0"));
      item.put("PayType", asked.getOrDefault("PayType", "Postpaid"));
      item.put("CreateTime", WireTime.seconds(c.creationTime()));
      ArrayNode tags = item.putObject("Tags").putArray("Tag");
      tagsOf(c.id())
          .forEach(
              (k, v) -> {
                ObjectNode tag = tags.addObject();
                tag.put("Key", k);
                tag.put("Value", v);
              });
    }
    reply.put("TotalRecordCount", matching.size());
    reply.put("PageNumber", pageNumber);
    reply.put("PageRecordCount", page.size());
    return reply;
  }

  private Map<String, String> tagsOf(String dbClusterId) {
    return creations.find(dbClusterId).map(ClusterCreations.Order::tags).orElse(Map.of());
  }

  private static boolean hasTags(Map<String, String> tags, Map<String, Optional<String>> wanted) {
    return wanted.entrySet().stream()
        .allMatch(
            w ->
                tags.containsKey(w.getKey())
                    && w.getValue().map(v -> v.equals(tags.get(w.getKey()))).orElse(true));
  }

  private static ObjectNode reply(ClusterCreations.Order order) {
    ObjectNode reply = JsonNodeFactory.instance.objectNode();
    reply.put("DBClusterId", order.dbClusterId());
    reply.put("OrderId", order.orderId());
    reply.put("ResourceGroupId", order.resourceGroupId());
    return reply;
  }
}
