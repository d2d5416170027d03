package dev.pincette.kernels;

/**
 * The one cap on the number of floats any result or buffer holds: as many as a Java array can ({@code 2^31 − 8}), so
 * that every backend can fall back to one. Every size that reaches native code is computed here, in long, and
 * checked before anything is allocated or enqueued: an element count that wrapped as an int once made a device
 * kernel write past its buffer into the JVM's heap.
 */
public final class Elements {
  /** The most elements a result may have: the largest Java array. */
  public static final long MAX = Integer.MAX_VALUE - 8;

  private Elements() {}

  /**
   * The product of {@code factors} (each non-negative), exactly, or {@link Long#MAX_VALUE} when it does not fit a
   * long: a size to compare with a cap, never one that wrapped.
   */
  public static long product(long... factors) {
    long out = 1;
    for (long f : factors) {
      if (f < 0) throw new IllegalArgumentException("a size factor is negative: " + f);
      if (f == 0) return 0;
      if (out > Long.MAX_VALUE / f) out = Long.MAX_VALUE;
      else out *= f;
    }
    return out;
  }

  /**
   * {@code rows·cols} as an int, or {@link IllegalArgumentException} naming {@code op} and {@code what} when it
   * exceeds {@link #MAX} (e.g. {@code matmul: result 65536x65537 has 4295032832 elements, more than 2147483639}).
   */
  public static int of(String op, String what, int rows, int cols) {
    if (rows < 0 || cols < 0) {
      throw new IllegalArgumentException(op + ": " + what + " has a negative shape " + rows + "x" + cols);
    }
    return checked(op, what + " " + rows + "x" + cols, (long) rows * cols);
  }

  /** {@code elements} as an int, or {@link IllegalArgumentException} naming {@code op} and {@code what} beyond the cap. */
  public static int checked(String op, String what, long elements) {
    if (elements < 0) throw new IllegalArgumentException(op + ": " + what + " has a negative number of elements");
    if (elements > MAX) {
      throw new IllegalArgumentException(op + ": " + what + " has " + (elements == Long.MAX_VALUE ? "more than 2^63"
          : Long.toString(elements)) + " elements, more than the " + MAX + " an array holds");
    }
    return (int) elements;
  }
}
