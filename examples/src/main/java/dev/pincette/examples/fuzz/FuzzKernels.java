package dev.pincette.examples.fuzz;

import dev.pincette.Atomics;
import dev.pincette.FloatKernel1;
import dev.pincette.FloatKernel2;
import dev.pincette.FloatKernel3;
import dev.pincette.FloatKernel4;
import dev.pincette.FloatKernel5;
import dev.pincette.FloatKernel6;
import dev.pincette.FloatKernel7;
import dev.pincette.FloatKernel8;
import dev.pincette.Kernel1;
import dev.pincette.Kernel2;
import dev.pincette.Kernel3;
import dev.pincette.Kernel4;
import dev.pincette.Kernel5;
import dev.pincette.Kernel6;
import dev.pincette.Kernel7;
import dev.pincette.Kernel8;
import dev.pincette.examples.ParticleKernels;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;

/**
 * The kernels the fuzzer calls, several of each arity: those of the kernel tests ({@code CpuKernelTest},
 * {@code ResidentArrayContract}, {@code JavaKernels}), the particle example's, and a few written to reach every
 * parameter type (boxed scalars, {@code long[]}, {@code byte[]}, {@code double[]}) and atomics. Their reference is the
 * kernel itself, run in plain Java one work item after another. Each reads an array at its own work item's index, so
 * work items past every array's end fail as the last in-range ones show, and none races with itself.
 */
final class FuzzKernels {
  private FuzzKernels() {}

  /**
   * A kernel and its parameters after the index, as its source names them (the names a kernel error must use).
   *
   * @param sum whether it returns a term ({@code Compute.sum}) rather than writing ({@code forEach})
   */
  record Spec(String name, Object kernel, List<Class<?>> types, List<String> names, boolean sum) {
    int arity() {
      return types.size();
    }

    @Override
    public String toString() {
      return name;
    }
  }

  static void divides(int i, int[] x) {
    x[i] = 100 / x[i];
  }

  static void shifted(int i, float[] x, float[] y) {
    y[i] = x[i + 1];
  }

  static void saxpy(int i, float a, float[] x, float[] y) {
    y[i] = a * x[i] + y[i];
  }

  /** Histogram and extremes of {@code values} by atomics (from {@code JavaKernels}). */
  static void atomics(int i, int[] values, int[] bins, float[] total, int[] extremes) {
    Atomics.add(bins, values[i] & 7, 1);
    Atomics.add(total, 0, 0.25f);
    Atomics.min(extremes, 0, values[i]);
    Atomics.max(extremes, 1, values[i]);
  }

  /** {@code out[i] = x[index[i]]} clamped to {@code [lo, hi]}: an index out of {@code x} fails naming {@code x}. */
  static void gather(int i, int[] index, float[] x, float lo, float hi, float[] out) {
    out[i] = Math.min(hi, Math.max(lo, x[index[i]]));
  }

  static void seven(int i, int[] a, long[] b, float[] c, double[] d, byte[] e, int f, long g) {
    a[i] = (int) (b[i] + c[i] + d[i] + e[i] + f + g);
  }

  /** Every parameter type, boxed scalars included (from {@code CpuKernelTest}). */
  static void eight(int i, int[] a, long[] b, float[] c, double[] d, byte[] e, Integer f, Long g, Double h) {
    a[i] = (int) (b[i] + c[i] + d[i] + e[i] + f + g + h);
  }

  static float square(int i, float[] x) {
    return x[i] * x[i];
  }

  static float energy(int i, float[] v, float[] m) {
    return 0.5f * m[i] * v[i] * v[i];
  }

  static float weighted(int i, float w, float[] x, float[] y) {
    return w * x[i] * y[i];
  }

  static float gathered(int i, int[] index, float[] x, float scale, byte[] mask) {
    return mask[i] != 0 ? scale * x[index[i]] : 0;
  }

  static float five(int i, float[] x, int[] n, long[] l, double[] d, float s) {
    return x[i] * s + n[i] + (float) l[i] - (float) d[i];
  }

  static float six(int i, float[] x, float[] y, float[] z, int[] k, float a, float b) {
    return a * x[i] + b * y[i] - z[i] * k[i];
  }

  static float seven(int i, float[] x, float[] y, int[] p, int[] q, float a, float b, float c) {
    return (p[i] > q[i] ? a * x[i] : b * y[i]) + c;
  }

  static float eightTerms(int i, float[] x, double[] y, long[] z, byte[] w, int[] k, Integer f, Long g, Double h) {
    return x[i] + (float) y[i] + z[i] + w[i] + k[i] + f + g + (float) (double) h;
  }

