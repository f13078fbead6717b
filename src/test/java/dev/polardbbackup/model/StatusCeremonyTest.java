package dev.polardbbackup.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code copy()}, {@code equals} and {@code hashCode} of the status classes cover every field,
 * including fields added later: each declared field is found by reflection and given a value, so a
 * new field that a copy would lose, or that equality would ignore, fails here without an edit to
 * this test (a field of a type this test cannot fill fails too, and says so).
 */
class StatusCeremonyTest {

  record Status(Class<?> type, UnaryOperator<Object> copy) {
    @Override
    public String toString() {
      return type.getSimpleName();
    }
  }

  static Stream<Status> statuses() {
    return Stream.of(
        new Status(PolarDBBackupStatus.class, s -> ((PolarDBBackupStatus) s).copy()),
        new Status(
            PolarDBBackupScheduleStatus.class, s -> ((PolarDBBackupScheduleStatus) s).copy()),
        new Status(PolarDBBackupPolicyStatus.class, s -> ((PolarDBBackupPolicyStatus) s).copy()),
        new Status(PolarDBRestoreStatus.class, s -> ((PolarDBRestoreStatus) s).copy()));
  }

  @ParameterizedTest
  @MethodSource("statuses")
  void aCopyHasEveryFieldAndEqualsTheOriginal(Status status) throws Exception {
    Object original = filled(status.type(), 0);
    Object copy = status.copy().apply(original);

    assertNotSame(original, copy);
    for (Field field : fields(status.type())) {
      Object value = field.get(copy);
      assertNotNull(value, field.getName() + " is lost by copy()");
      assertEquals(field.get(original), value, field.getName() + " is changed by copy()");
    }
    assertEquals(original, copy);
    assertEquals(copy, original);
    assertEquals(original.hashCode(), copy.hashCode());
  }

  @ParameterizedTest
  @MethodSource("statuses")
  void aCopySharesNothingThatCanChange(Status status) throws Exception {
    Object original = filled(status.type(), 0);
    Object copy = status.copy().apply(original);

    for (Field field : fields(status.type())) {
      if (field.get(original) instanceof List<?> list) {
        List<?> copied = (List<?>) field.get(copy);
        assertNotSame(list, copied, field.getName() + " is shared by copy()");
        for (int i = 0; i < list.size(); i++) {
          if (list.get(i) instanceof Condition) {
            assertNotSame(list.get(i), copied.get(i), field.getName() + " is copied shallowly");
          }
        }
      }
    }
    @SuppressWarnings("unchecked")
    List<Condition> conditions = (List<Condition>) field(status.type(), "conditions").get(copy);
    conditions.get(0).setMessage("changed in the copy");
    conditions.add(condition(1));
    assertEquals(filled(status.type(), 0), original);
  }

  @ParameterizedTest
  @MethodSource("statuses")
  void changingAnyOneFieldMakesThemUnequal(Status status) throws Exception {
    Object original = filled(status.type(), 0);
    for (Field field : fields(status.type())) {
      for (Object other : new Object[] {sample(field.getGenericType(), 1), null}) {
        Object changed = filled(status.type(), 0);
        assertEquals(original, changed);
        field.set(changed, other);
        assertNotEquals(original, changed, "equals ignores " + field.getName());
        assertNotEquals(changed, original, "equals ignores " + field.getName());
      }
    }
  }

  /** A status with every field set; the same variant gives equal statuses. */
  private static Object filled(Class<?> type, int variant) throws Exception {
    Object status = type.getConstructor().newInstance();
    for (Field field : fields(type)) {
      field.set(status, sample(field.getGenericType(), variant));
    }
    return status;
  }

  private static List<Field> fields(Class<?> type) {
    List<Field> fields = new ArrayList<>();
    for (Field field : type.getDeclaredFields()) {
      if (!Modifier.isStatic(field.getModifiers())) {
        field.setAccessible(true);
        fields.add(field);
      }
    }
    return fields;
  }

  private static Field field(Class<?> type, String name) {
    return fields(type).stream()
        .filter(f -> f.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError(type + " has no " + name));
  }

  /** A non-default value of the type; different variants give different values. */
  private static Object sample(Type type, int variant) throws Exception {
    if (type instanceof ParameterizedType p && p.getRawType() == List.class) {
      List<Object> list = new ArrayList<>();
      list.add(sample(p.getActualTypeArguments()[0], variant));
      return list;
    }
    if (type instanceof ParameterizedType p && p.getRawType() == Map.class) {
      Map<Object, Object> map = new HashMap<>();
      map.put(
          sample(p.getActualTypeArguments()[0], variant),
          sample(p.getActualTypeArguments()[1], variant));
      return map;
    }
    if (type == String.class) {
      return "value-" + variant;
    }
    if (type == Integer.class) {
      return 7 + variant;
    }
    if (type == Long.class) {
      return 7L + variant;
    }
    if (type == Boolean.class) {
      return variant == 0;
    }
    if (type == Condition.class) {
      return condition(variant);
    }
    if (type instanceof Class<?> c && c.isEnum()) {
      // Variants 0 and 1 differ for any enum of two constants or more.
      return c.getEnumConstants()[(variant + 1) % c.getEnumConstants().length];
    }
    if (type instanceof Class<?> c && c.isRecord()) {
      RecordComponent[] components = c.getRecordComponents();
      Object[] values = new Object[components.length];
      Class<?>[] types = new Class<?>[components.length];
      for (int i = 0; i < components.length; i++) {
        values[i] = sample(components[i].getGenericType(), variant);
        types[i] = components[i].getType();
      }
      return c.getDeclaredConstructor(types).newInstance(values);
    }
    return fail("no sample value for " + Objects.toString(type) + "; teach this test one");
  }

  private static Condition condition(int variant) {
    return new ConditionBuilder()
        .withType("Type" + variant)
        .withStatus(variant == 0 ? "True" : "False")
        .withReason("Reason" + variant)
        .withMessage("message " + variant)
        .withLastTransitionTime("2026-12-0" + (variant + 1) + "T00:00:00Z")
        .withObservedGeneration(3L + variant)
        .build();
  }
}
