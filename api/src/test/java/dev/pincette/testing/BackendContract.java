package dev.pincette.testing;

import dev.pincette.spi.Backend;
import dev.pincette.spi.SpatialIndex;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pincette.kernels.MatmulOp;
import dev.pincette.kernels.ReduceOp;
import dev.pincette.kernels.SpatialOp;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The suite every backend passes: each op against the float64 reference of {@code kernels}, on random and edge shapes.
 * A backend module tests itself by extending this class; sizes stay small enough for PoCL on 2 cores.
 */
public abstract class BackendContract {
  /** The backend under test; the same instance for every test of a class. */
  protected abstract Backend backend();

  /** Largest matmul side used by the shape list; a slow device may lower it. */
  protected int largeSide() {
    return 300;
  }

  static float[] random(SplittableRandom rnd, int n, float lo, float hi) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = lo + (hi - lo) * (float) rnd.nextDouble();
    return x;
  }

  static Stream<Arguments> matmulShapes() {
    return Stream.of(
        Arguments.of(1, 1, 1), Arguments.of(1, 7, 1), Arguments.of(1, 300, 1), Arguments.of(2, 3, 4),
        Arguments.of(7, 13, 11), Arguments.of(37, 53, 29), Arguments.of(47, 47, 47), Arguments.of(48, 48, 48),
        Arguments.of(49, 49, 49), Arguments.of(64, 64, 64), Arguments.of(65, 65, 65), Arguments.of(300, 5, 3),
        Arguments.of(3, 5, 300), Arguments.of(5, 300, 3), Arguments.of(97, 257, 33), Arguments.of(130, 259, 70),
        Arguments.of(193, 100, 131), Arguments.of(256, 16, 256), Arguments.of(0, 5, 3), Arguments.of(4, 0, 3));
  }

  @ParameterizedTest(name = "{0}x{1} · {1}x{2}")
  @MethodSource("matmulShapes")
  void matmulMatchesReferenceOnEdgeShapes(int m, int k, int n) {
    SplittableRandom rnd = new SplittableRandom(31L * m + 7L * k + n);
    float[] a = random(rnd, m * k, -1, 1);
    float[] b = random(rnd, k * n, -1, 1);
    assertMatmul(a, b, m, k, n);
  }

  @Test
  void matmulMatchesReferenceOnALargeSquare() {
    int n = largeSide();
    SplittableRandom rnd = new SplittableRandom(5);
    assertMatmul(random(rnd, n * n, -2, 2), random(rnd, n * n, 0, 1), n, n, n);
  }

  void assertMatmul(float[] a, float[] b, int m, int k, int n) {
    float[] c = backend().matmul(a, b, m, k, n);
    assertEquals(m * n, c.length, "result length");
    double[] ref = MatmulOp.reference(a, b, m, k, n);
    double[] bound = MatmulOp.errorBound(a, b, m, k, n);
    for (int i = 0; i < c.length; i++) {
      if (!(Math.abs(c[i] - ref[i]) <= bound[i])) {
        fail("matmul " + m + "x" + k + " · " + k + "x" + n + ": element (" + i / n + "," + i % n + ") = " + c[i]
            + ", reference " + ref[i] + ", bound " + bound[i]);
      }
    }
  }

  @Test
  void matmulPropagatesNaN() {
    float[] a = {1, 2, Float.NaN, 4};
    float[] b = {1, 0, 0, 1};
    float[] c = backend().matmul(a, b, 2, 2, 2);
    assertEquals(1f, c[0]);
    assertEquals(2f, c[1]);
    assertTrue(Float.isNaN(c[2]) && Float.isNaN(c[3]), Arrays.toString(c));
  }

  @ParameterizedTest(name = "{0} × {1}x{2} · {2}x{3}")
  @MethodSource("batchedShapes")
  void batchedMatmulMatchesReference(int count, int m, int k, int n) {
    SplittableRandom rnd = new SplittableRandom(count + 1000L * m);
    float[] a = random(rnd, count * m * k, -1, 1);
    float[] b = random(rnd, count * k * n, -1, 1);
    float[] c = backend().batchedMatmul(a, b, count, m, k, n);
    assertEquals(count * m * n, c.length);
    for (int item = 0; item < count; item++) {
      float[] ai = Arrays.copyOfRange(a, item * m * k, (item + 1) * m * k);
      float[] bi = Arrays.copyOfRange(b, item * k * n, (item + 1) * k * n);
      double[] ref = MatmulOp.reference(ai, bi, m, k, n);
      double[] bound = MatmulOp.errorBound(ai, bi, m, k, n);
      for (int i = 0; i < m * n; i++) {
        double got = c[item * m * n + i];
        assertTrue(Math.abs(got - ref[i]) <= bound[i], "item " + item + " element " + i + ": " + got + " vs " + ref[i]);
      }
    }
  }

  static Stream<Arguments> batchedShapes() {
    return Stream.of(Arguments.of(0, 4, 4, 4), Arguments.of(1, 1, 1, 1), Arguments.of(100, 16, 16, 16),
        Arguments.of(17, 3, 64, 5), Arguments.of(9, 64, 64, 64), Arguments.of(500, 2, 3, 4));
  }

  @ParameterizedTest(name = "n={0}")
  @ValueSource(ints = {0, 1, 2, 63, 64, 65, 511, 513, 4097, 65535, 65536, 65537, 300_001, 1 << 20})
  void sumAndDotMeetTheAccuracyContract(int n) {
    SplittableRandom rnd = new SplittableRandom(n);
    float[] x = random(rnd, n, -1, 1);
    float[] y = random(rnd, n, -1, 1);
    for (int i = 0; i < n; i += 97) x[i] *= 1e6f;
    double sum = backend().sum(x);
    assertTrue(Math.abs(sum - ReduceOp.referenceSum(x)) <= ReduceOp.SUM_TOLERANCE * ReduceOp.absSum(x),
        "sum " + sum + " vs " + ReduceOp.referenceSum(x));
    double dot = backend().dot(x, y);
    assertTrue(Math.abs(dot - ReduceOp.referenceDot(x, y)) <= ReduceOp.SUM_TOLERANCE * ReduceOp.absDot(x, y),
        "dot " + dot + " vs " + ReduceOp.referenceDot(x, y));
  }

  @Test
  void sumOfOnesIsExactAtAMillion() {
    float[] x = new float[1 << 24];
    Arrays.fill(x, 1f);
    assertEquals(1 << 24, backend().sum(x), 0);
  }

  @ParameterizedTest(name = "n={0}")
  @ValueSource(ints = {1, 2, 17, 64, 1000, 65537, 1 << 20})
  void minMaxArgMatchReference(int n) {
    SplittableRandom rnd = new SplittableRandom(n * 3L);
    float[] x = random(rnd, n, -100, 100);
    if (n > 10) x[n / 3] = x[2 * n / 3] = -1000f;
    assertEquals(ReduceOp.referenceMin(x), backend().min(x));
    assertEquals(ReduceOp.referenceMax(x), backend().max(x));
    assertEquals(ReduceOp.referenceArgmin(x), backend().argmin(x));
    assertEquals(ReduceOp.referenceArgmax(x), backend().argmax(x));
  }

  @ParameterizedTest(name = "NaN at {0} of 100000")
  @ValueSource(ints = {0, 1, 4096, 65536, 99_999})
  void reductionsPropagateNaN(int at) {
    float[] x = random(new SplittableRandom(at), 100_000, -1, 1);
    x[at] = Float.NaN;
    assertTrue(Double.isNaN(backend().sum(x)), "sum");
    assertTrue(Float.isNaN(backend().min(x)), "min");
    assertTrue(Float.isNaN(backend().max(x)), "max");
    assertTrue(Double.isNaN(backend().dot(x, x)), "dot");
    assertEquals(at, backend().argmin(x), "argmin");
    assertEquals(at, backend().argmax(x), "argmax");
  }

  @Test
  void reductionsHandleInfinitiesAndSignedZeros() {
    float[] x = {0f, -0f, Float.NEGATIVE_INFINITY, 3f, Float.POSITIVE_INFINITY};
    assertEquals(Float.NEGATIVE_INFINITY, backend().min(x));
    assertEquals(Float.POSITIVE_INFINITY, backend().max(x));
    assertTrue(Double.isNaN(backend().sum(x)));
    assertEquals(-0f, backend().min(new float[] {0f, -0f}));
    assertEquals(2, backend().argmin(x));
    assertEquals(4, backend().argmax(x));
  }

  static float[] cloud(SplittableRandom rnd, int n, int dims, float extent) {
    return random(rnd, n * dims, -extent, extent);
  }

  @ParameterizedTest(name = "{0}D, {1} points, cell {2}, radius {3}")
  @MethodSource("clouds")
  void spatialMatchesBruteForce(int dims, int n, float cellSize, float radius, float extent) {
    SplittableRandom rnd = new SplittableRandom(n * 13L + dims);
    float[] pos = cloud(rnd, n, dims, extent);
    try (SpatialIndex index = backend().buildSpatial(pos.clone(), dims, cellSize)) {
      assertEquals(n, index.size());
      assertSpatial(index, pos, dims, radius, rnd);
      for (int step = 0; step < 3; step++) {
        float jitter = step == 2 ? extent : cellSize * 0.3f;
        for (int i = 0; i < pos.length; i++) {
          if (step == 2 || rnd.nextInt(10) == 0) pos[i] += jitter * (float) (rnd.nextDouble() - 0.5);
        }
        index.update(pos.clone());
        assertSpatial(index, pos, dims, radius, rnd);
      }
    }
  }

  static Stream<Arguments> clouds() {
    return Stream.of(Arguments.of(2, 0, 1f, 1f, 1f), Arguments.of(3, 1, 1f, 1f, 1f),
        Arguments.of(2, 500, 0.5f, 0.5f, 5f), Arguments.of(3, 800, 0.4f, 0.45f, 3f),
        Arguments.of(3, 400, 0.1f, 1.5f, 2f), Arguments.of(2, 300, 10f, 0.2f, 3f),
        Arguments.of(3, 300, 1f, 0.3f, 0.4f), Arguments.of(3, 200, 1e-3f, 0.4f, 1f),
        Arguments.of(3, 100, 1f, 1e30f, 1e30f));
  }

  void assertSpatial(SpatialIndex index, float[] pos, int dims, float radius, SplittableRandom rnd) {
    int n = pos.length / dims;
    for (int q = 0; q < 20; q++) {
      float[] center = new float[dims];
      for (int d = 0; d < dims; d++) {
        center[d] = n > 0 && q % 2 == 0 ? pos[rnd.nextInt(n) * dims + d] : (float) (rnd.nextDouble() * 4 - 2);
      }
      assertArrayEquals(SpatialOp.queryReference(pos, dims, center, radius), index.query(center, radius),
          "query at " + Arrays.toString(center));
    }
    int[][] ref = SpatialOp.neighborsReference(pos, dims, radius);
    SpatialIndex.Csr csr = index.neighborsWithin(radius);
    assertEquals(n + 1, csr.offsets().length);
    for (int i = 0; i < n; i++) {
      assertArrayEquals(ref[i], Arrays.copyOfRange(csr.indices(), csr.offsets()[i], csr.offsets()[i + 1]),
          "neighbours of point " + i);
    }
  }

  @Test
  void spatialIncludesPointsExactlyOnTheRadius() {
    float[] pos = {0, 0, 0, 1, 0, 0, 0, 0.5f, 0, 0, 0, -1, 0, 0, 1.0000001f};
    try (SpatialIndex index = backend().buildSpatial(pos.clone(), 3, 0.25f)) {
      assertArrayEquals(new int[] {0, 1, 2, 3}, index.query(new float[] {0, 0, 0}, 1f));
      SpatialIndex.Csr csr = index.neighborsWithin(1f);
      assertArrayEquals(new int[] {1, 2, 3}, Arrays.copyOfRange(csr.indices(), csr.offsets()[0], csr.offsets()[1]));
    }
  }

  @Test
  void spatialWithAllPointsInOneCellAndFarApartKeys() {
    SplittableRandom rnd = new SplittableRandom(99);
    int n = 300;
    float[] pos = new float[n * 3];
    for (int i = 0; i < n; i++) {
      boolean far = i % 3 == 0;
      for (int d = 0; d < 3; d++) {
        pos[i * 3 + d] = far ? (float) ((rnd.nextDouble() - 0.5) * 2e7) : (float) rnd.nextDouble() * 0.01f;
      }
    }
    try (SpatialIndex index = backend().buildSpatial(pos.clone(), 3, 1f)) {
      assertSpatial(index, pos, 3, 0.5f, rnd);
    }
  }
}
