package dev.pincette;

/**
 * A kernel returning one float term per work item, summed over {@code [0, n)} by
 * {@link Compute#sum(int, FloatKernel2, Object, Object)}: a static method (or a lambda that captures nothing) with
 * the same arguments as a {@link Kernel3}.
 *
 * <pre>{@code
 * static float energy(int i, float[] v, float[] m) { return 0.5f * m[i] * v[i] * v[i]; }
 * double e = Compute.sum(n, Physics::energy, v, m);
 * }</pre>
 */
@FunctionalInterface
public interface FloatKernel2<A, B> extends java.io.Serializable {
  /** The term of work item {@code i}. */
  float apply(int i, A a, B b);
}