  private static final Kernel1<float[]> INCREMENT = (i, x) -> x[i] += 1;

  static final List<Spec> ALL = List.of(
      spec("divides", (Kernel1<int[]>) FuzzKernels::divides, "x"),
      spec("increment (a lambda)", INCREMENT, float[].class, "x"),
      spec("shifted", (Kernel2<float[], float[]>) FuzzKernels::shifted, "x", "y"),
      spec("saxpy", (Kernel3<Float, float[], float[]>) FuzzKernels::saxpy, "a", "x", "y"),
      spec("atomics", (Kernel4<int[], int[], float[], int[]>) FuzzKernels::atomics, "values", "bins", "total",
          "extremes"),
      spec("integrate", (Kernel4<Float, float[], float[], float[]>) ParticleKernels::integrate, "h", "pos", "vel",
          "next"),
      spec("gather", (Kernel5<int[], float[], Float, Float, float[]>) FuzzKernels::gather, "index", "x", "lo", "hi",
          "out"),
      spec("density", (Kernel6<Float, Float, float[], int[], int[], float[]>) ParticleKernels::density, "h", "mass",
          "pos", "offsets", "indices", "density"),
      spec("seven", (Kernel7<int[], long[], float[], double[], byte[], Integer, Long>) FuzzKernels::seven, "a", "b",
          "c", "d", "e", "f", "g"),
      spec("eight", (Kernel8<int[], long[], float[], double[], byte[], Integer, Long, Double>) FuzzKernels::eight,
          "a", "b", "c", "d", "e", "f", "g", "h"),
      spec("forces", (Kernel8<Float, Float, float[], float[], float[], int[], int[], float[]>) ParticleKernels::forces,
          "h", "restDensity", "pos", "vel", "density", "offsets", "indices", "next"),
      spec("square", (FloatKernel1<float[]>) FuzzKernels::square, "x"),
      spec("energy", (FloatKernel2<float[], float[]>) FuzzKernels::energy, "v", "m"),
      spec("weighted", (FloatKernel3<Float, float[], float[]>) FuzzKernels::weighted, "w", "x", "y"),
      spec("gathered", (FloatKernel4<int[], float[], Float, byte[]>) FuzzKernels::gathered, "index", "x", "scale",
          "mask"),
      spec("five", (FloatKernel5<float[], int[], long[], double[], Float>) FuzzKernels::five, "x", "n", "l", "d", "s"),
      spec("six", (FloatKernel6<float[], float[], float[], int[], Float, Float>) FuzzKernels::six, "x", "y", "z", "k",
          "a", "b"),
      spec("seven", (FloatKernel7<float[], float[], int[], int[], Float, Float, Float>) FuzzKernels::seven, "x", "y",
          "p", "q", "a", "b", "c"),
      spec("eightTerms", (FloatKernel8<float[], double[], long[], byte[], int[], Integer, Long, Double>)
          FuzzKernels::eightTerms, "x", "y", "z", "w", "k", "f", "g", "h"));

  /** The kernels of {@code arity} parameters after the index, for {@code forEach} or for {@code sum}. */
  static List<Spec> of(int arity, boolean sum) {
    return ALL.stream().filter(s -> s.arity() == arity && s.sum() == sum).toList();
  }

  /** A method reference's spec: its parameter types from the method of that name and arity. */
  private static Spec spec(String name, Object kernel, String... names) {
    Class<?> owner = List.of("integrate", "density", "forces").contains(name) ? ParticleKernels.class
        : FuzzKernels.class;
    Method method = Arrays.stream(owner.getDeclaredMethods())
        .filter(m -> m.getName().equals(name) && m.getParameterCount() == names.length + 1
            && isSum(kernel) == (m.getReturnType() != void.class))
        .findFirst().orElseThrow(() -> new IllegalStateException("no kernel " + name));
    List<Class<?>> types = List.of(method.getParameterTypes()).subList(1, names.length + 1);
    return new Spec(name, kernel, types, List.of(names), isSum(kernel));
  }

  /** A lambda's spec, whose types are given. */
  private static Spec spec(String name, Object kernel, Class<?> type, String paramName) {
    return new Spec(name, kernel, List.of(type), List.of(paramName), isSum(kernel));
  }

  private static boolean isSum(Object kernel) {
    return kernel.getClass().getInterfaces()[0].getSimpleName().startsWith("Float");
  }
}
