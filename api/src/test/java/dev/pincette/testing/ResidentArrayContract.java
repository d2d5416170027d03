package dev.pincette.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.Compute;
import dev.pincette.ComputeOn;
import dev.pincette.DeviceArray;
import dev.pincette.DeviceMatrix;
import dev.pincette.Matrix;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Resident arrays ({@link DeviceArray}) as kernel arguments, on one backend: every element type with random and edge
 * values, written in place, mixed with Java arrays, passed twice, chained, read back; and the errors. A backend module
 * extends it with the {@code ComputeOn} that places calls and residents there; the results are checked against the
 * same kernel run on Java arrays on the CPU, bit for bit.
 */
public abstract class ResidentArrayContract {
  /** Where the calls run and residents live. */
  protected abstract ComputeOn on();

  /** The backend's name, as {@link DeviceArray#backend()} reports it. */
  protected abstract String backendName();

  /** Runs {@code body} with calls and uploads placed by {@link #on()}. */
  protected <T> T placed(Supplier<T> body) {
    return on().call(body);
  }

  static void floats(int i, float a, float[] x, float[] y) {
    y[i] = a * x[i] + y[i] / (x[i] - 0.5f);
  }

  static void doubles(int i, double a, double[] x, double[] y) {
    y[i] = Math.sqrt(Math.abs(x[i])) * a + y[i];
  }

  static void ints(int i, int a, int[] x, int[] y) {
    y[i] = (x[i] * a) ^ (y[i] >>> 3) + x[i] % 7;
  }

  static void longs(int i, long a, long[] x, long[] y) {
    y[i] = x[i] * a + (y[i] >> 5) - Long.rotateLeft(x[i], i);
  }

  static void bytes(int i, int a, byte[] x, byte[] y) {
    y[i] = (byte) (x[i] * a + y[i]);
  }

  /** Reads a Java array and a resident, writes a resident and a Java array. */
  static void mixed(int i, float[] javaIn, float[] resident, int[] counts, float[] javaOut) {
    float v = javaIn[i] + resident[i];
    resident[i] = v * 2;
    counts[i] += 1;
    javaOut[i] = v;
  }

  static void addInPlace(int i, float[] x, float[] y) {
    y[i] += x[i];
  }

  static void shifted(int i, float[] x, float[] y) {
    y[i] = x[i + 1];
  }

  static float square(int i, float[] x) {
    return x[i] * x[i];
  }

  private static final float[] FLOAT_EDGES = {0f, -0f, 1f, -1f, Float.NaN, Float.POSITIVE_INFINITY,
      Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MAX_VALUE, 1e-40f, 0.5f};
  private static final double[] DOUBLE_EDGES = {0, -0.0, 1, -1, Double.NaN, Double.POSITIVE_INFINITY,
      Double.NEGATIVE_INFINITY, Double.MIN_VALUE, Double.MAX_VALUE, 1e-310};
  private static final int[] INT_EDGES = {0, 1, -1, Integer.MIN_VALUE, Integer.MAX_VALUE, 7, -7};
  private static final long[] LONG_EDGES = {0, 1, -1, Long.MIN_VALUE, Long.MAX_VALUE, Integer.MIN_VALUE};
  private static final byte[] BYTE_EDGES = {0, 1, -1, Byte.MIN_VALUE, Byte.MAX_VALUE};

