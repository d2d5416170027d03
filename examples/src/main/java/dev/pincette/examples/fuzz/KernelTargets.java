package dev.pincette.examples.fuzz;

import dev.pincette.Compute;
import dev.pincette.DeviceArray;
import dev.pincette.DeviceMatrix;
import dev.pincette.Matrix;
import dev.pincette.examples.check.Checks;
import dev.pincette.examples.fuzz.FuzzKernels.Spec;
import dev.pincette.examples.fuzz.Target.Case;
import dev.pincette.kernels.ReduceOp;
import java.lang.reflect.Array;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code forEach} and {@code sum} over kernels, with the arguments after the kernel listed ({@code Kernel3, A, B, C})
 * and as {@code Object...} (where {@link DeviceArray}s stand in for arrays): a kernel of {@link FuzzKernels} of that
 * arity, called with generated {@code n} (0, negative, {@code Integer.MAX_VALUE}, ...), arrays of the right and of
 * wrong lengths, some resident (open, closed, of the wrong type), null and wrong-type arguments, wrong argument counts,
 * null and non-lambda kernels. The reference is the kernel run in plain Java on copies of the arguments: its results,
 * or the exceptions its work items throw (an index out of bounds must name the array parameter, as the Java exception
 * cannot).
 */
final class KernelTargets {
  /** Arrays are sized for {@code n} up to this; a larger {@code n} gets short arrays (and so an index error). */
  private static final int ITEMS_LIMIT = 1 << 14;
  private static final Pattern LENGTH = Pattern.compile("for length (\\d+)");

  private KernelTargets() {}

  static List<Target> all() {
    List<Target> t = new ArrayList<>();
    for (int arity = 1; arity <= 8; arity++) {
      for (boolean sum : new boolean[] {false, true}) {
        Class<?> kernelType = kernelInterface(arity, sum);
        Class<?>[] listed = new Class<?>[arity + 2];
        listed[0] = int.class;
        listed[1] = kernelType;
        Arrays.fill(listed, 2, listed.length, Object.class);
        int a = arity;
        String name = sum ? "sum" : "forEach";
        t.add(new Target(Compute.class, name, listed, g -> kernelCase(g, a, sum, false)));
        t.add(new Target(Compute.class, name, new Class<?>[] {int.class, kernelType, Object[].class},
            g -> kernelCase(g, a, sum, true)));
      }
    }
    return t;
  }

  static Class<?> kernelInterface(int arity, boolean sum) {
    try {
      return Class.forName("dev.pincette." + (sum ? "FloatKernel" : "Kernel") + arity);
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException(e);
    }
  }

  /** One call: the kernel, {@code n}, and the arguments (and, for {@code varargs}, their count) as generated. */
  private static Case kernelCase(Gen g, int arity, boolean sum, boolean varargs) {
    Spec spec = g.pick(FuzzKernels.of(arity, sum));
    int n = g.size();
    int items = n >= 0 && n <= ITEMS_LIMIT ? n : g.small(64);
    Expect.Builder e = new Expect.Builder();
    Object kernel = kernel(g, spec, e);
    e.iae(n < 0, "negative");
    Map<String, Object> made = new HashMap<>();
    Object[] host = new Object[arity];
    Object[] args = new Object[arity];
    boolean resident = g.chance(0.5);
    for (int k = 0; k < arity; k++) {
      Class<?> type = spec.types().get(k);
      String name = spec.names().get(k);
      host[k] = value(g, spec, name, type, items, made);
      made.put(name, host[k]);
      boolean onDevice = resident && type.isArray() && g.chance(0.7);
      args[k] = perturbed(g, host[k], type, "argument " + (k + 1), onDevice, e);
    }
    Object[] passed = args;
    if (varargs && g.chance(0.05)) {
      passed = Arrays.copyOf(args, g.chance(0.5) ? arity - 1 : arity + 1);
      if (passed.length > arity) passed[arity] = 1f;
      e.iae(true, "arguments");
    }
    List<DeviceArray<?>> residents = Arrays.stream(args).filter(a -> a instanceof DeviceArray<?>)
        .<DeviceArray<?>>map(a -> (DeviceArray<?>) a).toList();
    if (!e.broken()) {
      Reference ref = Reference.run(spec, Math.max(n, 0), host);
      for (String array : ref.outOfBounds) e.rule(true, ArrayIndexOutOfBoundsException.class, "of " + array + ",");
      e.rule(ref.dividedByZero, ArithmeticException.class, "by zero");
      if (e.broken() && !residents.isEmpty()) e.deferred(() -> awaitAll(residents));
      Expect expect = e.returns(r -> sum ? Checks.sum("sum", ReduceOp.referenceSum(ref.terms),
          ReduceOp.absSum(ref.terms), (Double) r) : sameArrays(spec, ref.arguments, args));
      return Case.of(expect, arguments(n, kernel, passed, varargs));
    }
    return Case.of(e.fails(), arguments(n, kernel, passed, varargs));
  }

