package dev.pincette;

/** A kernel of 1 argument, run by {@link Compute#forEach(int, Kernel1, Object)}; see {@link Kernel3}. */
@FunctionalInterface
public interface Kernel1<A> extends java.io.Serializable {
  /** The work of work item {@code i}. */
  void run(int i, A a);
}
