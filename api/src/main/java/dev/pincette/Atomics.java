package dev.pincette;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Atomic updates of array elements inside kernels ({@link Compute#forEach(int, Kernel1, Object)}), where work items
 * running at once may update the same element: a histogram, a counter, a sum over neighbours. On the CPU they are
 * {@link VarHandle} operations; on a device, its atomic instructions. Each returns the element's previous value.
 *
 * <pre>{@code
 * static void histogram(int i, float[] values, int[] bins) {
 *   Atomics.add(bins, (int) (values[i] * bins.length), 1);
 * }
 * }</pre>
 *
 * An index outside the array throws {@link ArrayIndexOutOfBoundsException}, as a plain access does.
 */
public final class Atomics {
  private static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);
  private static final VarHandle FLOATS = MethodHandles.arrayElementVarHandle(float[].class);

  private Atomics() {}

  /** {@code a[index] += value} atomically; returns the previous {@code a[index]}. */
  public static int add(int[] a, int index, int value) {
    return (int) INTS.getAndAdd(a, index, value);
  }

  /**
   * {@code a[index] += value} atomically, rounded as a float addition; returns the previous {@code a[index]}. When
   * several work items add to one element, the order of their additions, and so the rounding of the sum, may differ
   * from run to run and between backends.
   */
  public static float add(float[] a, int index, float value) {
    return (float) FLOATS.getAndAdd(a, index, value);
  }

  /** {@code a[index] = min(a[index], value)} atomically; returns the previous {@code a[index]}. */
  public static int min(int[] a, int index, int value) {
    int old = (int) INTS.getVolatile(a, index);
    while (value < old) {
      int seen = (int) INTS.compareAndExchange(a, index, old, value);
      if (seen == old) break;
      old = seen;
    }
    return old;
  }

  /** {@code a[index] = max(a[index], value)} atomically; returns the previous {@code a[index]}. */
  public static int max(int[] a, int index, int value) {
    int old = (int) INTS.getVolatile(a, index);
    while (value > old) {
      int seen = (int) INTS.compareAndExchange(a, index, old, value);
      if (seen == old) break;
      old = seen;
    }
    return old;
  }
}
