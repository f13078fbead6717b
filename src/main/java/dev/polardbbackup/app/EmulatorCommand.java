package dev.polardbbackup.app;

import dev.polardbbackup.emulator.EmulatorServer;
import dev.polardbbackup.emulator.FaultSpec;
import dev.polardbbackup.emulator.PolarDbEmulator;
import dev.polardbbackup.emulator.PolicyReadings;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code emulator}: runs the PolarDB OpenAPI emulator on its own, for trying the operator against
 * it locally or in a kind cluster. Option values are parsed here rather than by picocli converters
 * so that a bad value ends with one readable line instead of the whole usage text.
 */
@Command(
    name = "emulator",
    mixinStandardHelpOptions = true,
    description = {
      "Runs an emulator of the PolarDB OpenAPI (backups, cluster attributes, clones and table"
          + " restores) and STS"
          + " AssumeRoleWithOIDC, with V1/V3 signature checks, quotas and fault injection.",
      "Admin endpoints: GET /_emulator/ledger[?calls=true], POST /_emulator/clusters,"
          + " POST|DELETE /_emulator/faults, POST /_emulator/backup-outcome,"
          + " POST /_emulator/backup-duration, POST /_emulator/backups (a console backup:"
          + " {\"dbClusterId\": ...}), DELETE /_emulator/backups?dbClusterId=..&backupId=.. (a"
          + " console deletion), GET|POST /_emulator/backup-policy (read, or change behind the"
          + " operator's back: {\"dbClusterId\": ..., \"<Field>\": ...}), DELETE"
          + " /_emulator/clusters?dbClusterId=..[&backupRetentionPolicyOnClusterDeletion=..]"
          + " (its backup sets go or stay as the cluster's policy says), POST"
          + " /_emulator/cluster-creation-duration ({\"durationMs\": ..}), POST"
          + " /_emulator/insufficient-capacity ({\"action\": \"CreateDBCluster\"|\"RestoreTable\","
          + " \"calls\": n}), GET /_emulator/healthz."
    })
public final class EmulatorCommand implements Callable<Integer> {
  static final String DEMO_KEY_ID = "LTAI5tEmulatorDemoKey";
  static final String DEMO_KEY_SECRET = "emulator-demo-secret";
  private static final List<String> DEMO_CLUSTERS = List.of("pc-demo1", "pc-demo2", "pc-demo3");

  @Option(names = "--port", description = "Port to listen on; 0 picks a free one (default 8700).")
  int port = 8700;

  @Option(names = "--bind", description = "Address to bind (default 127.0.0.1).")
  String bind = "127.0.0.1";

  @Option(
      names = "--access-key",
      paramLabel = "ID:SECRET",
      description = "An accepted AccessKey; repeatable. Default: " + DEMO_KEY_ID + ".")
  List<String> accessKeys = new ArrayList<>();

  @Option(
      names = "--cluster",
      paramLabel = "ID[:REGION[:STATUS]]",
      description = "A cluster; repeatable. Default: pc-demo1..3 in cn-hangzhou, Running.")
  List<String> clusters = new ArrayList<>();

  @Option(
      names = "--backup-duration",
      description = "How long a manual backup runs, e.g. 500ms, 60s, 2m (default 60s).")
  String backupDuration = "60s";

  @Option(names = "--quota", description = "Manual backups allowed per cluster (default 3).")
  int quota = 3;

  @Option(
      names = "--quota-mode",
      description = "retained (at most N exist) or daily (at most N per day); default retained.")
  String quotaMode = "retained";

  @Option(
      names = "--quota-zone",
      description = "Time zone whose midnight resets the daily quota (default Asia/Shanghai).")
  String quotaZone = "Asia/Shanghai";

  @Option(
      names = "--quota-check-order",
      description =
          "token-first (a repeated ClientToken is answered before the cluster and quota checks) or"
              + " quota-first (checked like a new request first); default token-first.")
  String quotaCheckOrder = "token-first";

  @Option(
      names = "--token-ttl",
      description =
          "How long a ClientToken is remembered after its first use, e.g. 30s, 10m, 24h, or"
              + " forever (default forever).")
  String tokenTtl = "forever";

