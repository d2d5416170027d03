package dev.pincette.examples.fuzz;

import dev.pincette.Compute;
import dev.pincette.ComputeOn;
import dev.pincette.DeviceArray;
import dev.pincette.Precision;
import dev.pincette.examples.check.Checks;
import dev.pincette.examples.fuzz.Target.Case;
import dev.pincette.kernels.ReduceOp;
import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.List;

/**
 * Resident arrays ({@code Compute.upload} of each array type, {@code zeros}, {@code sum(DeviceArray)} and every method
 * of {@link DeviceArray}, open and closed), and the bindings kernels and products run under ({@code checkingRaces},
 * {@code with}, {@code precision}).
 */
final class ResidentTargets {
  private static final List<Class<?>> ARRAY_TYPES = List.of(float[].class, double[].class, int[].class, long[].class,
      byte[].class);

  private ResidentTargets() {}

  static List<Target> all() {
    List<Target> t = new ArrayList<>();
    for (Class<?> type : ARRAY_TYPES) {
      t.add(new Target(Compute.class, "upload", new Class<?>[] {type}, g -> {
        Object values = g.chance(0.05) ? null : host(g, type, g.small(g.chance(0.9) ? 100 : 100_000));
        Expect e = new Expect.Builder().npe(values == null, "values").returns(r -> {
          DeviceArray<?> d = (DeviceArray<?>) r;
          if (d.arrayType() != type) return "a DeviceArray of " + d.arrayType().getSimpleName();
          String wrong = KernelTargets.sameArray(values, d.download());
          return wrong == null ? null : "downloaded" + wrong;
        });
        return Case.of(e, values);
      }));
    }
    t.add(new Target(Compute.class, "zeros", new Class<?>[] {Class.class, int.class}, ResidentTargets::zeros));
    t.add(new Target(Compute.class, "sum", new Class<?>[] {DeviceArray.class}, g -> {
      DeviceArray<?> x = g.chance(0.05) ? null : array(g, g.chance(0.9) ? float[].class : g.pick(ARRAY_TYPES));
      Expect.Builder e = new Expect.Builder().npe(x == null, "x");
      if (x != null) e.ise(x.isClosed(), "closed").iae(x.arrayType() != float[].class, "float[]");
      float[] v = e.broken() ? null : (float[]) HOSTS.get(x);
      return Case.of(e.returns(r -> Checks.sum("sum", ReduceOp.referenceSum(v), ReduceOp.absSum(v), (Double) r)), x);
    }));
    t.add(array("length", (g, d, v) -> MatrixTargets.same(Array.getLength(v))));
    t.add(array("arrayType", (g, d, v) -> MatrixTargets.same(v.getClass())));
    t.add(array("backend", (g, d, v) -> ComputeTargets.returns(r -> r != null ? null : "no backend")));
    t.add(array("isClosed", (g, d, v) -> MatrixTargets.same(d.isClosed())));
    t.add(array("toString", (g, d, v) -> ComputeTargets.returns(r -> ((String) r).contains("[" + Array.getLength(v)
        + "]") ? null : "does not name the length")));
    t.add(array("close", (g, d, v) -> ComputeTargets.returns(r -> d.isClosed() ? null : "still open")));
    t.add(array("await", (g, d, v) -> new Expect.Builder().ise(d.isClosed(), "closed").returns(r -> r == d ? null
        : "did not return the array")));
    t.add(array("download", (g, d, v) -> new Expect.Builder().ise(d.isClosed(), "closed")
        .returns(r -> prefixed("download", KernelTargets.sameArray(v, r)))));
    t.add(new Target(DeviceArray.class, "downloadInto", new Class<?>[] {Object.class}, g -> {
      DeviceArray<?> d = array(g, g.pick(ARRAY_TYPES));
      Object v = HOSTS.get(d);
      int length = Array.getLength(v);
      Object out = switch (g.rnd.nextInt(20)) {
        case 0 -> null;
        case 1 -> host(g, d.arrayType() == int[].class ? float[].class : int[].class, length);
        case 2 -> host(g, d.arrayType(), length + 1);
        case 3 -> "not an array";
        default -> host(g, d.arrayType(), length);
      };
      Expect e = new Expect.Builder().npe(out == null, "out").iae(out != null && out.getClass() != d.arrayType(), "out")
          .iae(out != null && out.getClass().isArray() && Array.getLength(out) != length, "out")
          .ise(d.isClosed(), "closed").returns(r -> r != out ? "did not return out"
              : prefixed("downloadInto", KernelTargets.sameArray(v, out)));
      return Case.on(d, e, out);
    }));
    t.add(new Target(Compute.class, "checkingRaces", new Class<?>[0], g -> Case.of(ComputeTargets.returns(
        ResidentTargets::findsRaces))));
    t.add(new Target(Compute.class, "with", new Class<?>[] {Precision.class}, g -> {
      Precision p = g.chance(0.1) ? null : g.pick(List.of(Precision.values()));
      Expect e = new Expect.Builder().npe(p == null, "precision")
          .returns(r -> ((ComputeOn) r).precision() == p ? null : "precision " + ((ComputeOn) r).precision());
      return Case.of(e, p);
    }));
    t.add(new Target(Compute.class, "currentPrecision", new Class<?>[0], g -> Case.of(MatrixTargets.same(
        Precision.FP32))));
    t.add(new Target(ComputeOn.class, "precision", new Class<?>[0], g -> {
      Precision p = g.pick(List.of(Precision.values()));
      return Case.on(Compute.with(p), MatrixTargets.same(p));
    }));
    t.add(new Target(ComputeOn.class, "precision", new Class<?>[] {Precision.class}, g -> {
      Precision p = g.chance(0.1) ? null : g.pick(List.of(Precision.values()));
      ComputeOn on = Compute.on(ComputeTargets.kind(g));
      Expect e = new Expect.Builder().npe(p == null, "precision").returns(r -> ((ComputeOn) r).precision() == p
          && ((ComputeOn) r).kind() == on.kind() ? null : "precision " + ((ComputeOn) r).precision());
      return Case.on(on, e, p);
    }));
    return t;
  }

