package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.BackendKind;
import dev.pincette.CallRecord;
import dev.pincette.Compute;
import dev.pincette.internal.Dispatcher;
import dev.pincette.kernels.MatmulOp;
import dev.pincette.kernels.ReduceOp;
import dev.pincette.kernels.SpatialOp;
import dev.pincette.spatial.Neighbors;
import dev.pincette.spatial.SpatialHashMap;
import dev.pincette.spi.BackendException;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A device error never loses a result: the backend throws BackendException and {@code Compute} reruns on the CPU. */
class ClFaultTest {
  private static final ClBackend BACKEND = new ClBackend(null, ClProgramCache.defaultDir(), false, true);
  // Above ClMatmul.SMALL_WORK: the tiled kernel (the small path has tests of its own).
  private static final int M = 71, K = 67, N = 59;
  private static final float[] A = random(M * K, 1);
  private static final float[] B = random(K * N, 2);

  @BeforeAll
  static void requireDevice() {
    ClTestDevice.require(BACKEND);
  }

  /** Each test starts with the device on: injected failures of one test must not switch it off for the next. */
  @BeforeEach
  @AfterEach
  void disarm() {
    ClFaults.clear();
    Dispatcher.get().health().reset();
  }

  @AfterAll
  static void close() {
    BACKEND.close();
  }

  private static float[] random(int n, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
    return x;
  }

  private static void assertMatmulCorrect(float[] c) {
    double[] ref = MatmulOp.reference(A, B, M, K, N);
    double[] bound = MatmulOp.errorBound(A, B, M, K, N);
    for (int i = 0; i < c.length; i++) assertTrue(Math.abs(c[i] - ref[i]) <= bound[i], "element " + i);
  }

  @Test
  void kernelFaultNamesTheCallAndTheError() {
    ClFaults.failNext("clEnqueueNDRangeKernel");
    BackendException e = assertThrows(BackendException.class, () -> BACKEND.matmul(A, B, M, K, N));
    assertTrue(e.getMessage().startsWith("CL_OUT_OF_RESOURCES in clEnqueueNDRangeKernel(matmul)"), e.getMessage());
    assertMatmulCorrect(BACKEND.matmul(A, B, M, K, N));
  }

  @Test
  void allocationAndTransferFaultsLeaveNoBufferBehind() {
    float[] x = random(10_000, 3);
    BACKEND.sum(x);
    int buffers = BACKEND.context().pool.allocatedCount();
    for (String call : new String[] {"clCreateBuffer(sum)", "clEnqueueWriteBuffer(sum)", "clEnqueueReadBuffer(sum)",
        "clEnqueueNDRangeKernel(sum_final)"}) {
      ClFaults.failNext(call);
      BackendException e = assertThrows(BackendException.class, () -> BACKEND.sum(x), call);
      assertTrue(e.getMessage().contains(call), e.getMessage());
      assertFalse(ClFaults.armed());
    }
    assertEquals(ReduceOp.referenceSum(x), BACKEND.sum(x), 1e-6 * ReduceOp.absSum(x));
    assertEquals(buffers, BACKEND.context().pool.allocatedCount());
  }

  @Test
  void computeRerunsAFailedMatmulOnTheCpu() {
    ClFaults.failNext("clEnqueueNDRangeKernel(matmul)");
    float[] c = Compute.on(BackendKind.OPENCL).matmul(A, M, K, B, K, N);
    CallRecord record = Compute.lastCall();
    assertTrue(record.fellBack(), record.toString());
    assertEquals("cpu", record.backend());
    assertTrue(record.fallbackReason().contains("CL_OUT_OF_RESOURCES in clEnqueueNDRangeKernel(matmul)"),
        record.fallbackReason());
    assertMatmulCorrect(c);

    assertMatmulCorrect(Compute.on(BackendKind.OPENCL).matmul(A, M, K, B, K, N));
    assertFalse(Compute.lastCall().fellBack());
    assertEquals("opencl", Compute.lastCall().backend());
  }

  @Test
  void computeRerunsAFailedAllocationOnTheCpu() {
    float[] x = random(100_000, 4);
    ClFaults.failNext("clCreateBuffer(argmax)");
    assertEquals(ReduceOp.referenceArgmax(x), Compute.on(BackendKind.OPENCL).argmax(x));
    assertTrue(Compute.lastCall().fellBack());
    assertEquals(ReduceOp.referenceArgmax(x), Compute.on(BackendKind.OPENCL).argmax(x));
    assertEquals("opencl", Compute.lastCall().backend());
  }

  @Test
  void aSpatialMapWhoseBuildFailsIsBuiltOnTheCpu() {
    float[] points = random(300, 5);
    float[] center = {0, 0, 0};
    ClFaults.failNext("clEnqueueNDRangeKernel(cell_");   // cell_bounds, or cell_keys off the grid
    try (SpatialHashMap map = Compute.on(BackendKind.OPENCL).call(() -> SpatialHashMap.build(points, 3, 0.2f))) {
      assertFalse(ClFaults.armed(), "the fault fired");
      assertEquals("cpu", map.backend());
      assertTrue(Compute.lastCall().fellBack());
      assertTrue(Compute.lastCall().fallbackReason().contains("clEnqueueNDRangeKernel(cell_"),
          Compute.lastCall().fallbackReason());
      assertSpatialAnswers(points, map);
    }
    try (SpatialHashMap map = Compute.on(BackendKind.OPENCL).call(() -> SpatialHashMap.build(points, 3, 0.2f))) {
      assertEquals("opencl", map.backend());
      assertSpatialAnswers(points, map);
    }
  }

  /** A search that fails on the device moves its level to the CPU, which answers it and every later one. */
  @Test
  void aSpatialMapWhoseSearchFailsAnswersFromTheCpu() {
    float[] points = random(3 * 500, 6);
    try (SpatialHashMap map = Compute.on(BackendKind.OPENCL).call(() -> SpatialHashMap.build(points, 3, 0.2f))) {
      assertEquals("opencl", map.backend());
      ClFaults.failNext("clEnqueueNDRangeKernel(neighbors_");
      Neighbors all = map.neighborsWithin(0.2f);
      assertFalse(ClFaults.armed(), "the fault fired");
      assertEquals("cpu", map.backend());
      int[][] expected = SpatialOp.neighborsReference(points, 3, 0.2f);
      for (int i = 0; i < expected.length; i++) assertArrayEquals(expected[i], all.of(i), "point " + i);
      assertSpatialAnswers(points, map);
      assertEquals(1, Dispatcher.get().health().failuresInARow("opencl"), "the failure counted against the device");
    }
  }

  private static void assertSpatialAnswers(float[] points, SpatialHashMap map) {
    for (float[] center : new float[][] {{0, 0, 0}, {0.5f, -0.5f, 0.25f}}) {
      assertArrayEquals(SpatialOp.queryReference(points, 3, center, 0.5f), map.query(center, 0.5f));
    }
    int[][] expected = SpatialOp.neighborsReference(points, 3, 0.3f);
    int[] counts = map.neighborCounts(0.3f);
    for (int i = 0; i < expected.length; i++) assertEquals(expected[i].length, counts[i], "count of " + i);
  }
}