  @Option(
      names = "--job-id-equals-backup-id",
      description = "Make BackupJobId equal the BackupId of the backup set it creates.")
  boolean jobIdEqualsBackupId;

  @Option(
      names = "--task-retention",
      description = "How long a finished job stays in DescribeBackupTasks (default 60s).")
  String taskRetention = "60s";

  @Option(
      names = "--task-listing-lag",
      description =
          "How long after its creation a job first shows in DescribeBackupTasks, e.g. 5s"
              + " (default 0s; DescribeBackups lists the backup at once).")
  String taskListingLag = "0s";

  @Option(
      names = "--delete-failed-backups",
      description =
          "Let DeleteBackup delete a backup set in status Failed (default: refused with"
              + " IncorrectBackupSetState, as the docs allow only Success).")
  boolean deleteFailedBackups;

  @Option(
      names = "--policy-retention-max-days",
      description =
          "The longest DataLevel1BackupRetentionPeriod ModifyBackupPolicy accepts: 14 (API"
              + " reference; default) or 30 (Alibaba's Terraform provider).")
  int policyRetentionMaxDays = PolicyReadings.defaults().level1RetentionMaxDays();

  @Option(
      names = "--policy-describe-names",
      description =
          "Which names DescribeBackupPolicy answers the level-1 period, window and frequency"
              + " with: legacy (PreferredBackup*), data-level-1 (DataLevel1Backup*) or both"
              + " (default).")
  String policyDescribeNames = "both";

  @Option(
      names = "--policy-legacy-names-refused",
      description =
          "Refuse the PreferredBackup* names in ModifyBackupPolicy (the newer docs' reading for"
              + " regions with cross-region backup); default accepted.")
  boolean policyLegacyNamesRefused;

  @Option(
      names = "--policy-modify-requires-window",
      description =
          "Require the level-1 period and window in every ModifyBackupPolicy, as older docs"
              + " mark them required; default optional.")
  boolean policyModifyRequiresWindow;

  @Option(
      names = "--cluster-creation-duration",
      description =
          "How long a cluster made by CreateDBCluster is Creating before Running, e.g. 30s, 5m"
              + " (default 60s).")
  String clusterCreationDuration = "60s";

  @Option(
      names = "--delete-cluster-while-creating",
      description =
          "Let DeleteDBCluster delete a cluster that is still Creating (default: refused with"
              + " OperationDenied.DBClusterStatus).")
  boolean deleteClusterWhileCreating;

  @Option(
      names = "--meta-list-needs-backup-or-time",
      description =
          "Refuse DescribeMetaList without BackupId or RestoreTime (MissingBackupId); default: it"
              + " lists the cluster's databases as they are now.")
  boolean metaListNeedsBackupOrTime;

  @Option(names = "--seed", description = "Seed for ids, sizes and faults (default 1).")
  long seed = 1;

  @Option(
      names = "--fault",
      paramLabel = "ACTION:key=value,...",
      description =
          "Inject faults into ACTION (or *): latencyMs, throttleRate, serverErrorRate,"
              + " lostResponseRate; repeatable.")
  List<String> faults = new ArrayList<>();

  @Option(
      names = "--oidc-role",
      paramLabel = "ROLE_ARN,PROVIDER_ARN",
      description = "A role that STS AssumeRoleWithOIDC may assume; repeatable.")
  List<String> oidcRoles = new ArrayList<>();

  private final PrintStream out;
  private final PrintStream err;

  public EmulatorCommand() {
    this(System.out, System.err);
  }

  EmulatorCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  @Override
  public Integer call() throws IOException, InterruptedException {
    PolarDbEmulator emulator;
    InetSocketAddress address;
    try {
      emulator = configure();
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("--port must be between 0 and 65535, not " + port);
      }
      address = new InetSocketAddress(bind, port);
      if (address.isUnresolved()) {
        throw new IllegalArgumentException("--bind: cannot resolve " + bind);
      }
    } catch (IllegalArgumentException e) {
      err.println("emulator: " + e.getMessage());
      return 2;
    }
    EmulatorServer server;
    try {
      server = EmulatorServer.start(emulator, address);
    } catch (IOException e) {
      err.println("emulator: cannot listen on " + bind + ":" + port + ": " + e.getMessage());
      return 1;
    }
    UntilSignalled running = new UntilSignalled("emulator", server);
    out.println("PolarDB emulator listening on " + server.baseUri());
    out.flush();
    err.println("emulator: access keys " + keyIds() + "; clusters " + clusterSummary());
    running.await();
    return 0;
  }

  /** Builds the emulator from the options; IllegalArgumentException on a bad value. */
  PolarDbEmulator configure() {
    PolarDbEmulator.Builder builder =
        PolarDbEmulator.builder()
            .seed(seed)
            .backupDuration(duration("--backup-duration", backupDuration))
            .quota(requireNonNegative("--quota", quota))
            .quotaMode(quotaMode(quotaMode))
            .dailyQuotaZone(zone(quotaZone))
            .quotaCheckOrder(quotaCheckOrder(quotaCheckOrder))
            .tokenTtl(tokenTtl(tokenTtl))
            .jobIdEqualsBackupId(jobIdEqualsBackupId)
            .taskListingLag(duration("--task-listing-lag", taskListingLag))
            .taskRetention(duration("--task-retention", taskRetention))
            .deleteFailedBackups(deleteFailedBackups)
            .clusterCreationDuration(
                duration("--cluster-creation-duration", clusterCreationDuration))
            .deleteClusterWhileCreating(deleteClusterWhileCreating)
            .metaListNeedsBackupOrTime(metaListNeedsBackupOrTime)
            .policyReadings(policyReadings());
    if (accessKeys.isEmpty()) {
      builder.accessKey(DEMO_KEY_ID, DEMO_KEY_SECRET);
    }
    for (String key : accessKeys) {
      int colon = key.indexOf(':');
      if (colon <= 0 || colon == key.length() - 1) {
        throw new IllegalArgumentException("--access-key must be ID:SECRET");
      }
      builder.accessKey(key.substring(0, colon), key.substring(colon + 1));
    }
    for (String cluster : clusters.isEmpty() ? DEMO_CLUSTERS : clusters) {
      String[] parts = cluster.split(":", -1);
      if (parts.length > 3 || parts[0].isBlank()) {
        throw new IllegalArgumentException(
            "--cluster must be ID[:REGION[:STATUS]], not " + cluster);
      }
      builder.cluster(
          parts[0],
          parts.length > 1 && !parts[1].isBlank() ? parts[1] : "cn-hangzhou",
          parts.length > 2 && !parts[2].isBlank() ? parts[2] : "Running");
    }
    for (String role : oidcRoles) {
      String[] parts = role.split(",", -1);
      if (parts.length != 2 || parts[0].isBlank() || parts[1].isBlank()) {
        throw new IllegalArgumentException("--oidc-role must be ROLE_ARN,PROVIDER_ARN");
      }
      builder.oidcRole(parts[0].trim(), parts[1].trim());
    }
    List<ActionFault> parsedFaults = faults.stream().map(EmulatorCommand::fault).toList();
    PolarDbEmulator emulator = builder.build();
    parsedFaults.forEach(f -> emulator.setFault(f.action(), f.spec()));
    return emulator;
  }

  /** The backup-policy readings the {@code --policy-*} options choose. */
  PolicyReadings policyReadings() {
    if (policyRetentionMaxDays != 14 && policyRetentionMaxDays != 30) {
      throw new IllegalArgumentException(
          "--policy-retention-max-days must be 14 or 30, not " + policyRetentionMaxDays);
    }
    PolicyReadings.Names names =
        switch (policyDescribeNames.toLowerCase(java.util.Locale.ROOT)) {
          case "legacy" -> PolicyReadings.Names.LEGACY;
          case "data-level-1" -> PolicyReadings.Names.DATA_LEVEL_1;
          case "both" -> PolicyReadings.Names.BOTH;
          default ->
              throw new IllegalArgumentException(
                  "--policy-describe-names must be legacy, data-level-1 or both, not "
                      + policyDescribeNames);
        };
    return PolicyReadings.defaults()
        .withLevel1RetentionMaxDays(policyRetentionMaxDays)
        .withDescribeNames(names)
        .withLegacyNamesInModify(!policyLegacyNamesRefused)
        .withModifyRequiresBackupWindow(policyModifyRequiresWindow);
  }

  static Duration duration(String option, String text) {
    return DurationConverter.parse(text)
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    option + " must be a duration like 500ms, 60s, 2m, 1h or PT1M, not " + text));
  }

  /** Parses {@code ACTION:latencyMs=..,throttleRate=..,serverErrorRate=..,lostResponseRate=..}. */
  static ActionFault fault(String text) {
    int colon = text.indexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException(
          "--fault must be ACTION:key=value,... (ACTION may be *), not " + text);
    }
    long latencyMs = 0;
    double throttle = 0;
    double serverError = 0;
    double lost = 0;
    for (String pair : text.substring(colon + 1).split(",")) {
      if (pair.isBlank()) {
        continue;
      }
      String[] kv = pair.split("=", 2);
      if (kv.length != 2) {
        throw new IllegalArgumentException("--fault: expected key=value, not " + pair);
      }
      try {
        switch (kv[0].trim()) {
          case "latencyMs" -> latencyMs = Long.parseLong(kv[1].trim());
          case "throttleRate" -> throttle = Double.parseDouble(kv[1].trim());
          case "serverErrorRate" -> serverError = Double.parseDouble(kv[1].trim());
          case "lostResponseRate" -> lost = Double.parseDouble(kv[1].trim());
          default ->
              throw new IllegalArgumentException(
                  "--fault: unknown key "
                      + kv[0]
                      + " (latencyMs, throttleRate, serverErrorRate, lostResponseRate)");
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--fault: " + kv[0] + " is not a number: " + kv[1]);
      }
    }
    return new ActionFault(
        text.substring(0, colon),
        new FaultSpec(Duration.ofMillis(latencyMs), throttle, serverError, lost));
  }

  record ActionFault(String action, FaultSpec spec) {}

  private static PolarDbEmulator.QuotaMode quotaMode(String text) {
    try {
      return PolarDbEmulator.QuotaMode.valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--quota-mode must be retained or daily, not " + text);
    }
  }

  static PolarDbEmulator.QuotaCheckOrder quotaCheckOrder(String text) {
    return switch (text.trim().toLowerCase(Locale.ROOT)) {
      case "token-first" -> PolarDbEmulator.QuotaCheckOrder.TOKEN_FIRST;
      case "quota-first" -> PolarDbEmulator.QuotaCheckOrder.QUOTA_FIRST;
      default ->
          throw new IllegalArgumentException(
              "--quota-check-order must be token-first or quota-first, not " + text);
    };
  }

  static Duration tokenTtl(String text) {
    if ("forever".equalsIgnoreCase(text.trim())) {
      return PolarDbEmulator.FOREVER;
    }
    Duration ttl = DurationConverter.parse(text).orElse(Duration.ZERO);
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException(
          "--token-ttl must be a positive duration like 30s, 10m or 24h, or forever, not " + text);
    }
    return ttl;
  }

  private static ZoneId zone(String text) {
    try {
      return ZoneId.of(text.trim());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("--quota-zone is not a time zone: " + text);
    }
  }

  private static int requireNonNegative(String option, int value) {
    if (value < 0) {
      throw new IllegalArgumentException(option + " must not be negative");
    }
    return value;
  }

  private String keyIds() {
    if (accessKeys.isEmpty()) {
      return DEMO_KEY_ID + " (secret not printed)";
    }
    List<String> ids = new ArrayList<>();
    accessKeys.forEach(k -> ids.add(k.substring(0, k.indexOf(':'))));
    return String.join(", ", ids);
  }

  private String clusterSummary() {
    return String.join(", ", clusters.isEmpty() ? DEMO_CLUSTERS : clusters);
  }
}
