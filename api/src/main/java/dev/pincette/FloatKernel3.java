package dev.pincette;

/**
 * A kernel of 3 arguments returning a term per work item, summed by {@link Compute#sum(int, FloatKernel3, Object,
 * Object, Object)}; see {@link FloatKernel2}.
 */
@FunctionalInterface
public interface FloatKernel3<A, B, C> extends java.io.Serializable {
  /** The term of work item {@code i}. */
  float apply(int i, A a, B b, C c);
}
