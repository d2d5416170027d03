package dev.pincette;

/** A kernel of 2 arguments, run by {@link Compute#forEach(int, Kernel2, Object, Object)}; see {@link Kernel3}. */
@FunctionalInterface
public interface Kernel2<A, B> extends java.io.Serializable {
  /** The work of work item {@code i}. */
  void run(int i, A a, B b);
}
