package dev.pincette;

/**
 * A kernel of 5 arguments returning a term per work item, summed by {@link Compute#sum(int, FloatKernel5, Object,
 * Object, Object, Object, Object)}; see {@link FloatKernel2}.
 */
@FunctionalInterface
public interface FloatKernel5<A, B, C, D, E> extends java.io.Serializable {
  /** The term of work item {@code i}. */
  float apply(int i, A a, B b, C c, D d, E e);
}
