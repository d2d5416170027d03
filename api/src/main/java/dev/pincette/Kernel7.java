package dev.pincette;

/**
 * A kernel of 7 arguments, run by {@link Compute#forEach(int, Kernel7, Object, Object, Object, Object, Object, Object,
 * Object)}; see {@link Kernel3}.
 */
@FunctionalInterface
public interface Kernel7<A, B, C, D, E, F, G> extends java.io.Serializable {
  /** The work of work item {@code i}. */
  void run(int i, A a, B b, C c, D d, E e, F f, G g);
}
