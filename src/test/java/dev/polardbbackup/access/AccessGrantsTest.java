package dev.polardbbackup.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polardbbackup.model.ClusterPattern;
import dev.polardbbackup.model.GrantedAction;
import dev.polardbbackup.model.PolarDBAccessGrant;
import dev.polardbbackup.model.PolarDBAccessGrantSpec;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The rules of a grant decision, without an operator: selectors, patterns, actions, messages. */
class AccessGrantsTest {

  private static PolarDBAccessGrant grant(
      String name, LabelSelector selector, String cluster, GrantedAction... actions) {
    return new PolarDBAccessGrant(
        name,
        new PolarDBAccessGrantSpec(
            selector, List.of(new ClusterPattern("cn-*", cluster)), List.of(actions), null));
  }

  private static LabelSelector labels(String key, String value) {
    return new LabelSelectorBuilder().withMatchLabels(Map.of(key, value)).build();
  }

  private static AccessGrants.Request request(String namespace, GrantedAction... actions) {
    return new AccessGrants.Request(
        namespace, "cn-hangzhou", "pc-a1", EnumSet.copyOf(List.of(actions)));
  }

  private static boolean glob(String pattern, String clusterId) {
    return new ClusterPattern("*", pattern).covers("cn-hangzhou", clusterId);
  }

  @Test
  void globsMatchWholeNamesWithStarsAnywhere() {
    assertTrue(glob("*", ""));
    assertTrue(glob("pc-a*", "pc-a1"));
    assertTrue(glob("pc-*-prod", "pc-x-prod"));
    assertTrue(glob("*a*b*", "xaybz"));
    assertFalse(glob("pc-a", "pc-a1"), "no prefix match without a star");
    assertFalse(glob("pc-a*", "xpc-a1"));
    assertFalse(glob("*-prod", "pc-prod-x"));
    assertFalse(glob("a*a", "a"), "the parts may not overlap");
  }

  @Test
  void selectorsFollowKubernetesRules() {
    Map<String, String> ns = Map.of("team", "a", "env", "prod");
    assertTrue(AccessGrants.selects(new LabelSelector(), ns), "{} selects all");
    assertFalse(AccessGrants.selects(null, ns), "no selector selects nothing");
    assertTrue(AccessGrants.selects(labels("team", "a"), ns));
    assertFalse(AccessGrants.selects(labels("team", "b"), ns));
    assertTrue(
        AccessGrants.selects(expression("env", "In", "prod", "stage"), ns)
            && AccessGrants.selects(expression("env", "NotIn", "dev"), ns)
            && AccessGrants.selects(expression("team", "Exists"), ns)
            && AccessGrants.selects(expression("owner", "DoesNotExist"), ns)
            && AccessGrants.selects(expression("owner", "NotIn", "x"), ns));
    assertFalse(AccessGrants.selects(expression("env", "In", "dev"), ns));
    assertFalse(AccessGrants.selects(expression("team", "DoesNotExist"), ns));
    assertFalse(AccessGrants.selects(expression("team", "Gt", "1"), ns), "unknown operator");
  }

  private static LabelSelector expression(String key, String operator, String... values) {
    return new LabelSelectorBuilder()
        .addNewMatchExpression()
        .withKey(key)
        .withOperator(operator)
        .withValues(values)
        .endMatchExpression()
        .build();
  }

  @Test
  void oneGrantMustCoverEveryActionAndTheFirstByNameIsUsed() {
    var backupOnly = grant("a-backup", labels("team", "a"), "pc-a*", GrantedAction.Backup);
    var deleteOnly = grant("b-delete", labels("team", "a"), "pc-a*", GrantedAction.Delete);
    var decision =
        AccessGrants.decide(
            Stream.of(deleteOnly, backupOnly),
            Map.of("team", "a"),
            request("team-a", GrantedAction.Backup, GrantedAction.Delete));
    var refused = assertInstanceOf(AccessGrants.Refused.class, decision);
    assertTrue(
        refused
            .message()
            .contains("a-backup does not grant Delete; b-delete does not grant Backup"),
        refused.message());

    var both =
        grant("c-both", labels("team", "a"), "pc-*", GrantedAction.Backup, GrantedAction.Delete);
    var also = grant("d-also", labels("team", "a"), "*", GrantedAction.values());
    var granted =
        AccessGrants.decide(
            Stream.of(also, deleteOnly, both, backupOnly),
            Map.of("team", "a"),
            request("team-a", GrantedAction.Backup, GrantedAction.Delete));
    assertEquals(
        "c-both",
        assertInstanceOf(AccessGrants.Granted.class, granted).grant().getMetadata().getName());
  }

  @Test
  void theNamespaceNameLabelIsMatchedEvenWhenTheServerSetsNone() {
    var byName =
        grant("by-name", labels(AccessGrants.NAME_LABEL, "team-a"), "*", GrantedAction.Backup);
    assertInstanceOf(
        AccessGrants.Granted.class,
        AccessGrants.decide(Stream.of(byName), null, request("team-a", GrantedAction.Backup)));
    // A label on the namespace cannot claim another namespace's name.
    var refused =
        AccessGrants.decide(
            Stream.of(byName),
            Map.of(AccessGrants.NAME_LABEL, "team-a"),
            request("team-b", GrantedAction.Backup));
    var message = assertInstanceOf(AccessGrants.Refused.class, refused).message();
    assertTrue(message.contains("No grant selects this namespace"), message);
    assertFalse(message.contains("by-name"), "grants of other namespaces are not named");
  }
}
