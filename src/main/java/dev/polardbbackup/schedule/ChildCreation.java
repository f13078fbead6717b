package dev.polardbbackup.schedule;

import static dev.polardbbackup.model.Conditions.timestamp;
import static dev.polardbbackup.schedule.PolarDBBackupScheduleReconciler.MANAGED_BY_LABEL;
import static dev.polardbbackup.schedule.PolarDBBackupScheduleReconciler.SCHEDULE_LABEL;

import dev.polardbbackup.kube.Events;
import dev.polardbbackup.model.BackupNowTrigger;
import dev.polardbbackup.model.BackupTemplate;
import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupSchedule;
import dev.polardbbackup.model.Reasons;
import dev.polardbbackup.shard.Shard;
import dev.polardbbackup.shard.ShardKey;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Makes the backup of a tick, under a name made of the schedule's name and the tick, so that a
 * restart between creating it and recording it finds it instead of making a second one; and the
 * backup a "back up now" annotation asks for, named after its value.
 */
final class ChildCreation {
  private static final int MAX_NAME = 253;
  private static final int MAX_LABEL_VALUE = 63;
  private static final DateTimeFormatter NAME_TIME =
      DateTimeFormatter.ofPattern("yyyyMMddHHmm").withZone(ZoneOffset.UTC);

  private final SchedulePass pass;
  private final ScheduleTicks ticks;

  ChildCreation(SchedulePass pass, ScheduleTicks ticks) {
    this.pass = pass;
    this.ticks = ticks;
  }