  private static Object[] arguments(int n, Object kernel, Object[] passed, boolean varargs) {
    if (varargs) return new Object[] {n, kernel, passed};
    Object[] all = new Object[passed.length + 2];
    all[0] = n;
    all[1] = kernel;
    System.arraycopy(passed, 0, all, 2, passed.length);
    return all;
  }

  /** The spec's kernel, or now and then null, a proxy (not a lambda), or a lambda that captures a value. */
  private static Object kernel(Gen g, Spec spec, Expect.Builder e) {
    double u = g.rnd.nextDouble();
    if (u < 0.03) {
      e.npe(true, "kernel");
      return null;
    }
    if (u < 0.06) {
      e.iae(true, "lambda");
      Class<?> type = spec.kernel().getClass().getInterfaces()[0];
      return Proxy.newProxyInstance(KernelTargets.class.getClassLoader(), new Class<?>[] {type},
          (proxy, method, arguments) -> switch (method.getName()) {
            case "hashCode" -> 0;
            case "equals" -> proxy == arguments[0];
            case "toString" -> "a proxy " + type.getSimpleName();
            default -> null;
          });
    }
    if (u < 0.09 && spec.kernel() instanceof dev.pincette.Kernel1<?>) {
      e.iae(true, "captures");
      float step = (float) g.rnd.nextDouble();
      return (dev.pincette.Kernel1<float[]>) (i, x) -> x[i] += step;
    }
    return spec.kernel();
  }

  /**
   * A value for parameter {@code name}: scalars random (specials included), arrays sized for {@code items} work
   * items as the kernel reads them (neighbour lists valid, indices in range, counters zeroed), now and then one
   * element too long or short, or empty.
   */
  private static Object value(Gen g, Spec spec, String name, Class<?> type, int items, Map<String, Object> made) {
    if (!type.isArray()) return scalar(g, type);
    boolean pairs = spec.name().equals("density") || spec.name().equals("forces");
    int length = switch (name) {
      case "offsets" -> items + 1;
      case "indices" -> made.get("offsets") instanceof int[] o && o.length > 0 ? Math.max(0, o[o.length - 1]) : 0;
      case "bins" -> 8;
      case "total" -> 1;
      case "extremes" -> 2;
      case "pos", "vel", "next" -> pairs ? 2 * items : items;
      default -> items;
    };
    double u = g.rnd.nextDouble();
    if (u < 0.04) length = length + 1;
    else if (u < 0.08 && length > 0) length = length - 1;
    else if (u < 0.10) length = 0;
    return switch (name) {
      case "offsets" -> offsets(g, length);
      case "indices", "index" -> indices(g, length, items);
      case "extremes" -> length == 2 ? new int[] {Integer.MAX_VALUE, Integer.MIN_VALUE} : new int[length];
      case "bins" -> new int[length];
      case "total" -> new float[length];
      default -> array(g, type, length);
    };
  }

  /** A neighbour list's offsets: ascending from 0 by 0 to 4 per point. */
  private static int[] offsets(Gen g, int length) {
    int[] o = new int[length];
    for (int i = 1; i < length; i++) o[i] = o[i - 1] + g.rnd.nextInt(5);
    return o;
  }

