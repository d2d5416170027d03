package dev.pincette.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.BackendKind;
import dev.pincette.CallRecord;
import dev.pincette.Compute;
import dev.pincette.DeviceInfo;
import dev.pincette.Matrix;
import dev.pincette.spatial.Neighbors;
import dev.pincette.spatial.SpatialHashMap;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The public API contract through {@link Compute}, with the CPU backend found by ServiceLoader. */
class ComputeApiTest {
  private static void assertMessage(Class<? extends Throwable> type, Executable call, String... parts) {
    Throwable t = assertThrows(type, call);
    for (String p : parts) assertTrue(t.getMessage().contains(p), "message '" + t.getMessage() + "' lacks " + p);
  }

  @Test
  void matmulOfMatricesMatchesHandComputedProduct() {
    Matrix a = Matrix.of(2, 3, 1, 2, 3, 4, 5, 6);
    Matrix b = Matrix.of(new float[][] {{7, 8}, {9, 10}, {11, 12}});
    Matrix c = Compute.matmul(a, b);
    assertEquals(Matrix.of(2, 2, 58, 64, 139, 154), c);
    assertEquals("2x2", c.shape());
  }

  @Test
  void matrixCopiesItsInputAndOutput() {
    float[] data = {1, 2, 3, 4};
    Matrix m = Matrix.of(2, 2, data);
    data[0] = 99;
    assertEquals(1f, m.get(0, 0));
    m.toArray()[1] = 99;
    assertEquals(2f, m.get(0, 1));
    assertEquals(Matrix.of(2, 2, 1, 3, 2, 4), m.transpose());
  }

  @Test
  void badMatrixInputIsRejectedWithItsShape() {
    assertMessage(IllegalArgumentException.class, () -> Matrix.of(2, 3, 1, 2, 3), "got 3 values", "2x3 = 6");
    assertMessage(IllegalArgumentException.class, () -> Matrix.of(-1, 3), "negative");
    assertMessage(NullPointerException.class, () -> Matrix.of(2, 2, (float[]) null), "rowMajor");
    assertMessage(IllegalArgumentException.class, () -> Matrix.of(new float[][] {{1, 2}, {3}}), "row 1");
    assertThrows(IndexOutOfBoundsException.class, () -> Matrix.of(1, 1, 5).get(1, 0));
  }

  @Test
  void matmulShapeMismatchNamesBothShapes() {
    Matrix a = Matrix.zeros(3, 4);
    Matrix b = Matrix.zeros(5, 6);
    assertMessage(IllegalArgumentException.class, () -> Compute.matmul(a, b), "3x4 · 5x6");
    assertMessage(NullPointerException.class, () -> Compute.matmul(null, b), "a");
    assertMessage(NullPointerException.class, () -> Compute.matmul(a, null), "b");
    assertMessage(IllegalArgumentException.class, () -> Compute.matmul(new float[5], 2, 3, new float[6], 3, 2),
        "a has length 5", "2x3");
    assertMessage(IllegalArgumentException.class, () -> Compute.batchedMatmul(new float[8], new float[8], 2, 2, 2, 3),
        "b has length 8");
  }

  @Test
  void reductionsFollowTheEmptyAndNaNSemantics() {
    assertEquals(0.0, Compute.sum(new float[0]));
    assertEquals(0.0, Compute.dot(new float[0], new float[0]));
    assertMessage(IllegalArgumentException.class, () -> Compute.min(new float[0]), "min", "empty");
    assertMessage(IllegalArgumentException.class, () -> Compute.max(new float[0]), "max", "empty");
    assertMessage(IllegalArgumentException.class, () -> Compute.mean(new float[0]), "mean", "empty");
    assertMessage(IllegalArgumentException.class, () -> Compute.argmax(new float[0]), "argmax", "empty");
    assertMessage(IllegalArgumentException.class, () -> Compute.dot(new float[2], new float[3]), "2 · 3");
    assertMessage(NullPointerException.class, () -> Compute.sum((float[]) null), "sum");
    assertTrue(Double.isNaN(Compute.sum(new float[] {1, Float.NaN})));
    assertTrue(Float.isNaN(Compute.max(new float[] {1, Float.NaN, 2})));
    assertEquals(2.0, Compute.mean(new float[] {1, 2, 3}));
    assertEquals(1, Compute.argmin(new float[] {3, -1, -1}));
    assertEquals(10.0, Compute.sum(Matrix.of(2, 2, 1, 2, 3, 4)));
    assertEquals(4f, Compute.max(Matrix.of(2, 2, 1, 2, 3, 4)));
  }

