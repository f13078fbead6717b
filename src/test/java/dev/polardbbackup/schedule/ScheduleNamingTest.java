package dev.polardbbackup.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class ScheduleNamingTest {

  @Test
  void childNameIsTheScheduleNameAndTheTickInUtc() {
    assertEquals(
        "nightly-203001020200",
        ChildCreation.childName("nightly", Instant.parse("2030-01-02T02:00:00Z")));
  }

  @Test
  void aLongScheduleNameStillMakesAValidChildName() {
    String longName = "a".repeat(240) + ".b-c";
    String name = ChildCreation.childName(longName, Instant.parse("2030-01-02T02:00:00Z"));
    assertTrue(name.length() <= 253, name);
    assertTrue(name.endsWith("-203001020200"));
    assertTrue(name.matches("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"), name);
  }

  @Test
  void aLongScheduleNameGetsAShortUniqueLabelValue() {
    String a = "x".repeat(70) + "-one";
    String b = "x".repeat(70) + "-two";
    String la = ChildCreation.labelValue(a);
    assertTrue(la.length() <= 63, la);
    assertNotEquals(la, ChildCreation.labelValue(b));
    assertEquals("nightly", ChildCreation.labelValue("nightly"));
  }

  @Test
  void gitOpsTrackingLabelsAreNotInherited() {
    for (String key :
        new String[] {
          "app.kubernetes.io/instance",
          "app.kubernetes.io/managed-by",
          "argocd.argoproj.io/instance",
          "kustomize.toolkit.fluxcd.io/name",
          "kustomize.toolkit.fluxcd.io/namespace",
          "helm.toolkit.fluxcd.io/name",
          "helm.sh/chart",
        }) {
      assertFalse(ChildCreation.inheritable(key), key);
    }
    assertTrue(ChildCreation.inheritable("team"));
    assertTrue(ChildCreation.inheritable("app.kubernetes.io/part-of"));
  }
}
