package dev.pincette;

/**
 * A kernel of 3 arguments: a static method (or a lambda that captures nothing) run once per work-item index
 * {@code i} in {@code [0, n)} by {@link Compute#forEach(int, Kernel3, Object, Object, Object)}. The arguments are
 * arrays ({@code float[]}, {@code double[]}, {@code int[]}, {@code long[]}, {@code byte[]}) shared by all work items,
 * or boxed scalars for primitive parameters. What a kernel may contain to run on a GPU is listed in
 * {@code docs/kernels.md}; any other kernel runs on the CPU.
 *
 * <pre>{@code
 * static void saxpy(int i, float a, float[] x, float[] y) { y[i] = a * x[i] + y[i]; }
 * Compute.forEach(n, Physics::saxpy, 2f, x, y);
 * }</pre>
 */
@FunctionalInterface
public interface Kernel3<A, B, C> extends java.io.Serializable {
  /** The work of work item {@code i}. */
  void run(int i, A a, B b, C c);
}
