package dev.pincette;

/**
 * A kernel of 1 argument returning a term per work item, summed by {@link Compute#sum(int, FloatKernel1, Object)}; see
 * {@link FloatKernel2}.
 */
@FunctionalInterface
public interface FloatKernel1<A> extends java.io.Serializable {
  /** The term of work item {@code i}. */
  float apply(int i, A a);
}
