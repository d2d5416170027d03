package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.BackendKind;
import dev.pincette.CallRecord;
import dev.pincette.Compute;
import dev.pincette.kernels.MatmulOp;
import dev.pincette.kernels.ReduceOp;
import dev.pincette.spatial.SpatialHashMap;
import dev.pincette.spi.BackendException;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
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

  @AfterEach
  void disarm() {
    ClFaults.clear();
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
    ClFaults.failNext("clEnqueueNDRangeKernel(cell_");   // cell_bounds, or cell_keys off the grid
    try (SpatialHashMap map = Compute.on(BackendKind.OPENCL).call(() -> SpatialHashMap.build(points, 3, 0.2f))) {
      assertEquals("cpu", map.backend());
      assertTrue(Compute.lastCall().fellBack());
    }
    try (SpatialHashMap map = Compute.on(BackendKind.OPENCL).call(() -> SpatialHashMap.build(points, 3, 0.2f))) {
      assertEquals("opencl", map.backend());
      assertArrayEquals(dev.pincette.kernels.SpatialOp.queryReference(points, 3, new float[] {0, 0, 0}, 0.5f),
          map.query(new float[] {0, 0, 0}, 0.5f));
    }
  }
}
