package dev.pincette;

/**
 * A kernel of 5 arguments, run by {@link Compute#forEach(int, Kernel5, Object, Object, Object, Object, Object)}; see
 * {@link Kernel3}.
 */
@FunctionalInterface
public interface Kernel5<A, B, C, D, E> extends java.io.Serializable {
  /** The work of work item {@code i}. */
  void run(int i, A a, B b, C c, D d, E e);
}
