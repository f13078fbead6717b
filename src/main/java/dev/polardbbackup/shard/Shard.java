package dev.polardbbackup.shard;

import dev.polardbbackup.model.PolarDBBackup;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.zip.CRC32;

/**
 * Shard {@code index} of {@code count}. A resource's bucket is a stable hash of its cluster's
 * region and id into {@value #BUCKETS} buckets, fixed for ever (so a resize relabels nothing);
 * shard i owns the buckets b with {@code b % count == i}. One shard of one is the unsharded
 * operator.
 */
public record Shard(int index, int count) {
  /** The label that carries a resource's bucket. */
  public static final String LABEL = PolarDBBackup.GROUP + "/shard-bucket";

  /** How many buckets there are: the most shards a deployment can have. */
  public static final int BUCKETS = 64;

  public static final Shard ONLY = new Shard(0, 1);

  private static final Pattern SHARD_LEASE = Pattern.compile("-shard-(\\d+)-of-(\\d+)$");

  public Shard {
    if (count < 1 || count > BUCKETS) {
      throw new IllegalArgumentException("--shards must be 1.." + BUCKETS + ", not " + count);
    }
    if (index < 0 || index >= count) {
      throw new IllegalArgumentException(
          "--shard must be 0.." + (count - 1) + " with --shards " + count + ", not " + index);
    }
  }

  public boolean sharded() {
    return count > 1;
  }

  /** The bucket of a cluster: the same in every process, whatever the shard count. */
  public static int bucket(String regionId, String dbClusterId) {
    return bucket(regionId + "/" + dbClusterId);
  }

  /** The bucket of a key (region and cluster, or what stands for them). */
  public static int bucket(String key) {
    CRC32 crc = new CRC32();
    crc.update(key.getBytes(StandardCharsets.UTF_8));
    return (int) (crc.getValue() % BUCKETS);
  }

  public boolean owns(int bucket) {
    return bucket % count == index;
  }

  /** A label value this shard owns, or empty for a missing or malformed one. */
  public Optional<Integer> ownedBucket(String label) {
    return parse(label).filter(this::owns);
  }

  /**
   * The bucket a label value names, or empty if it names none. Only the plain decimal form counts
   * ("7", not "07"): label selectors compare text, so no shard would select another spelling.
   */
  public static Optional<Integer> parse(String label) {
    if (label == null || !label.matches("0|[1-9][0-9]?")) {
      return Optional.empty();
    }
    int bucket = Integer.parseInt(label);
    return bucket < BUCKETS ? Optional.of(bucket) : Optional.empty();
  }

  /** Every bucket's label value. */
  public static String[] allBuckets() {
    return IntStream.range(0, BUCKETS).mapToObj(Integer::toString).toArray(String[]::new);
  }

  /** The label selector of this shard's resources, or empty when unsharded (all of them). */
  public Optional<String> selector() {
    if (!sharded()) {
      return Optional.empty();
    }
    return Optional.of(
        LABEL
            + " in ("
            + IntStream.range(0, BUCKETS)
                .filter(this::owns)
                .mapToObj(Integer::toString)
                .collect(Collectors.joining(","))
            + ")");
  }

  /** The selector {@code base} narrowed to this shard's resources. */
  public String selector(String base) {
    return selector().map(s -> base + "," + s).orElse(base);
  }

  /**
   * The Lease this shard's replicas elect a leader with: {@code base} itself unsharded (the name an
   * unsharded operator has always used), else {@code base-shard-<index>-of-<count>}.
   */
  public String leaseName(String base) {
    return sharded() ? base + "-shard-" + index + "-of-" + count : base;
  }

  /**
   * The shard count a Lease named {@code name} belongs to, if it is one of this operator's leases
   * named from {@code base}.
   */
  public static Optional<Integer> countOfLease(String base, String name) {
    if (name.equals(base)) {
      return Optional.of(1);
    }
    if (!name.startsWith(base + "-shard-")) {
      return Optional.empty();
    }
    Matcher m = SHARD_LEASE.matcher(name.substring(base.length()));
    return m.matches() ? Optional.of(Integer.parseInt(m.group(2))) : Optional.empty();
  }

  @Override
  public String toString() {
    return "shard " + index + " of " + count;
  }
}
