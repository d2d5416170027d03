package dev.pincette;

/**
 * A kernel of 4 arguments, run by {@link Compute#forEach(int, Kernel4, Object, Object, Object, Object)}; see {@link
 * Kernel3}.
 */
@FunctionalInterface
public interface Kernel4<A, B, C, D> extends java.io.Serializable {
  /** The work of work item {@code i}. */
  void run(int i, A a, B b, C c, D d);
}
