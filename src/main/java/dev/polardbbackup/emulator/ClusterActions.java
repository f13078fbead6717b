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
 * cluster, as of now, a backup set or a point in time), DeleteDBCluster and
 * DescribeDBClusterEndpoints. Not thread-safe: used under the emulator's lock.
 */
final class ClusterActions {
  static final Set<String> ACTIONS =
      Set.of("CreateDBCluster", "DeleteDBCluster", "DescribeDBClusterEndpoints");

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

  private static ObjectNode reply(ClusterCreations.Order order) {
    ObjectNode reply = JsonNodeFactory.instance.objectNode();
    reply.put("DBClusterId", order.dbClusterId());
    reply.put("OrderId", order.orderId());
    reply.put("ResourceGroupId", order.resourceGroupId());
    return reply;
  }
}