  @Test
  void levelsRadiiAndPairIterationRejectBadInput() {
    float[] xyz = new float[30];
    assertMessage(IllegalArgumentException.class, () -> SpatialHashMap.build(xyz, 3, new float[0]), "no cell sizes");
    assertMessage(IllegalArgumentException.class, () -> SpatialHashMap.build(xyz, 3, new float[] {2f, 1f}),
        "ascend");
    assertMessage(IllegalArgumentException.class, () -> SpatialHashMap.build(xyz, 3, new float[] {1f, Float.NaN}),
        "cellSize");
    assertMessage(IllegalArgumentException.class, () -> SpatialHashMap.forRadii(xyz, 3, 0f, 1f), "minRadius");
    assertMessage(IllegalArgumentException.class, () -> SpatialHashMap.forRadii(xyz, 3, 2f, 1f), "minRadius");
    try (SpatialHashMap map = SpatialHashMap.forRadii(xyz, 3, 0.01f, 1f)) {
      assertEquals(8, map.cellSizes().length);
      assertMessage(IllegalArgumentException.class, () -> map.neighborsWithin(new float[9]), "9 radii for 10 points");
      float[] radii = new float[10];
      radii[3] = -1f;
      assertMessage(IllegalArgumentException.class, () -> map.neighborsWithin(radii), "radius 3");
      radii[3] = Float.POSITIVE_INFINITY;
      assertMessage(IllegalArgumentException.class, () -> map.neighborsWithin(radii), "radius 3");
      assertMessage(NullPointerException.class, () -> map.neighborsWithin((float[]) null), "radii");
      assertMessage(NullPointerException.class, () -> map.forEachPair(0.1f, null), "consumer");
      assertMessage(IllegalArgumentException.class, () -> map.neighborCounts(-1f), "radius");
      assertMessage(IllegalArgumentException.class, () -> map.forEachPair(Float.NaN, (i, j) -> {}), "radius");
    }
  }

  @Test
  void spatialBadInputIsRejected() {
    assertMessage(IllegalArgumentException.class, () -> SpatialHashMap.build(new float[4], 4, 1f), "dims");
    assertMessage(IllegalArgumentException.class, () -> SpatialHashMap.build(new float[5], 3, 1f), "multiple");
    assertMessage(IllegalArgumentException.class, () -> SpatialHashMap.build(new float[6], 3, 0f), "cellSize");
    assertMessage(IllegalArgumentException.class, () -> SpatialHashMap.build(new float[6], 3, Float.NaN), "cellSize");
    assertMessage(IllegalArgumentException.class,
        () -> SpatialHashMap.build(new float[] {0, Float.POSITIVE_INFINITY}, 2, 1f), "not finite");
    assertMessage(NullPointerException.class, () -> SpatialHashMap.build(null, 2, 1f), "positions");
    try (SpatialHashMap map = SpatialHashMap.build(new float[] {0, 0, 1, 1}, 2, 1f)) {
      assertMessage(IllegalArgumentException.class, () -> map.query(new float[3], 1f), "center");
      assertMessage(IllegalArgumentException.class, () -> map.query(new float[2], -1f), "radius");
      assertMessage(IllegalArgumentException.class, () -> map.update(new float[2]), "length 2");
      assertMessage(IllegalArgumentException.class, () -> map.update(new float[] {0, 0, Float.NaN, 0}), "finite");
    }
  }

  @Test
  void spatialHashMapAnswersQueriesAndSeesUpdates() {
    float[] pos = {0, 0, 0.5f, 0, 3, 3};
    try (SpatialHashMap map = SpatialHashMap.build(pos, 2, 1f)) {
      pos[0] = 100;
      assertEquals(3, map.size());
      assertArrayEquals(new int[] {0, 1}, map.query(new float[] {0, 0}, 0.5f));
      Neighbors n = map.neighborsWithin(1f);
      assertArrayEquals(new int[] {0, 1, 2, 2}, n.offsets());
      assertArrayEquals(new int[] {1}, n.of(0));
      map.update(new float[] {3, 3.5f, 0.5f, 0, 3, 3});
      assertArrayEquals(new int[] {0, 2}, map.query(new float[] {3, 3}, 0.5f));
      assertEquals("cpu", map.backend());
    }
  }

  @Test
  void onePinnedCallAndScopesUseTheNamedBackend() {
    float[] x = {1, 2, 3};
    assertEquals(6.0, Compute.on(BackendKind.CPU).sum(x));
    CallRecord last = Compute.lastCall();
    assertNotNull(last);
    assertEquals("sum", last.op());
    assertEquals(BackendKind.CPU, last.requested());
    assertEquals("cpu", last.backend());
    assertFalse(last.fellBack());
    BackendKind inside = Compute.on(BackendKind.CPU).call(Compute::currentBackend);
    assertEquals(BackendKind.CPU, inside);
    assertEquals(BackendKind.AUTO, Compute.currentBackend());
  }