  void create(Instant tick) {
    String name = childName(pass.schedule.getMetadata().getName(), tick);
    PolarDBBackup child = child(name, tick);
    try {
      PolarDBBackup created = pass.context.getClient().resource(child).create();
      pass.children.handleRecentResourceCreate(ResourceID.fromResource(created), created);
      created(tick, name, "Created backup " + name + " for the tick at " + tick + ".");
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        alreadyExists(tick, name);
      } else {
        pass.stall(
            Reasons.CREATE_FAILED,
            "Could not create backup " + name + ": " + e.getCode() + " " + e.getMessage());
        pass.wakeAfter(pass.settings.errorRetry());
      }
    }
  }

  /**
   * The "back up now" annotation, once per value: one extra backup named after it, made at once
   * whatever the cron, the suspension or the concurrency policy say, without touching the tick
   * cursor. The value is recorded only after the backup exists: a restart in between finds it by
   * its name, and a value already recorded makes nothing, also after retention deleted its backup
   * (a GitOps tool keeps the annotation in place).
   */
  void createOnDemand() {
    Optional<String> trigger = pass.schedule.backupNowTrigger();
    BackupNowTrigger last = pass.status.getLastBackupNow();
    if (trigger.isEmpty() || last != null && trigger.get().equals(last.trigger())) {
      return;
    }
    String name = onDemandName(pass.schedule.getMetadata().getName(), trigger.get());
    String what =
        "the annotation " + PolarDBBackupSchedule.BACKUP_NOW_ANNOTATION + "=" + trigger.get();
    try {
      PolarDBBackup created = pass.context.getClient().resource(child(name, pass.now)).create();
      pass.children.handleRecentResourceCreate(ResourceID.fromResource(created), created);
      onDemand(trigger.get(), name, "Created backup " + name + " for " + what + ".", true);
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        pass.stall(
            Reasons.CREATE_FAILED,
            "Could not create backup " + name + ": " + e.getCode() + " " + e.getMessage());
        pass.wakeAfter(pass.settings.errorRetry());
        return;
      }
      PolarDBBackup existing = existing(name);
      if (existing != null
          && ScheduleChildren.ownedBy(existing, pass.schedule.getMetadata().getUid())) {
        onDemand(trigger.get(), name, "Found backup " + name + " for " + what + ".", false);
        return;
      }
      String message =
          "A PolarDBBackup named "
              + name
              + " already exists and does not belong to this schedule; "
              + what
              + " made nothing. Use another value.";
      pass.events.warning(pass.schedule, Reasons.NAME_CONFLICT, message);
      pass.log("{}", message);
      pass.status.setLastBackupNow(new BackupNowTrigger(trigger.get(), null, timestamp(pass.now)));
    }
  }

  private void onDemand(String trigger, String name, String message, boolean made) {
    pass.status.setLastBackupNow(new BackupNowTrigger(trigger, name, timestamp(pass.now)));
    if (made) {
      pass.status.countCreated();
    }
    pass.events.normal(pass.schedule, Reasons.BACKUP_TRIGGERED, message);
    pass.log("{}", message);
  }

  private PolarDBBackup existing(String name) {
    return pass.context
        .getClient()
        .resources(PolarDBBackup.class)
        .inNamespace(pass.schedule.getMetadata().getNamespace())
        .withName(name)
        .get();
  }

  /**
   * The name of the backup for a "back up now" value: the schedule's name, {@code -now-} and the
   * value when it is a valid name part (lower-case letters, digits and dashes, at most 40), else a
   * hash of it.
   */
  static String onDemandName(String scheduleName, String trigger) {
    String part =
        trigger.matches("^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$")
            ? trigger
            : "h" + sha256(trigger).substring(0, 12);
    String suffix = "-now-" + part;
    String base = scheduleName;
    if (base.length() + suffix.length() > MAX_NAME) {
      base = trimToAlphanumeric(base.substring(0, MAX_NAME - suffix.length()));
    }
    return base + suffix;
  }

  /**
   * The tick's name is taken. Ours: made before a restart that lost the status update, so this tick
   * is done. Someone else's: never touched; the tick is skipped.
   */
  private void alreadyExists(Instant tick, String name) {
    PolarDBBackup existing = existing(name);
    if (existing != null
        && ScheduleChildren.ownedBy(existing, pass.schedule.getMetadata().getUid())) {
      created(tick, name, "Found backup " + name + " for the tick at " + tick + ".");
      return;
    }
    String message =
        "A PolarDBBackup named "
            + name
            + " already exists and does not belong to this schedule; the tick at "
            + tick
            + " is skipped.";
    pass.stall(Reasons.NAME_CONFLICT, message);
    ticks.skip(tick, "the name " + name + " is taken");
  }

  private void created(Instant tick, String name, String message) {
    boolean counted = timestamp(tick).equals(pass.status.getLastScheduleTime());
    if (!counted) {
      pass.status.countCreated();
      pass.events.normal(pass.schedule, Reasons.BACKUP_CREATED, message);
      pass.log("{}", message);
    }
    pass.status.setLastScheduleTime(timestamp(tick));
    pass.status.setPendingTickTime(null);
  }

  private PolarDBBackup child(String name, Instant tick) {
    BackupTemplate template = pass.spec.template();
    var meta = pass.schedule.getMetadata();
    PolarDBBackup child = new PolarDBBackup(meta.getNamespace(), name, template.toBackupSpec());
    Map<String, String> labels = new LinkedHashMap<>();
    if (meta.getLabels() != null) {
      meta.getLabels().forEach((k, v) -> labels.put(k, v));
      labels.keySet().removeIf(k -> !inheritable(k));
    }
    labels.put(SCHEDULE_LABEL, labelValue(meta.getName()));
    labels.put(MANAGED_BY_LABEL, Events.COMPONENT);
    // Born in its cluster's bucket, as its schedule: the shard that owns both sees it at once.
    labels.put(Shard.LABEL, Integer.toString(ShardKey.initial(child)));
    child.getMetadata().setLabels(labels);
    child
        .getMetadata()
        .setAnnotations(Map.of(ScheduleChildren.SCHEDULED_AT_ANNOTATION, timestamp(tick)));
    child.getMetadata().setOwnerReferences(List.of(ownerReference(pass.schedule)));
    return child;
  }

  /**
   * The schedule as its children's controller: garbage collection deletes them with it, and {@code
   * blockOwnerDeletion} keeps a foreground deletion of the schedule waiting for them.
   */
  static OwnerReference ownerReference(PolarDBBackupSchedule schedule) {
    return new OwnerReferenceBuilder()
        .withApiVersion(schedule.getApiVersion())
        .withKind(schedule.getKind())
        .withName(schedule.getMetadata().getName())
        .withUid(schedule.getMetadata().getUid())
        .withController(true)
        .withBlockOwnerDeletion(true)
        .build();
  }

  /** The deterministic name of the backup for one tick: schedule name and UTC minute. */
  static String childName(String scheduleName, Instant tick) {
    return timedName(scheduleName, "-", tick);
  }

  /** The schedule's name, {@code infix} and a UTC minute, shortened to fit a name. */
  static String timedName(String scheduleName, String infix, Instant time) {
    String suffix = infix + NAME_TIME.format(time);
    String base = scheduleName;
    if (base.length() + suffix.length() > MAX_NAME) {
      base = trimToAlphanumeric(base.substring(0, MAX_NAME - suffix.length()));
    }
    return base + suffix;
  }

  /** A label value for the schedule's name; a long name is shortened with a hash of it. */
  static String labelValue(String scheduleName) {
    if (scheduleName.length() <= MAX_LABEL_VALUE) {
      return scheduleName;
    }
    String hash = sha256(scheduleName).substring(0, 10);
    return trimToAlphanumeric(scheduleName.substring(0, MAX_LABEL_VALUE - 11)) + "-" + hash;
  }

  /**
   * Labels a child may take from its schedule: not those by which Argo CD, Flux or Helm track what
   * they applied, or they would prune or adopt the child as their own.
   */
  static boolean inheritable(String labelKey) {
    return !(labelKey.equals("app.kubernetes.io/instance")
        || labelKey.equals(MANAGED_BY_LABEL)
        || labelKey.equals(SCHEDULE_LABEL)
        || labelKey.startsWith("argocd.argoproj.io/")
        || labelKey.contains("fluxcd.io/")
        || labelKey.startsWith("helm.sh/"));
  }

  private static String trimToAlphanumeric(String s) {
    int end = s.length();
    while (end > 0 && !Character.isLetterOrDigit(s.charAt(end - 1))) {
      end--;
    }
    return s.substring(0, end);
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