  private static float[] randomFloats(SplittableRandom rnd, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = i < FLOAT_EDGES.length ? FLOAT_EDGES[i] : (float) rnd.nextDouble(-100, 100);
    }
    return x;
  }

  @Test
  void floatResidentsAreWrittenInPlaceAsOnJavaArrays() {
    SplittableRandom rnd = new SplittableRandom(1);
    for (int n : new int[] {1, 12, 1000, 65_537}) {
      float[] x = randomFloats(rnd, n);
      float[] y = randomFloats(rnd, n);
      float[] expected = y.clone();
      Compute.on(dev.pincette.BackendKind.CPU).forEach(n, ResidentArrayContract::floats, 1.5f, x, expected);
      try (DeviceArray<float[]> dx = placed(() -> Compute.upload(x));
           DeviceArray<float[]> dy = placed(() -> Compute.upload(y))) {
        assertEquals(backendName(), dy.backend());
        on().forEach(n, ResidentArrayContract::floats, 1.5f, dx, dy);
        assertArrayEquals(expected, dy.download(), "n=" + n);
        assertArrayEquals(x, dx.download(), "read only");
      }
    }
  }

  @Test
  void everyElementTypeRoundTripsAndComputesLikeTheCpu() {
    SplittableRandom rnd = new SplittableRandom(2);
    int n = 4099;
    double[] dx = new double[n];
    double[] dy = new double[n];
    int[] ix = new int[n];
    int[] iy = new int[n];
    long[] lx = new long[n];
    long[] ly = new long[n];
    byte[] bx = new byte[n];
    byte[] by = new byte[n];
    for (int i = 0; i < n; i++) {
      dx[i] = i < DOUBLE_EDGES.length ? DOUBLE_EDGES[i] : rnd.nextDouble(-1e6, 1e6);
      dy[i] = rnd.nextDouble();
      ix[i] = i < INT_EDGES.length ? INT_EDGES[i] : rnd.nextInt();
      iy[i] = rnd.nextInt();
      lx[i] = i < LONG_EDGES.length ? LONG_EDGES[i] : rnd.nextLong();
      ly[i] = rnd.nextLong();
      bx[i] = i < BYTE_EDGES.length ? BYTE_EDGES[i] : (byte) rnd.nextInt();
      by[i] = (byte) rnd.nextInt();
    }
    ComputeOn cpu = Compute.on(dev.pincette.BackendKind.CPU);
    double[] dExpected = dy.clone();
    cpu.forEach(n, ResidentArrayContract::doubles, 3.0, dx, dExpected);
    int[] iExpected = iy.clone();
    cpu.forEach(n, ResidentArrayContract::ints, 31, ix, iExpected);
    long[] lExpected = ly.clone();
    cpu.forEach(n, ResidentArrayContract::longs, 1_000_003L, lx, lExpected);
    byte[] bExpected = by.clone();
    cpu.forEach(n, ResidentArrayContract::bytes, 3, bx, bExpected);
    try (DeviceArray<double[]> rdx = placed(() -> Compute.upload(dx));
         DeviceArray<double[]> rdy = placed(() -> Compute.upload(dy));
         DeviceArray<int[]> rix = placed(() -> Compute.upload(ix));
         DeviceArray<int[]> riy = placed(() -> Compute.upload(iy));
         DeviceArray<long[]> rlx = placed(() -> Compute.upload(lx));
         DeviceArray<long[]> rly = placed(() -> Compute.upload(ly));
         DeviceArray<byte[]> rbx = placed(() -> Compute.upload(bx));
         DeviceArray<byte[]> rby = placed(() -> Compute.upload(by))) {
      assertArrayEquals(dx, rdx.download());
      assertArrayEquals(ix, rix.download());
      assertArrayEquals(lx, rlx.download());
      assertArrayEquals(bx, rbx.download());
      if (doublesRun()) {
        on().forEach(n, ResidentArrayContract::doubles, 3.0, rdx, rdy);
        assertArrayEquals(dExpected, rdy.download());
      }
      on().forEach(n, ResidentArrayContract::ints, 31, rix, riy);
      on().forEach(n, ResidentArrayContract::longs, 1_000_003L, rlx, rly);
      on().forEach(n, ResidentArrayContract::bytes, 3, rbx, rby);
      assertArrayEquals(iExpected, riy.download());
      assertArrayEquals(lExpected, rly.download());
      assertArrayEquals(bExpected, rby.download());
      int[] into = new int[n];
      assertTrue(into == riy.downloadInto(into));
      assertArrayEquals(iExpected, into);
    }
  }

  /** Whether the backend runs double kernels (a device without float64 does not). */
  protected boolean doublesRun() {
    return true;
  }

  @Test
  void residentAndJavaArraysMixInOneCall() {
    int n = 3000;
    float[] in = randomFloats(new SplittableRandom(3), n);
    float[] start = randomFloats(new SplittableRandom(4), n);
    float[] expectedResident = start.clone();
    float[] expectedOut = new float[n];
    int[] expectedCounts = new int[n];
    Compute.on(dev.pincette.BackendKind.CPU).forEach(n, ResidentArrayContract::mixed, in, expectedResident,
        expectedCounts, expectedOut);
    try (DeviceArray<float[]> resident = placed(() -> Compute.upload(start));
         DeviceArray<int[]> counts = placed(() -> Compute.zeros(int[].class, n))) {
      float[] out = new float[n];
      float[] inCopy = in.clone();
      on().forEach(n, ResidentArrayContract::mixed, in, resident, counts, out);
      assertArrayEquals(expectedOut, out);
      assertArrayEquals(inCopy, in, "a Java array only read is left alone");
      on().forEach(n, ResidentArrayContract::mixed, in, resident, counts, out);
      Compute.on(dev.pincette.BackendKind.CPU).forEach(n, ResidentArrayContract::mixed, in, expectedResident,
          expectedCounts, expectedOut);
      assertArrayEquals(expectedResident, resident.download());
      assertArrayEquals(expectedCounts, counts.download());
      assertArrayEquals(expectedOut, out);
    }
  }

  @Test
  void aChainOfKernelsOnResidentsEndsWhereTheCpuDoes() {
    int n = 10_000;
    SplittableRandom rnd = new SplittableRandom(5);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = (float) rnd.nextDouble(-1, 1);
    float[] expected = new float[n];
    for (int step = 0; step < 20; step++) {
      for (int i = 0; i < n; i++) expected[i] += x[i];
    }
    try (DeviceArray<float[]> dx = placed(() -> Compute.upload(x));
         DeviceArray<float[]> dy = placed(() -> Compute.zeros(float[].class, n))) {
      for (int step = 0; step < 20; step++) on().forEach(n, ResidentArrayContract::addInPlace, dx, dy);
      assertArrayEquals(expected, dy.await().download());
      double sum = on().sum(n, ResidentArrayContract::square, dy);
      double reference = 0;
      double magnitude = 0;
      for (float v : expected) {
        reference += (double) v * v;
        magnitude += Math.abs((double) v * v);
      }
      assertEquals(reference, sum, 1e-6 * magnitude);
      double total = placed(() -> Compute.sum(dy));
      double plain = 0;
      double size = 0;
      for (float v : expected) {
        plain += v;
        size += Math.abs(v);
      }
      assertEquals(plain, total, 1e-6 * size);
    }
  }

  @Test
  void aResidentPassedTwiceIsOneArray() {
    float[] x = {1, 2, 3, 4};
    try (DeviceArray<float[]> dx = placed(() -> Compute.upload(x))) {
      on().forEach(4, ResidentArrayContract::addInPlace, dx, dx);
      assertArrayEquals(new float[] {2, 4, 6, 8}, dx.download());
    }
  }

  @Test
  void uploadCopiesAndZerosAreZero() {
    float[] x = {1, 2, 3};
    try (DeviceArray<float[]> dx = placed(() -> Compute.upload(x));
         DeviceArray<long[]> zeros = placed(() -> Compute.zeros(long[].class, 5));
         DeviceArray<byte[]> empty = placed(() -> Compute.zeros(byte[].class, 0))) {
      x[0] = 99;
      assertArrayEquals(new float[] {1, 2, 3}, dx.download());
      assertArrayEquals(new long[5], zeros.download());
      assertEquals(0, empty.download().length);
      assertEquals(float[].class, dx.arrayType());
      assertEquals(3, dx.length());
    }
  }

  @Test
  void outOfBoundsOnAResidentNamesTheParameter() {
    try (DeviceArray<float[]> dx = placed(() -> Compute.upload(new float[8]));
         DeviceArray<float[]> dy = placed(() -> Compute.zeros(float[].class, 8))) {
      ArrayIndexOutOfBoundsException e = assertThrows(ArrayIndexOutOfBoundsException.class, () -> {
        on().forEach(8, ResidentArrayContract::shifted, dx, dy);
        dy.await();
      });
      assertTrue(e.getMessage().contains("Index 8 out of bounds for length 8 of x"), e.getMessage());
      // Reported once; the data stays as the kernel left it, and later calls work.
      on().forEach(7, ResidentArrayContract::shifted, dx, dy);
      assertArrayEquals(new float[8], dy.download());
    }
  }

  @Test
  void closedResidentsAndWrongTypesAreRefused() {
    DeviceArray<float[]> dx = placed(() -> Compute.upload(new float[4]));
    DeviceArray<int[]> ints = placed(() -> Compute.upload(new int[4]));
    try {
      IllegalArgumentException wrongType = assertThrows(IllegalArgumentException.class,
          () -> on().forEach(4, ResidentArrayContract::addInPlace, dx, ints));
      assertTrue(wrongType.getMessage().contains("argument 2 (y)")
          && wrongType.getMessage().contains("DeviceArray<int[]>"), wrongType.getMessage());
      @SuppressWarnings({"unchecked", "rawtypes"})
      DeviceArray<float[]> castInts = (DeviceArray) ints;
      IllegalArgumentException sumOfInts = assertThrows(IllegalArgumentException.class, () -> Compute.sum(castInts));
      assertTrue(sumOfInts.getMessage().contains("DeviceArray<int[]>"), sumOfInts.getMessage());
      try (DeviceMatrix m = placed(() -> Compute.upload(Matrix.zeros(2, 2)))) {
        IllegalArgumentException matrix = assertThrows(IllegalArgumentException.class,
            () -> on().forEach(4, ResidentArrayContract::addInPlace, dx, m));
        assertTrue(matrix.getMessage().contains("DeviceMatrix"), matrix.getMessage());
      }
      dx.close();
      assertTrue(dx.isClosed());
      IllegalStateException closed = assertThrows(IllegalStateException.class,
          () -> on().forEach(4, ResidentArrayContract::addInPlace, dx, dx));
      assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
      assertThrows(IllegalStateException.class, dx::download);
      assertThrows(IllegalStateException.class, () -> Compute.sum(dx));
      dx.close();
    } finally {
      ints.close();
    }
    assertThrows(IllegalArgumentException.class, () -> Compute.zeros(String[].class, 3));
    assertThrows(IllegalArgumentException.class, () -> Compute.zeros(float[].class, -1));
    // Longer than the longest Java array (which the GPU machine's 80 GB could hold as longs): refused, not allocated.
    for (int tooLong : new int[] {Integer.MAX_VALUE - 7, Integer.MAX_VALUE}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Compute.zeros(byte[].class, tooLong));
      assertTrue(e.getMessage().contains("length " + tooLong), e.getMessage());
    }
    assertThrows(NullPointerException.class, () -> Compute.upload((float[]) null));
    try (DeviceArray<float[]> small = placed(() -> Compute.upload(new float[2]))) {
      assertThrows(IllegalArgumentException.class, () -> small.downloadInto(new float[3]));
      assertThrows(NullPointerException.class, () -> small.downloadInto(null));
      assertFalse(small.isClosed());
    }
  }

  @Test
  @SuppressWarnings({"unchecked", "rawtypes"})
  void aRawDeviceArrayOfAnotherElementTypeIsRefusedWhereFloatsAreWanted() {
    int size = 16;
    int dims = 3;
    float[] points = new float[size * dims];
    for (int i = 0; i < points.length; i++) points[i] = i * 0.25f;
    // A raw DeviceArray passes the compiler: the element type is checked where the positions are taken.
    DeviceArray raw = placed(() -> Compute.upload(new byte[size * dims]));
    try (dev.pincette.spatial.SpatialHashMap map = placed(() -> dev.pincette.spatial.SpatialHashMap.build(points, dims,
        1f))) {
      IllegalArgumentException update = assertThrows(IllegalArgumentException.class,
          () -> placed(() -> {
            map.update((DeviceArray<float[]>) raw);
            return null;
          }));
      assertTrue(update.getMessage().contains("float[]") && update.getMessage().contains("byte[]"),
          update.getMessage());
      IllegalArgumentException sum = assertThrows(IllegalArgumentException.class,
          () -> Compute.sum((DeviceArray<float[]>) raw));
      assertTrue(sum.getMessage().contains("sum") && sum.getMessage().contains("byte[]"), sum.getMessage());
    } finally {
      raw.close();
    }
  }
}
