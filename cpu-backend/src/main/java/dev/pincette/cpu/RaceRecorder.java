package dev.pincette.cpu;

import dev.pincette.Atomics;
import dev.pincette.spi.KernelFault;

/**
 * What the race checker's copy of a kernel calls instead of each array access, integer division and atomic update
 * (see {@link RaceChecker}). The calls go to the calling thread's {@link Access}: the race checker's, which records
 * who touched each element, or a probe's, which finds the array an access fails on without writing anything.
 */
final class RaceRecorder {
  /** The access of the copy running on this thread; each copy runs on one thread. */
  static final ThreadLocal<Access> CURRENT = new ThreadLocal<>();

  private RaceRecorder() {}

  /** What one run of an instrumented copy does with the accesses it makes. */
  interface Access {
    /** Work item {@code item} starts. */
    void begin(int item);

    /** Before reading {@code array[index]}; throws for an index out of bounds. */
    void read(Object array, int index, int length);

    /** Before writing {@code array[index]}; whether to write it. Throws for an index out of bounds. */
    boolean write(Object array, int index, int length);

    /** Before an atomic update of {@code array[index]}; whether to update it. */
    boolean atomic(Object array, int index, int length);

    /** An integer division by zero: throws. */
    RuntimeException divisionByZero();
  }

  static void begin(int item) {
    CURRENT.get().begin(item);
  }

  static byte loadB(byte[] a, int i) {
    CURRENT.get().read(a, i, a.length);
    return a[i];
  }

  static int loadI(int[] a, int i) {
    CURRENT.get().read(a, i, a.length);
    return a[i];
  }

  static long loadJ(long[] a, int i) {
    CURRENT.get().read(a, i, a.length);
    return a[i];
  }

  static float loadF(float[] a, int i) {
    CURRENT.get().read(a, i, a.length);
    return a[i];
  }

  static double loadD(double[] a, int i) {
    CURRENT.get().read(a, i, a.length);
    return a[i];
  }

  static void storeB(byte[] a, int i, byte v) {
    if (CURRENT.get().write(a, i, a.length)) a[i] = v;
  }

  static void storeI(int[] a, int i, int v) {
    if (CURRENT.get().write(a, i, a.length)) a[i] = v;
  }

  static void storeJ(long[] a, int i, long v) {
    if (CURRENT.get().write(a, i, a.length)) a[i] = v;
  }

  static void storeF(float[] a, int i, float v) {
    if (CURRENT.get().write(a, i, a.length)) a[i] = v;
  }

  static void storeD(double[] a, int i, double v) {
    if (CURRENT.get().write(a, i, a.length)) a[i] = v;
  }

  static int add(int[] a, int i, int v) {
    return CURRENT.get().atomic(a, i, a.length) ? Atomics.add(a, i, v) : a[i];
  }

  static float add(float[] a, int i, float v) {
    return CURRENT.get().atomic(a, i, a.length) ? Atomics.add(a, i, v) : a[i];
  }

  static int min(int[] a, int i, int v) {
    return CURRENT.get().atomic(a, i, a.length) ? Atomics.min(a, i, v) : a[i];
  }

  static int max(int[] a, int i, int v) {
    return CURRENT.get().atomic(a, i, a.length) ? Atomics.max(a, i, v) : a[i];
  }

  static int idiv(int a, int b) {
    if (b == 0) throw CURRENT.get().divisionByZero();
    return a / b;
  }

  static int irem(int a, int b) {
    if (b == 0) throw CURRENT.get().divisionByZero();
    return a % b;
  }

  static long ldiv(long a, long b) {
    if (b == 0) throw CURRENT.get().divisionByZero();
    return a / b;
  }

  static long lrem(long a, long b) {
    if (b == 0) throw CURRENT.get().divisionByZero();
    return a % b;
  }

  static int floorDiv(int a, int b) {
    if (b == 0) throw CURRENT.get().divisionByZero();
    return Math.floorDiv(a, b);
  }

  static long floorDiv(long a, long b) {
    if (b == 0) throw CURRENT.get().divisionByZero();
    return Math.floorDiv(a, b);
  }

  static int floorMod(int a, int b) {
    if (b == 0) throw CURRENT.get().divisionByZero();
    return Math.floorMod(a, b);
  }

  static long floorMod(long a, long b) {
    if (b == 0) throw CURRENT.get().divisionByZero();
    return Math.floorMod(a, b);
  }

  /** An index out of bounds, as every backend reports it. */
  static KernelFault outOfBounds(String where, String parameter, int index, int length, int item) {
    return KernelFault.outOfBounds(where, parameter, index, length, item, null);
  }
}