  /** Indices of points in {@code [0, items)}, one now and then outside. */
  private static int[] indices(Gen g, int length, int items) {
    int[] x = new int[length];
    boolean stray = g.chance(0.1);
    for (int i = 0; i < length; i++) {
      x[i] = stray && g.chance(0.05) ? g.pick(List.of(-1, items, Integer.MAX_VALUE, Integer.MIN_VALUE))
          : items == 0 ? 0 : g.rnd.nextInt(items);
    }
    return x;
  }

  private static Object array(Gen g, Class<?> type, int length) {
    if (type == float[].class) return g.values(length);
    Object a = Array.newInstance(type.componentType(), length);
    boolean zero = g.chance(0.1);
    for (int i = 0; i < length; i++) {
      long v = g.chance(0.05) ? g.pick(List.of(0L, -1L, (long) Integer.MIN_VALUE, (long) Integer.MAX_VALUE,
          Long.MIN_VALUE, Long.MAX_VALUE)) : g.rnd.nextInt(-1000, 1001);
      if (zero && g.chance(0.1)) v = 0;
      if (type == int[].class) Array.setInt(a, i, (int) v);
      else if (type == long[].class) Array.setLong(a, i, v);
      else if (type == byte[].class) Array.setByte(a, i, (byte) v);
      else Array.setDouble(a, i, g.chance(0.5) ? g.value() : (double) v / 7);
    }
    return a;
  }

  private static Object scalar(Gen g, Class<?> type) {
    if (type == float.class || type == Float.class) return g.value();
    if (type == double.class || type == Double.class) return (double) g.value();
    if (type == int.class || type == Integer.class) return g.chance(0.9) ? g.rnd.nextInt(-100, 101) : g.size();
    if (type == long.class || type == Long.class) return g.chance(0.9) ? g.rnd.nextLong(-100, 101) : Long.MIN_VALUE;
    throw new IllegalArgumentException(type.getName());
  }

  /**
   * The argument as passed: mostly {@code value} (or, where {@code resident}, a {@link DeviceArray} holding it); now
   * and then null, of the wrong type, a closed {@code DeviceArray}, one of another element type, or a
   * {@link DeviceMatrix}.
   */
  private static Object perturbed(Gen g, Object value, Class<?> type, String argument, boolean resident,
      Expect.Builder e) {
    double u = g.rnd.nextDouble();
    if (u < 0.02) {
      e.npe(true, argument);
      return null;
    }
    if (u < 0.04) {
      e.iae(true, argument);
      return type.isArray() ? (type == int[].class ? new float[0] : new int[0]) : type == Integer.class
          || type == int.class ? (Object) 1L : (Object) 1;
    }
    if (!resident) return value;
    DeviceArray<?> d;
    if (u < 0.07) {
      e.iae(true, argument);
      d = type == int[].class ? Compute.upload(new float[1]) : Compute.upload(new int[1]);
    } else if (u < 0.09) {
      e.iae(true, argument);
      DeviceMatrix m = Compute.upload(Matrix.zeros(1, 1));
      g.owned.add(m);
      return m;
    } else {
      d = upload(value);
    }
    g.owned.add(d);
    if (u > 0.09 && u < 0.13) {
      d.close();
      e.ise(true, "closed");
    }
    return d;
  }

  /** A {@link DeviceArray} holding a copy of {@code array}, of any kernel array type. */
  static DeviceArray<?> upload(Object array) {
    return switch (array) {
      case float[] f -> Compute.upload(f);
      case double[] d -> Compute.upload(d);
      case int[] i -> Compute.upload(i);
      case long[] l -> Compute.upload(l);
      case byte[] b -> Compute.upload(b);
      default -> throw new IllegalArgumentException(array.getClass().getName());
    };
  }

  /** What waiting for every resident argument throws first, or null. */
  private static Throwable awaitAll(List<DeviceArray<?>> residents) {
    Throwable first = null;
    for (DeviceArray<?> d : residents) {
      try {
        if (!d.isClosed()) d.await();
      } catch (RuntimeException e) {
        if (first == null) first = e;
      }
    }
    return first;
  }

