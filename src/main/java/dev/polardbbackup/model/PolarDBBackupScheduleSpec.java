package dev.polardbbackup.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.ArrayList;
import java.util.List;

/**
 * When to back up, what, and how many backups to keep. Unlike a backup's spec this one is editable:
 * a change takes effect from the next tick.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PolarDBBackupScheduleSpec(
    @Required
        @Size(max = 128)
        @Pattern(SCHEDULE_PATTERN)
        @JsonPropertyDescription(
            "Standard 5-field cron (minute hour day-of-month month day-of-week), e.g. \"0 2 * * *\","
                + " or @hourly, @daily, @weekly, @monthly, @yearly.")
        String schedule,
    @Size(max = 64)
        @Pattern("^[A-Za-z0-9_+/-]+$")
        @JsonPropertyDescription(
            "IANA time zone the schedule is read in, e.g. Asia/Shanghai. Default UTC.")
        String timeZone,
    @Required @JsonPropertyDescription("The backups to create.") BackupTemplate template,
    @Default("false")
        @JsonPropertyDescription(
            "True stops new backups (running ones finish, retention still applies). Ticks"
                + " passed while suspended are skipped, not caught up.")
        Boolean suspend,
    @Default("Forbid")
        @JsonPropertyDescription(
            "Forbid (default): no new backup while the previous one of this schedule is still"
                + " running; the tick runs when it ends. Allow: start it anyway.")
        ConcurrencyPolicy concurrencyPolicy,
    @Min(0)
        @Max(31_536_000)
        @JsonPropertyDescription(
            "A tick that cannot start within this many seconds of its time is skipped.")
        Long startingDeadlineSeconds,
    @Default("Latest")
        @JsonPropertyDescription(
            "For ticks missed while the operator was not running: Latest (default) runs one"
                + " backup for the most recent of them, None skips them.")
        CatchUpPolicy catchUpPolicy,
    @Default("false")
        @JsonPropertyDescription(
            "True makes a first backup as soon as the schedule is created, not at the first tick.")
        Boolean runImmediately,
    @JsonPropertyDescription(
            "Which backups to keep: keepLast 2 and keepFailed 1 when absent. Children being made"
                + " are never deleted.")
        Retention retention,
    @JsonPropertyDescription(
            "Restore drills: every so often, restore the newest successful backup into a"
                + " throw-away clone, check that the backup's databases are listed, and delete"
                + " the clone. Needs the action Restore on the cluster. Absent: no drills.")
        RestoreDrill verify) {

  /** A schedule without restore drills. */
  public PolarDBBackupScheduleSpec(
      String schedule,
      String timeZone,
      BackupTemplate template,
      Boolean suspend,
      ConcurrencyPolicy concurrencyPolicy,
      Long startingDeadlineSeconds,
      CatchUpPolicy catchUpPolicy,
      Boolean runImmediately,
      Retention retention) {
    this(
        schedule,
        timeZone,
        template,
        suspend,
        concurrencyPolicy,
        startingDeadlineSeconds,
        catchUpPolicy,
        runImmediately,
        retention,
        null);
  }

  public static final String SCHEDULE_PATTERN =
      "^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|\\S+(\\s+\\S+){4})$";

  public boolean suspended() {
    return Boolean.TRUE.equals(suspend);
  }

  public ConcurrencyPolicy effectiveConcurrencyPolicy() {
    return concurrencyPolicy == null ? ConcurrencyPolicy.Forbid : concurrencyPolicy;
  }

  public CatchUpPolicy effectiveCatchUpPolicy() {
    return catchUpPolicy == null ? CatchUpPolicy.Latest : catchUpPolicy;
  }

  public boolean runsImmediately() {
    return Boolean.TRUE.equals(runImmediately);
  }

  public Retention effectiveRetention() {
    return retention == null ? Retention.defaults() : retention;
  }

  /**
   * What is wrong with this spec's restore drill that the CRD schema cannot say, one sentence per
   * problem naming the field; empty when nothing is (or when there are no drills). The cron
   * expression and time zone are checked where the schedule is parsed.
   */
  public List<String> problems() {
    List<String> problems = new ArrayList<>();
    if (verify != null) {
      verify.problems(problems);
    }
    return problems;
  }

  /** A spec with the usual defaults and the given schedule and template. */
  public static PolarDBBackupScheduleSpec of(String schedule, BackupTemplate template) {
    return new PolarDBBackupScheduleSpec(
        schedule, null, template, false, null, null, null, false, null, null);
  }
}
