package dev.pincette;

/**
 * A kernel of 7 arguments returning a term per work item, summed by {@link Compute#sum(int, FloatKernel7, Object,
 * Object, Object, Object, Object, Object, Object)}; see {@link FloatKernel2}.
 */
@FunctionalInterface
public interface FloatKernel7<A, B, C, D, E, F, G> extends java.io.Serializable {
  /** The term of work item {@code i}. */
  float apply(int i, A a, B b, C c, D d, E e, F f, G g);
}
