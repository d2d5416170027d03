package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.spi.BackendException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Host-array products split into tiles whose transfers overlap compute, run on PoCL with small panels. */
class ClMatmulPipelineTest {
  private static final ClBackend STAGED = new ClBackend(null, ClProgramCache.defaultDir(), true, true);
  private static final ClBackend PLAIN = new ClBackend(null, ClProgramCache.defaultDir(), false, true);
  private static final int PANEL = 32;

  @BeforeAll
  static void requireDevice() {
    ClTestDevice.require(STAGED);
    STAGED.matmulOp().pipeline(PANEL, 0);
    // Products this small would take ClQueue.smallProduct (tested in ClSmallProductTest), not the paths tested here.
    STAGED.matmulOp().smallProducts(0);
    PLAIN.matmulOp().smallProducts(0);
  }

  @AfterEach
  void disarm() {
    ClFaults.clear();
  }

  @AfterAll
  static void close() {
    STAGED.close();
    PLAIN.close();
  }

  @ParameterizedTest(name = "{0}x{1} · {1}x{2}")
  @CsvSource({"100,37,70", "64,64,64", "65,1,129", "33,10,200", "200,9,33", "1,300,97", "97,300,1", "130,130,130"})
  void pipelinedProductsMatchTheReference(int m, int k, int n) {
    assertTrue(STAGED.matmulOp().pipelined(STAGED.context(), m, k, n), "the shape spans several panels");
    float[] a = ClResidentTest.random(m * k, m);
    float[] b = ClResidentTest.random(k * n, n);
    ClResidentTest.assertProduct(a, b, m, k, n, STAGED.matmul(a, b, m, k, n));
  }

  @ParameterizedTest(name = "{0} × {1}x{2} · {2}x{3}")
  @CsvSource({"1,5,6,7", "64,100,30,70", "3,1,1,1", "200,33,17,41", "5,0,4,3"})
  void gatheredProductsEqualSingleProductsBitForBit(int count, int m, int k, int n) {
    for (ClBackend backend : new ClBackend[] {STAGED, PLAIN}) {
      float[][] as = new float[count][];
      float[][] bs = new float[count][];
      for (int i = 0; i < count; i++) {
        as[i] = ClResidentTest.random(m * k, 10L * i + 1);
        bs[i] = ClResidentTest.random(k * n, 10L * i + 2);
      }
      float[][] each = backend.matmulEach(as, bs, m, k, n);
      assertEquals(count, each.length);
      for (int i = 0; i < count; i++) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(backend.matmul(as[i], bs[i], m, k, n), each[i],
            "product " + i);
      }
    }
  }

  @Test
  void oneTileIsNotPipelined() {
    assertFalse(STAGED.matmulOp().pipelined(STAGED.context(), PANEL, 100, PANEL));
  }

  @Test
  void aFailureInsideThePipelineLeavesNoBufferLeased() {
    int m = 90, k = 20, n = 70;
    float[] a = ClResidentTest.random(m * k, 1);
    float[] b = ClResidentTest.random(k * n, 2);
    STAGED.matmul(a, b, m, k, n);
    ClBufferPool pool = STAGED.context().pool;
    int leased = pool.leasedCount();
    for (String call : new String[] {"clEnqueueWriteBuffer(matmul)", "clEnqueueNDRangeKernel(matmul)",
        "clEnqueueReadBuffer(matmul)", "clCreateBuffer(matmul)"}) {
      ClFaults.failNext(call);
      BackendException e = assertThrows(BackendException.class, () -> STAGED.matmul(a, b, m, k, n), call);
      assertTrue(e.getMessage().contains(call), e.getMessage());
      assertEquals(leased, pool.leasedCount(), call);
    }
    ClResidentTest.assertProduct(a, b, m, k, n, STAGED.matmul(a, b, m, k, n));
  }
}
