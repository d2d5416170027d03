package dev.pincette;

/**
 * A kernel of 6 arguments returning a term per work item, summed by {@link Compute#sum(int, FloatKernel6, Object,
 * Object, Object, Object, Object, Object)}; see {@link FloatKernel2}.
 */
@FunctionalInterface
public interface FloatKernel6<A, B, C, D, E, F> extends java.io.Serializable {
  /** The term of work item {@code i}. */
  float apply(int i, A a, B b, C c, D d, E e, F f);
}