  /** The host values each generated array was uploaded from. */
  private static final java.util.Map<DeviceArray<?>, Object> HOSTS = java.util.Collections.synchronizedMap(
      new java.util.WeakHashMap<>());

  /** A resident array of {@code type}, uploaded where the case's scope puts it, closed now and then. */
  static DeviceArray<?> array(Gen g, Class<?> type) {
    Object values = host(g, type, g.small(g.chance(0.9) ? 100 : 100_000));
    DeviceArray<?> d = KernelTargets.upload(values);
    g.owned.add(d);
    HOSTS.put(d, values);
    if (g.chance(0.06)) d.close();
    return d;
  }

  private interface ArrayCase {
    Expect expect(Gen g, DeviceArray<?> d, Object values);
  }

  private static Target array(String name, ArrayCase expect) {
    return new Target(DeviceArray.class, name, new Class<?>[0], g -> {
      DeviceArray<?> d = array(g, g.pick(ARRAY_TYPES));
      return Case.on(d, expect.expect(g, d, HOSTS.get(d)));
    });
  }

  /** Values of a kernel array type: floats with specials now and then, integers over their range. */
  static Object host(Gen g, Class<?> type, int length) {
    if (type == float[].class) return g.values(length);
    Object a = Array.newInstance(type.componentType(), length);
    for (int i = 0; i < length; i++) {
      if (type == double[].class) Array.setDouble(a, i, g.chance(0.9) ? g.rnd.nextDouble(-1, 1) : g.value());
      else if (type == int[].class) Array.setInt(a, i, g.rnd.nextInt());
      else if (type == long[].class) Array.setLong(a, i, g.rnd.nextLong());
      else Array.setByte(a, i, (byte) g.rnd.nextInt());
    }
    return a;
  }

  private static Case zeros(Gen g) {
    List<Class<?>> types = new ArrayList<>(ARRAY_TYPES);
    types.addAll(List.of(float.class, Float[].class, float[][].class, String.class));
    Class<?> type = g.chance(0.05) ? null : g.chance(0.85) ? g.pick(ARRAY_TYPES) : g.pick(types);
    int length = g.chance(0.85) ? g.small(g.chance(0.9) ? 100 : 100_000)
        : g.pick(List.of(-1, Integer.MIN_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE - 7));
    Expect e = new Expect.Builder().npe(type == null, "arrayType")
        .iae(type != null && !ARRAY_TYPES.contains(type), "kernel array type")
        .iae(length < 0, "negative").iae(length > Gen.MAX_ELEMENTS, "length").returns(r -> {
          DeviceArray<?> d = (DeviceArray<?>) r;
          if (d.arrayType() != type || d.length() != length) return "a " + d;
          Object values = d.download();
          for (int i = 0; i < length; i++) {
            if (((Number) Array.get(values, i)).doubleValue() != 0) return "element " + i + " is not 0";
          }
          return null;
        });
    return Case.of(e, type, length);
  }

  /** Two work items writing one element, run by the binding returned: it must name the race. */
  private static String findsRaces(Object binding) {
    try {
      ((ComputeOn) binding).forEach(4, ResidentTargets::everyoneWritesZero, new int[4]);
      return "a race went unreported";
    } catch (IllegalStateException e) {
      return Expect.Violation.names(e.getMessage(), "race") ? null : "reported " + e.getMessage();
    }
  }

  static void everyoneWritesZero(int i, int[] counts) {
    counts[0] = i;
  }

  private static String prefixed(String op, String wrong) {
    return wrong == null ? null : op + wrong;
  }
}