  /** {@code ComputeOn.run}: every call in the body on the named backend, nested scopes innermost first. */
  @Test
  void runPlacesEveryCallOfItsBodyAndNestsInnermostFirst() {
    float[] x = {4, -1, 2.5f};
    java.util.List<String> ran = new java.util.ArrayList<>();
    Compute.on(BackendKind.CPU).run(() -> {
      assertEquals(BackendKind.CPU, Compute.currentBackend());
      assertEquals(5.5, Compute.sum(x));
      ran.add(Compute.lastCall().requested() + " " + Compute.lastCall().backend());
      Compute.on(BackendKind.AUTO).run(() -> {
        assertEquals(BackendKind.AUTO, Compute.currentBackend());
        assertEquals(1, Compute.argmin(x));
        ran.add(Compute.lastCall().requested() + " " + Compute.lastCall().backend());
      });
      assertEquals(BackendKind.CPU, Compute.currentBackend());
    });
    assertEquals(java.util.List.of("CPU cpu", "AUTO cpu"), ran);
    assertEquals(BackendKind.AUTO, Compute.currentBackend());
    assertMessage(NullPointerException.class, () -> Compute.on(BackendKind.CPU).run(null), "body");
    assertMessage(IllegalStateException.class, () -> Compute.on(BackendKind.OPENCL).run(() -> {}), "opencl");
  }

  /** The Matrix reductions equal the array ones, and an empty matrix is refused by those that need data. */
  @Test
  void matrixReductionsEqualTheArrayOnes() {
    Matrix m = Matrix.of(2, 3, 1, -2, 3, 4, -5, 6);
    assertEquals(7.0, Compute.sum(m));
    assertEquals(-5f, Compute.min(m));
    assertEquals(6f, Compute.max(m));
    assertEquals(7.0 / 6, Compute.mean(m), 1e-12);
    assertMessage(IllegalArgumentException.class, () -> Compute.min(Matrix.zeros(0, 3)), "min", "empty");
    assertMessage(IllegalArgumentException.class, () -> Compute.mean(Matrix.zeros(4, 0)), "mean", "empty");
    assertMessage(NullPointerException.class, () -> Compute.mean((Matrix) null), "mean");
    assertEquals(0.0, Compute.sum(Matrix.zeros(0, 0)));
  }

  @Test
  void neighborsCountEachPointAndEveryPair() {
    float[] pos = {0, 0, 0.5f, 0, 3, 3, 0.25f, 0.25f};
    try (SpatialHashMap map = SpatialHashMap.build(pos, 2, 1f)) {
      Neighbors n = map.neighborsWithin(0.6f);
      assertEquals(4, n.size());
      assertEquals(2, n.count(0));
      assertEquals(0, n.count(2));
      assertEquals(6, n.totalPairs(), "ordered pairs: 0-1, 0-3, 1-3 each way");
      assertThrows(IndexOutOfBoundsException.class, () -> n.count(4));
      assertThrows(IndexOutOfBoundsException.class, () -> n.of(-1));
    }
  }

  @Test
  void explainPlacesACallWithoutRunningIt() {
    Matrix a = Matrix.zeros(64, 32);
    Matrix b = Matrix.zeros(32, 16);
    dev.pincette.Explanation e = Compute.explain(() -> Compute.matmul(a, b));
    assertEquals("matmul", e.op());
    assertEquals("64x32 · 32x16", e.shape());
    assertFalse(e.predictions().isEmpty());
    assertTrue(e.predictions().stream().anyMatch(p -> p.backend().equals(e.chosen())), e.toString());
    assertTrue(e.predictions().stream().anyMatch(p -> p.backend().equals("cpu")), e.toString());
    dev.pincette.Explanation forced = Compute.on(BackendKind.CPU).call(() -> Compute.explain(() -> Compute.sum(new float[3])));
    assertEquals(BackendKind.CPU, forced.requested());
    assertEquals("forced", forced.reason());
    assertMessage(IllegalArgumentException.class, () -> Compute.explain(() -> Compute.matmul(a, a)), "64x32 · 64x32");
    assertMessage(IllegalArgumentException.class, () -> Compute.explain(() -> {}), "no Pincette call");
  }

  @Test
  void devicesListTheCpuWithItsSimdPath() {
    List<DeviceInfo> devices = Compute.devices();
    DeviceInfo cpu = devices.stream().filter(d -> d.backend().equals("cpu")).findFirst().orElseThrow();
    assertTrue(cpu.available());
    assertTrue(cpu.properties().get("simd").contains(VectorSupport.ENABLED ? "Vector API active" : "scalar"));
  }
}
