package dev.pincette;

/**
 * A kernel of 8 arguments returning a term per work item, summed by {@link Compute#sum(int, FloatKernel8, Object,
 * Object, Object, Object, Object, Object, Object, Object)}; see {@link FloatKernel2}.
 */
@FunctionalInterface
public interface FloatKernel8<A, B, C, D, E, F, G, H> extends java.io.Serializable {
  /** The term of work item {@code i}. */
  float apply(int i, A a, B b, C c, D d, E e, F f, G g, H h);
}
