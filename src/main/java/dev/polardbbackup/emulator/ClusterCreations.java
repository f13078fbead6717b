package dev.polardbbackup.emulator;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every cluster CreateDBCluster made, what it was asked for, and the ClientTokens that made them;
 * and every table restore. The ledger is read from here. Not thread-safe: used under the emulator's
 * lock.
 */
final class ClusterCreations {

  /** What CreateDBCluster was asked for, kept for DescribeDBClusterAttribute and the ledger. */
  record Order(
      String dbClusterId,
      String orderId,
      String resourceGroupId,
      String clientToken,
      String fingerprint,
      String source,
      String cloneDataPoint,
      Instant createdAt,
      Map<String, String> attributes,
      Map<String, String> tags) {

    Order {
      attributes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
      tags = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tags));
    }
  }

  private final Map<String, Order> orders = new LinkedHashMap<>();
  private final Map<String, Instant> deletedAt = new HashMap<>();
  private final Map<String, Order> tokens = new HashMap<>();
  private final List<TableRestoreRecord> restores = new ArrayList<>();
  private final Duration tokenTtl;

  ClusterCreations(Duration tokenTtl) {
    this.tokenTtl = tokenTtl;
  }

  /**
   * The order an earlier request with this ClientToken made, under the same rules as CreateBackup's
   * tokens (see {@code Backups.replay}): the same parameters get the first result, for as long as
   * the token is remembered; other parameters get IdempotentParameterMismatch.
   */
  Optional<Order> replay(String clientToken, String fingerprint, Instant now) {
    if (clientToken == null) {
      return Optional.empty();
    }
    Order first = tokens.get(clientToken);
    if (first != null && Duration.between(first.createdAt(), now).compareTo(tokenTtl) > 0) {
      tokens.remove(clientToken);
      first = null;
    }
    if (first == null) {
      return Optional.empty();
    }
    if (!first.fingerprint().equals(fingerprint)) {
      throw new ApiError(
          400,
          "IdempotentParameterMismatch",
          "The request uses the same client token as a previous, but non-identical request.");
    }
    return Optional.of(first);
  }

  void add(Order order) {
    orders.put(order.dbClusterId(), order);
    if (order.clientToken() != null) {
      tokens.put(order.clientToken(), order);
    }
  }

  Optional<Order> find(String dbClusterId) {
    return Optional.ofNullable(orders.get(dbClusterId));
  }

  /** Any cluster, made here or not; only the first deletion counts. */
  void deleted(String dbClusterId, Instant now) {
    if (orders.containsKey(dbClusterId)) {
      deletedAt.putIfAbsent(dbClusterId, now);
    }
  }

  void restored(TableRestoreRecord restore) {
    restores.add(restore);
  }

  List<ClusterRecord> records() {
    return orders.values().stream()
        .map(
            o ->
                new ClusterRecord(
                    o.dbClusterId(),
                    o.orderId(),
                    o.clientToken(),
                    o.source(),
                    o.cloneDataPoint(),
                    o.createdAt(),
                    deletedAt.containsKey(o.dbClusterId()),
                    deletedAt.get(o.dbClusterId()),
                    o.tags()))
        .toList();
  }

  List<TableRestoreRecord> restores() {
    return List.copyOf(restores);
  }
}
