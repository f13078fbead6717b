package dev.polardbbackup.model;

import static dev.polardbbackup.model.Weekday.Friday;
import static dev.polardbbackup.model.Weekday.Monday;
import static dev.polardbbackup.model.Weekday.Sunday;
import static dev.polardbbackup.model.Weekday.Wednesday;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The rules of a backup policy's spec that the CRD schema cannot enforce (no CEL on 1.20). */
class BackupPolicyRulesTest {

  private static PolarDBBackupPolicySpec spec(
      Level1Backups level1, Level2Backups level2, LogBackups logs) {
    return new PolarDBBackupPolicySpec(
        "pc-1", "cn-hangzhou", null, null, level1, level2, logs, null);
  }

  private static List<String> level1(List<Weekday> period, String window, Integer retention) {
    return spec(new Level1Backups(period, window, retention, null), null, null).problems();
  }

  private static List<String> level2(Integer retention, String region, Integer regionRetention) {
    return spec(null, new Level2Backups(null, retention, region, regionRetention), null).problems();
  }

  private static List<String> logs(Integer retention, String region, Integer regionRetention) {
    return spec(null, null, new LogBackups(retention, region, regionRetention)).problems();
  }

  private static void assertOneProblemNaming(String field, List<String> problems) {
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.get(0).startsWith(field + " "), problems.get(0));
  }

  @Test
  void aSpecThatSetsNoPolicyFieldLeavesEverythingAloneAndIsFine() {
    assertEquals(List.of(), spec(null, null, null).problems());
    assertEquals(
        List.of(),
        spec(
                new Level1Backups(null, null, null, null),
                new Level2Backups(null, null, null, null),
                new LogBackups(null, null, null))
            .problems());
  }

  @Test
  void aFullSpecWithinEveryRangeIsFine() {
    var full =
        new PolarDBBackupPolicySpec(
            "pc-1",
            "cn-hangzhou",
            new SecretReference("polardb-keys"),
            ManagementPolicy.ObserveOnly,
            new Level1Backups(List.of(Monday, Wednesday, Friday), "18:00Z-19:00Z", 14, "2/24H"),
            new Level2Backups(List.of(Monday, Friday), 365, "cn-shanghai", -1),
            new LogBackups(-1, "cn-shanghai", 30),
            RetentionOnClusterDeletion.ALL);
    assertEquals(List.of(), full.problems());
  }

  @Test
  void theManagementPolicyIsEnforceUnlessTheSpecSaysOtherwise() {
    assertEquals(ManagementPolicy.Enforce, spec(null, null, null).effectiveManagementPolicy());
    var observing =
        new PolarDBBackupPolicySpec(
            "pc-1", "cn-hangzhou", null, ManagementPolicy.ObserveOnly, null, null, null, null);
    assertEquals(ManagementPolicy.ObserveOnly, observing.effectiveManagementPolicy());
  }

  @ParameterizedTest
  @ValueSource(strings = {"00:00Z-01:00Z", "09:00Z-10:00Z", "18:00Z-19:00Z", "23:00Z-00:00Z"})
  void aBackupWindowOfOneHourOnTheHourIsFineAcrossMidnightToo(String window) {
    assertEquals(List.of(), level1(null, window, null));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "18:00Z-20:00Z",
        "18:00Z-18:00Z",
        "19:00Z-18:00Z",
        "23:00Z-01:00Z",
        "00:00Z-23:00Z",
        "22:00Z-00:00Z"
      })
  void aBackupWindowThatIsNotExactlyOneHourIsAProblem(String window) {
    List<String> problems = level1(null, window, null);
    assertOneProblemNaming("spec.level1.backupWindow", problems);
    assertTrue(problems.get(0).contains("exactly one hour"), problems.get(0));
  }

  @Test
  void aBackupWindowOnlyTheSchemaShouldHaveRefusedIsStillAProblem() {
    assertOneProblemNaming("spec.level1.backupWindow", level1(null, "18:30Z-19:30Z", null));
    assertOneProblemNaming("spec.level1.backupWindow", level1(null, "24:00Z-01:00Z", null));
  }

  @Test
  void theProblemSaysWhichWindowWouldDo() {
    assertEquals(
        List.of(
            "spec.level1.backupWindow 23:00Z-01:00Z must be exactly one hour long:"
                + " 23:00Z-00:00Z."),
        level1(null, "23:00Z-01:00Z", null));
  }

  @Test
  void aWeekdayListedTwiceIsAProblemInEitherLevel() {
    assertOneProblemNaming(
        "spec.level1.backupPeriod", level1(List.of(Monday, Wednesday, Monday), null, null));
    List<String> level2 =
        spec(null, new Level2Backups(List.of(Sunday, Friday, Sunday), null, null, null), null)
            .problems();
    assertEquals(
        List.of("spec.level2.backupPeriod lists Sunday more than once; list each day once."),
        level2);
  }

  @Test
  void twoEntriesOfTheSameDayAreNotTheTwoDaysPolarDbAsksFor() {
    List<String> problems = level1(List.of(Monday, Monday), null, null);
    assertEquals(2, problems.size(), problems.toString());
    assertTrue(problems.get(0).contains("Monday more than once"), problems.get(0));
    assertTrue(problems.get(1).contains("at least two different days"), problems.get(1));
  }

  @Test
  void sevenDifferentDaysAreFine() {
    assertEquals(List.of(), level1(List.of(Weekday.values()), null, null));
  }

  @ParameterizedTest
  @ValueSource(ints = {3, 14, 30})
  void level1RetentionFrom3To30IsLeftToPolarDb(int days) {
    assertEquals(List.of(), level1(null, null, days));
  }

  @ParameterizedTest
  @ValueSource(ints = {-1, 0, 2, 31})
  void level1RetentionOutside3To30IsAProblem(int days) {
    assertOneProblemNaming("spec.level1.retentionDays", level1(null, null, days));
  }

  @ParameterizedTest
  @ValueSource(ints = {-1, 0, 30, 31, 7299, 7300})
  void level2RetentionOffForeverOr30To7300IsFine(int days) {
    assertEquals(List.of(), level2(days, null, null));
  }

  @ParameterizedTest
  @ValueSource(ints = {-2, 1, 2, 15, 29, 7301})
  void level2RetentionInTheGapOrOutOfRangeIsAProblem(int days) {
    List<String> problems = level2(days, null, null);
    assertOneProblemNaming("spec.level2.retentionDays", problems);
    assertTrue(problems.get(0).contains("use 0 (off), 30 to 7300, or -1"), problems.get(0));
  }

  @ParameterizedTest
  @ValueSource(ints = {-1, 0, 30, 7300})
  void level2CrossRegionRetentionOffForeverOr30To7300IsFine(int days) {
    assertEquals(List.of(), level2(null, "cn-shanghai", days));
  }

  @ParameterizedTest
  @ValueSource(ints = {-2, 1, 29, 7301})
  void level2CrossRegionRetentionInTheGapIsAProblem(int days) {
    assertOneProblemNaming(
        "spec.level2.anotherRegionRetentionDays", level2(null, "cn-shanghai", days));
  }

  @ParameterizedTest
  @ValueSource(ints = {-1, 3, 4, 7300})
  void logRetentionForeverOr3To7300IsFine(int days) {
    assertEquals(List.of(), logs(days, null, null));
  }

  @ParameterizedTest
  @ValueSource(ints = {-2, 0, 1, 2, 7301})
  void logRetentionBelowThreeDaysIsAProblemAndZeroIsNotOff(int days) {
    List<String> problems = logs(days, null, null);
    assertOneProblemNaming("spec.logBackups.retentionDays", problems);
    assertTrue(problems.get(0).contains("use 3 to 7300, or -1"), problems.get(0));
  }

  @ParameterizedTest
  @ValueSource(ints = {-1, 0, 30, 7300})
  void logCrossRegionRetentionOffForeverOr30To7300IsFine(int days) {
    assertEquals(List.of(), logs(null, "cn-shanghai", days));
  }

  @ParameterizedTest
  @ValueSource(ints = {-2, 1, 29, 7301})
  void logCrossRegionRetentionInTheGapIsAProblem(int days) {
    assertOneProblemNaming(
        "spec.logBackups.anotherRegionRetentionDays", logs(null, "cn-shanghai", days));
  }

  @Test
  void aCrossRegionRetentionWithoutARegionIsAProblem() {
    assertEquals(
        List.of(
            "spec.level2.anotherRegionRetentionDays is set to 30 but spec.level2.anotherRegion"
                + " is not: name the region the copies go to."),
        level2(null, null, 30));
    assertOneProblemNaming("spec.logBackups.anotherRegionRetentionDays", logs(null, null, -1));
  }

  @Test
  void turningCrossRegionCopiesOffNeedsNoRegion() {
    assertEquals(List.of(), level2(null, null, 0));
    assertEquals(List.of(), logs(null, null, 0));
  }

  @Test
  void aRegionWithoutARetentionKeepsPolarDbsRetention() {
    assertEquals(List.of(), level2(null, "cn-shanghai", null));
    assertEquals(List.of(), logs(null, "cn-shanghai", null));
  }

  @Test
  void everyProblemIsReportedNotOnlyTheFirst() {
    List<String> problems =
        spec(
                new Level1Backups(List.of(Monday, Monday, Friday), "01:00Z-03:00Z", null, null),
                new Level2Backups(null, 10, null, 20),
                new LogBackups(1, null, 5))
            .problems();
    assertEquals(
        List.of(
            "spec.level1.backupPeriod",
            "spec.level1.backupWindow",
            "spec.level2.retentionDays",
            "spec.level2.anotherRegionRetentionDays",
            "spec.level2.anotherRegionRetentionDays",
            "spec.logBackups.retentionDays",
            "spec.logBackups.anotherRegionRetentionDays",
            "spec.logBackups.anotherRegionRetentionDays"),
        problems.stream().map(p -> p.substring(0, p.indexOf(' '))).toList(),
        problems.toString());
  }
}
