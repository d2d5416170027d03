package dev.pincette;

/**
 * A kernel of 4 arguments returning a term per work item, summed by {@link Compute#sum(int, FloatKernel4, Object,
 * Object, Object, Object)}; see {@link FloatKernel2}.
 */
@FunctionalInterface
public interface FloatKernel4<A, B, C, D> extends java.io.Serializable {
  /** The term of work item {@code i}. */
  float apply(int i, A a, B b, C c, D d);
}
