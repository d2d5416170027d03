package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.HostMatrix;
import dev.pincette.spi.BackendException;
import dev.pincette.spi.HostMemory;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Products of host matrices (native memory) on PoCL: DMA straight from and to it, pipelined in small panels on the
 * staged (discrete-device) path, every element checked against the float64 reference.
 */
class ClHostMatrixTest {
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
    dev.pincette.internal.Dispatcher.get().health().reset();
  }

  @AfterAll
  static void close() {
    STAGED.close();
    PLAIN.close();
  }

  /** {@code a · b} through {@code backend}'s host-memory product, into memory filled with garbage first. */
  private static float[] product(ClBackend backend, float[] a, float[] b, int m, int k, int n) {
    try (HostMemory ha = backend.allocateHost(4L * a.length + 4);
        HostMemory hb = backend.allocateHost(4L * b.length + 4); HostMemory hc = backend.allocateHost(4L * m * n + 4)) {
      MemorySegment sa = ha.segment().asSlice(0, 4L * a.length);
      MemorySegment sb = hb.segment().asSlice(0, 4L * b.length);
      MemorySegment sc = hc.segment().asSlice(0, 4L * m * n);
      MemorySegment.copy(a, 0, sa, ValueLayout.JAVA_FLOAT, 0, a.length);
      MemorySegment.copy(b, 0, sb, ValueLayout.JAVA_FLOAT, 0, b.length);
      sc.fill((byte) 0x7f);
      backend.matmul(sa, sb, sc, m, k, n);
      assertArrayEquals(a, sa.toArray(ValueLayout.JAVA_FLOAT), "a is only read");
      return sc.toArray(ValueLayout.JAVA_FLOAT);
    }
  }

  @ParameterizedTest(name = "{0}x{1} · {1}x{2}")
  @CsvSource({"100,37,70", "64,64,64", "65,1,129", "33,10,200", "200,9,33", "1,300,97", "97,300,1", "130,130,130",
      "5,0,4", "1,1,1", "31,17,32"})
  void hostProductsMatchTheReferenceOnBothTransferPaths(int m, int k, int n) {
    float[] a = ClResidentTest.random(m * k, m);
    float[] b = ClResidentTest.random(k * n, n);
    assertEquals(k > 0 && (m > PANEL || n > PANEL), STAGED.matmulOp().hostPipelined(STAGED.context(), m, k, n));
    float[] staged = product(STAGED, a, b, m, k, n);
    ClResidentTest.assertProduct(a, b, m, k, n, staged);
    ClResidentTest.assertProduct(a, b, m, k, n, product(PLAIN, a, b, m, k, n));
  }

  @Test
  void discreteDevicesPinLargeHostMatricesAndZeroThem() {
    int before = ClHostMemory.LIVE.get();
    try (HostMemory big = STAGED.allocateHost(1 << 20); HostMemory small = STAGED.allocateHost(1024);
        HostMemory unified = PLAIN.allocateHost(1 << 20)) {
      assertTrue(big.pinned());
      assertFalse(small.pinned(), "below ClBackend.PIN_ABOVE");
      assertEquals(PLAIN.context().staged, unified.pinned(), "host-unified devices use the memory in place");
      assertEquals(before + (unified.pinned() ? 2 : 1), ClHostMemory.LIVE.get());
      assertArrayEquals(new float[1 << 18], big.segment().toArray(ValueLayout.JAVA_FLOAT));
    }
    assertEquals(before, ClHostMemory.LIVE.get());
  }

  /** The fault fires (on the staged path memory of this size is pinned), and the ordinary memory works in products. */
  @Test
  void aPinnedAllocationThatFailsGivesOrdinaryMemory() {
    // Large enough to be pinned, small enough that the product runs without tuning the block shapes first.
    int side = 200;
    try (HostMemory pinned = STAGED.allocateHost(4L * side * side)) {
      assertTrue(pinned.pinned(), "without the fault this memory is pinned");
    }
    ClFaults.failNext("clCreateBuffer(hostMatrix)");
    try (HostMemory m = STAGED.allocateHost(4L * side * side);
        HostMemory a = STAGED.allocateHost(4L * side * side);
        HostMemory b = STAGED.allocateHost(4L * side * side)) {
      assertFalse(ClFaults.armed(), "the fault fired");
      assertFalse(m.pinned());
      assertTrue(a.pinned() && b.pinned(), "only the one allocation failed");
      assertEquals(4L * side * side, m.segment().byteSize());
      assertArrayEquals(new float[side * side], m.segment().toArray(ValueLayout.JAVA_FLOAT), "zeroed");
      float[] x = ClResidentTest.random(side * side, 31);
      float[] y = ClResidentTest.random(side * side, 32);
      MemorySegment.copy(x, 0, a.segment(), ValueLayout.JAVA_FLOAT, 0, x.length);
      MemorySegment.copy(y, 0, b.segment(), ValueLayout.JAVA_FLOAT, 0, y.length);
      STAGED.matmul(a.segment(), b.segment(), m.segment(), side, side, side);
      ClResidentTest.assertProduct(x, y, side, side, side, m.segment().toArray(ValueLayout.JAVA_FLOAT));
    }
  }

  @Test
  void aFailureInsideTheHostPipelineLeavesNoBufferLeasedAndTheNextCallWorks() {
    int m = 90;
    int k = 20;
    int n = 70;
    float[] a = ClResidentTest.random(m * k, 1);
    float[] b = ClResidentTest.random(k * n, 2);
    product(STAGED, a, b, m, k, n);
    ClBufferPool pool = STAGED.context().pool;
    int leased = pool.leasedCount();
    for (String call : new String[] {"clEnqueueWriteBuffer(matmul)", "clEnqueueNDRangeKernel(matmul)",
        "clEnqueueReadBuffer(matmul)", "clCreateBuffer(matmul)", "clWaitForEvents(matmul)"}) {
      ClFaults.failNext(call);
      BackendException e = assertThrows(BackendException.class, () -> product(STAGED, a, b, m, k, n), call);
      assertTrue(e.getMessage().contains(call), e.getMessage());
      assertEquals(leased, pool.leasedCount(), call);
    }
    ClResidentTest.assertProduct(a, b, m, k, n, product(STAGED, a, b, m, k, n));
    // The product in one piece, which waits for its commands the same way.
    int plainLeased = PLAIN.context().pool.leasedCount();
    ClFaults.failNext("clWaitForEvents(matmul)");
    BackendException e = assertThrows(BackendException.class, () -> product(PLAIN, a, b, m, k, n));
    assertTrue(e.getMessage().contains("clWaitForEvents(matmul)"), e.getMessage());
    assertEquals(plainLeased, PLAIN.context().pool.leasedCount());
    ClResidentTest.assertProduct(a, b, m, k, n, product(PLAIN, a, b, m, k, n));
  }

  @Test
  void aThousandPinnedMatricesComeAndGoWithoutALeak() {
    int before = ClHostMemory.LIVE.get();
    for (int i = 0; i < 1000; i++) {
      try (HostMemory m = STAGED.allocateHost(ClBackend.PIN_ABOVE)) {
        m.segment().set(ValueLayout.JAVA_FLOAT, 0, i);
      }
    }
    assertEquals(before, ClHostMemory.LIVE.get());
  }

  @Test
  void residentsDownloadIntoHostMemoryFromTheirHostCopyOrByDma() {
    int m = 37;
    int k = 29;
    int n = 41;
    float[] a = ClResidentTest.random(m * k, 7);
    float[] b = ClResidentTest.random(k * n, 8);
    for (ClBackend backend : new ClBackend[] {STAGED, PLAIN}) {
      try (var ra = backend.upload(a); var rb = backend.upload(b); var product = backend.matmul(ra, rb, m, k, n);
          HostMemory into = backend.allocateHost(4L * m * n + 4)) {
        MemorySegment out = into.segment().asSlice(0, 4L * m * n);
        backend.download(product, out);
        assertArrayEquals(backend.download(product), out.toArray(ValueLayout.JAVA_FLOAT), "only copy on the device");
        MemorySegment first = into.segment().asSlice(0, 4L * m * k);
        backend.download(ra, first);
        assertArrayEquals(a, first.toArray(ValueLayout.JAVA_FLOAT), "from the host copy");
      }
    }
  }

  @Test
  void computeRunsHostProductsOnOpenClAndFallsBackToTheCpuOnAFailure() {
    // Above ClMatmul.SMALL_WORK: the one-piece product, whose commands are waited for by their events.
    int m = 90;
    int k = 60;
    int n = 70;
    float[] a = ClResidentTest.random(m * k, 3);
    float[] b = ClResidentTest.random(k * n, 4);
    try (HostMatrix ha = Compute.hostMatrix(m, k).copyFrom(a); HostMatrix hb = Compute.hostMatrix(k, n).copyFrom(b);
        HostMatrix hc = Compute.hostMatrix(m, n)) {
      Compute.on(BackendKind.OPENCL).matmul(ha, hb, hc);
      assertEquals("opencl", Compute.lastCall().backend());
      ClResidentTest.assertProduct(a, b, m, k, n, hc.toArray());
      hc.segment().fill((byte) 0);
      // A command refused when enqueued, and one that fails on the device after it was enqueued.
      for (String call : new String[] {"clEnqueueNDRangeKernel(matmul", "clWaitForEvents(matmul"}) {
        hc.segment().fill((byte) 0x7f);
        ClFaults.failNext(call);
        Compute.on(BackendKind.OPENCL).matmul(ha, hb, hc);
        assertEquals("cpu", Compute.lastCall().backend(), call);
        assertTrue(Compute.lastCall().fallbackReason().contains(call), Compute.lastCall().fallbackReason());
        ClResidentTest.assertProduct(a, b, m, k, n, hc.toArray());
      }
      try (var da = Compute.on(BackendKind.OPENCL).upload(ha.toMatrix());
          var db = Compute.on(BackendKind.OPENCL).upload(hb.toMatrix());
          var dc = Compute.on(BackendKind.OPENCL).matmul(da, db)) {
        assertEquals("opencl", dc.backend());
        float[] byDma = dc.downloadInto(hc).toArray();
        assertArrayEquals(dc.download().toArray(), byDma);
      }
    }
  }
}