  /** Every array argument (resident ones downloaded) holds what the reference left in it. */
  private static String sameArrays(Spec spec, Object[] reference, Object[] args) {
    for (int k = 0; k < args.length; k++) {
      if (!reference[k].getClass().isArray()) continue;
      Object got = args[k] instanceof DeviceArray<?> d ? d.download() : args[k];
      String wrong = sameArray(reference[k], got);
      if (wrong != null) return spec.names().get(k) + wrong;
    }
    return null;
  }

  /** Null when equal element by element (floats as {@link Float#compare}: NaNs alike, -0 apart from 0). */
  static String sameArray(Object reference, Object got) {
    int length = Array.getLength(reference);
    if (Array.getLength(got) != length) return " has " + Array.getLength(got) + " elements, wanted " + length;
    for (int i = 0; i < length; i++) {
      Object r = Array.get(reference, i), v = Array.get(got, i);
      boolean same = r instanceof Float f ? Float.compare(f, (Float) v) == 0
          : r instanceof Double d ? Double.compare(d, (Double) v) == 0 : r.equals(v);
      if (!same) return "[" + i + "] = " + v + ", reference " + r;
    }
    return null;
  }

  /**
   * The kernel run in plain Java, work item after work item, on copies of the arguments: what it leaves in them, its
   * terms, and which of its array parameters an index fell outside of (by the length the exception names).
   */
  private record Reference(Object[] arguments, float[] terms, Set<String> outOfBounds, boolean dividedByZero) {
    static Reference run(Spec spec, int n, Object[] host) {
      Object[] copy = new Object[host.length + 1];
      long longest = 0;
      for (int k = 0; k < host.length; k++) {
        copy[k + 1] = host[k].getClass().isArray() ? copyOf(host[k]) : host[k];
        if (host[k].getClass().isArray()) longest = Math.max(longest, Array.getLength(host[k]));
      }
      // Work items past every array's end fail as the first of them does: no need to run all of n.
      int items = (int) Math.min(n, longest + 1);
      Method body = body(spec.kernel());
      float[] terms = new float[items];
      Set<String> outOfBounds = new LinkedHashSet<>();
      boolean dividedByZero = false;
      for (int i = 0; i < items; i++) {
        copy[0] = i;
        try {
          Object term = body.invoke(spec.kernel(), copy);
          if (term != null) terms[i] = ((Number) term).floatValue();
        } catch (InvocationTargetException e) {
          switch (e.getCause()) {
            case ArrayIndexOutOfBoundsException oob -> outOfBounds.addAll(arraysOfLength(spec, host, oob));
            case ArithmeticException ae -> dividedByZero = true;
            default -> throw new IllegalStateException("fuzz kernel " + spec + " threw", e.getCause());
          }
        } catch (IllegalAccessException e) {
          throw new IllegalStateException(e);
        }
      }
      return new Reference(Arrays.copyOfRange(copy, 1, copy.length), terms, outOfBounds, dividedByZero);
    }

    private static Method body(Object kernel) {
      Class<?> type = kernel.getClass().getInterfaces()[0];
      Method m = Arrays.stream(type.getMethods()).filter(x -> Modifier.isAbstract(x.getModifiers())).findFirst()
          .orElseThrow();
      m.setAccessible(true);
      return m;
    }

    /**
     * The array parameters of the length the exception names; every one when it names none (a kernel the JIT compiled
     * after it threw often throws the JVM's preallocated exception, with no message).
     */
    private static List<String> arraysOfLength(Spec spec, Object[] host, ArrayIndexOutOfBoundsException oob) {
      Matcher m = LENGTH.matcher(String.valueOf(oob.getMessage()));
      int length = m.find() ? Integer.parseInt(m.group(1)) : -1;
      List<String> names = new ArrayList<>();
      for (int k = 0; k < host.length; k++) {
        if (host[k].getClass().isArray() && (length < 0 || Array.getLength(host[k]) == length)) {
          names.add(spec.names().get(k));
        }
      }
      return names;
    }

    private static Object copyOf(Object array) {
      int length = Array.getLength(array);
      Object copy = Array.newInstance(array.getClass().componentType(), length);
      System.arraycopy(array, 0, copy, 0, length);
      return copy;
    }
  }
}
