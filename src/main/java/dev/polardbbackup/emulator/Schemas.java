package dev.polardbbackup.emulator;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * The databases and tables inside each cluster, as they were at any moment: what DescribeMetaList
 * lists, what a backup set or a point in time can give back, what a clone carries. A cluster's
 * first databases are invented from the seed and the cluster id, so the same run always sees the
 * same names; after that only RestoreTable adds to them. A backup set needs no copy of its own: it
 * holds what the cluster held at its consistent time. Not thread-safe: used under the emulator's
 * lock.
 */
final class Schemas {
  private static final List<String> DATABASES =
      List.of("shop", "billing", "inventory", "crm", "analytics", "auth");
  private static final List<String> TABLES =
      List.of("users", "orders", "items", "payments", "events", "sessions", "invoices", "stock");

  // Per cluster: from which moment on it held which databases (name to sorted table names).
  private final Map<String, TreeMap<Instant, Map<String, List<String>>>> history = new HashMap<>();
  private final long seed;

  Schemas(long seed) {
    this.seed = seed;
  }

  /** The cluster's databases at {@code at}: name to table names, both sorted; a copy. */
  Map<String, List<String>> at(String dbClusterId, Instant at) {
    TreeMap<Instant, Map<String, List<String>>> states = states(dbClusterId);
    Map.Entry<Instant, Map<String, List<String>>> state = states.floorEntry(at);
    return new TreeMap<>(state == null ? states.firstEntry().getValue() : state.getValue());
  }

  /** A new cluster that starts with {@code databases} (a clone) or with none (a fresh cluster). */
  void start(String dbClusterId, Map<String, List<String>> databases) {
    TreeMap<Instant, Map<String, List<String>>> states = new TreeMap<>();
    states.put(Instant.MIN, Collections.unmodifiableMap(new TreeMap<>(databases)));
    history.put(dbClusterId, states);
  }

  /** From {@code now} on the cluster also holds {@code added} (database name to tables). */
  void add(String dbClusterId, Map<String, List<String>> added, Instant now) {
    Map<String, List<String>> next = at(dbClusterId, now);
    added.forEach((db, tables) -> next.put(db, List.copyOf(new java.util.TreeSet<>(tables))));
    states(dbClusterId).put(now, Collections.unmodifiableMap(next));
  }

  /** From {@code now} on the cluster no longer holds {@code database}. */
  void drop(String dbClusterId, String database, Instant now) {
    Map<String, List<String>> next = at(dbClusterId, now);
    next.remove(database);
    states(dbClusterId).put(now, Collections.unmodifiableMap(next));
  }

  private TreeMap<Instant, Map<String, List<String>>> states(String dbClusterId) {
    return history.computeIfAbsent(
        dbClusterId,
        id -> {
          TreeMap<Instant, Map<String, List<String>>> states = new TreeMap<>();
          states.put(Instant.MIN, invent(id));
          return states;
        });
  }

  /** Two or three databases of two to four tables each, the same for the same seed and id. */
  private Map<String, List<String>> invent(String dbClusterId) {
    Random random = new Random(seed * 1_000_003L + dbClusterId.hashCode());
    List<String> names = new ArrayList<>(DATABASES);
    Collections.shuffle(names, random);
    Map<String, List<String>> databases = new TreeMap<>();
    for (String db : names.subList(0, 2 + random.nextInt(2))) {
      List<String> tables = new ArrayList<>(TABLES);
      Collections.shuffle(tables, random);
      databases.put(
          db, List.copyOf(new java.util.TreeSet<>(tables.subList(0, 2 + random.nextInt(3)))));
    }
    return Collections.unmodifiableMap(databases);
  }
}
