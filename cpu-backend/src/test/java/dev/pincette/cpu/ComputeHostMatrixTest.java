package dev.pincette.cpu;

import static dev.pincette.testing.Products.assertProduct;
import static dev.pincette.testing.Products.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.ComputeOn;
import dev.pincette.DeviceMatrix;
import dev.pincette.HostMatrix;
import dev.pincette.Matrix;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Host matrices (native memory the caller fills in place) with only the CPU backend: unpinned, same results. */
class ComputeHostMatrixTest {
  @ParameterizedTest(name = "{0}x{1} · {1}x{2}")
  @CsvSource({"1,1,1", "37,53,29", "64,64,64", "130,7,129", "5,0,4", "0,3,3", "3,3,0", "200,150,90",
      // The packed path, which reads and writes the native memory in place: several depth blocks, edge tiles in
      // both directions, and more columns than one packed block of B.
      "300,600,290", "517,300,263", "130,40,4200"})
  void hostProductsMatchTheReferenceAndEqualHeapProducts(int m, int k, int n) {
    float[] a = random(m * k, m);
    float[] b = random(k * n, n + 1);
    // Forced onto the CPU: where the library runs with a GPU as well (the GPU machine's bundle), auto may pick it.
    ComputeOn cpu = Compute.on(BackendKind.CPU);
    try (HostMatrix ha = cpu.hostMatrix(m, k).copyFrom(a); HostMatrix hb = cpu.hostMatrix(k, n).copyFrom(b);
        HostMatrix hc = cpu.hostMatrix(m, n)) {
      hc.segment().fill((byte) 0x7f);
      assertSame(hc, cpu.matmul(ha, hb, hc));
      assertEquals("cpu", Compute.lastCall().backend());
      assertProduct(a, b, m, k, n, hc.toArray());
      assertArrayEquals(cpu.matmul(a, m, k, b, k, n), hc.toArray());
      assertArrayEquals(a, ha.toArray(), "the operands are only read");
    }
  }

  @Test
  void aHostMatrixStartsAtZeroAndIsReadAndWrittenInPlace() {
    try (HostMatrix h = Compute.on(BackendKind.CPU).hostMatrix(2, 3)) {
      assertFalse(h.isPinned(), "the CPU's host matrices are ordinary off-heap memory");
      assertArrayEquals(new float[6], h.toArray());
      h.set(1, 2, 5f);
      h.segment().setAtIndex(ValueLayout.JAVA_FLOAT, 0, -1f);
      assertEquals(5f, h.get(1, 2));
      assertEquals(Matrix.of(2, 3, -1, 0, 0, 0, 0, 5), h.toMatrix());
      assertEquals(24, h.segment().byteSize());
      h.copyFrom(Matrix.of(2, 3, 1, 2, 3, 4, 5, 6));
      assertEquals(4f, h.get(1, 0));
      assertThrows(IndexOutOfBoundsException.class, () -> h.get(2, 0));
      assertThrows(IndexOutOfBoundsException.class, () -> h.set(0, -1, 1f));
      assertEquals("HostMatrix[2x3]", h.toString());
    }
  }

  @Test
  void badShapesAndAliasesAreRefusedClearly() {
    try (HostMatrix a = Compute.hostMatrix(2, 3); HostMatrix b = Compute.hostMatrix(2, 3);
        HostMatrix c = Compute.hostMatrix(3, 3); HostMatrix square = Compute.hostMatrix(3, 3)) {
      assertEquals("matmul: inner dimensions differ: 2x3 · 2x3",
          assertThrows(IllegalArgumentException.class, () -> Compute.matmul(a, b, c)).getMessage());
      assertEquals("matmul: out is 3x3, wanted 2x3 for 2x3 · 3x3",
          assertThrows(IllegalArgumentException.class, () -> Compute.matmul(a, square, c)).getMessage());
      assertEquals("matmul: out must not be one of the operands",
          assertThrows(IllegalArgumentException.class, () -> Compute.matmul(square, c, square)).getMessage());
      assertThrows(NullPointerException.class, () -> Compute.matmul(null, b, c));
      assertThrows(NullPointerException.class, () -> Compute.matmul(a, b, null));
      assertEquals("copyFrom: got 5 values, wanted 2x3 = 6",
          assertThrows(IllegalArgumentException.class, () -> a.copyFrom(new float[5])).getMessage());
      assertEquals("copyFrom: the matrix is 3x2, this one 2x3",
          assertThrows(IllegalArgumentException.class, () -> a.copyFrom(Matrix.zeros(3, 2))).getMessage());
    }
    assertEquals("hostMatrix: negative shape -1x3",
        assertThrows(IllegalArgumentException.class, () -> Compute.hostMatrix(-1, 3)).getMessage());
    assertThrows(IllegalArgumentException.class, () -> Compute.hostMatrix(65536, 65536));
  }

  @Test
  void aClosedHostMatrixCannotBeUsedAndItsSegmentIsInvalid() {
    HostMatrix a = Compute.hostMatrix(2, 2);
    MemorySegment view = a.segment();
    try (HostMatrix c = Compute.hostMatrix(2, 2)) {
      a.close();
      a.close();
      assertTrue(a.isClosed());
      assertEquals("matmul: the HostMatrix 2x2 is closed",
          assertThrows(IllegalStateException.class, () -> Compute.matmul(a, a, c)).getMessage());
      assertThrows(IllegalStateException.class, () -> view.get(ValueLayout.JAVA_FLOAT, 0));
      assertThrows(IllegalStateException.class, a::segment);
      assertThrows(IllegalStateException.class, () -> a.get(0, 0));
      assertThrows(IllegalStateException.class, a::toMatrix);
      assertEquals("HostMatrix[2x2, closed]", a.toString());
    }
  }

  @Test
  void onTheCpuBackendAndAsynchronously() throws Exception {
    float[] a = random(40 * 30, 1);
    float[] b = random(30 * 20, 2);
    try (HostMatrix ha = Compute.on(BackendKind.CPU).hostMatrix(40, 30).copyFrom(a);
        HostMatrix hb = Compute.hostMatrix(30, 20).copyFrom(b); HostMatrix hc = Compute.hostMatrix(40, 20);
        HostMatrix hd = Compute.hostMatrix(40, 20)) {
      Compute.on(BackendKind.CPU).matmul(ha, hb, hc);
      assertSame(hd, Compute.on(BackendKind.CPU).async().matmul(ha, hb, hd).get());
      assertArrayEquals(hc.toArray(), hd.toArray());
      assertProduct(a, b, 40, 30, 20, hd.toArray());
      ExecutionException bad = assertThrows(ExecutionException.class,
          () -> Compute.async().matmul(ha, ha, hd).get());
      assertInstanceOf(IllegalArgumentException.class, bad.getCause());
    }
  }

  @Test
  void aResidentMatrixDownloadsIntoAHostMatrix() {
    Matrix a = Matrix.of(2, 3, 1, 2, 3, 4, 5, 6);
    try (DeviceMatrix d = Compute.on(BackendKind.CPU).upload(a); HostMatrix out = Compute.hostMatrix(2, 3);
        HostMatrix wrong = Compute.hostMatrix(3, 2)) {
      assertSame(out, d.downloadInto(out));
      assertEquals(a, out.toMatrix());
      assertEquals("downloadInto: out is 3x2, this matrix 2x3",
          assertThrows(IllegalArgumentException.class, () -> d.downloadInto(wrong)).getMessage());
      assertThrows(NullPointerException.class, () -> d.downloadInto(null));
      wrong.close();
      d.close();
      assertEquals("downloadInto: the DeviceMatrix 2x3 is closed",
          assertThrows(IllegalStateException.class, () -> d.downloadInto(out)).getMessage());
    }
  }

  @Test
  void sixteenThreadsMultiplyTheirOwnAndSharedHostMatrices() throws Exception {
    int m = 33;
    int k = 47;
    int n = 21;
    float[] shared = random(k * n, 99);
    try (HostMatrix b = Compute.hostMatrix(k, n).copyFrom(shared)) {
      ExecutorService pool = Executors.newFixedThreadPool(16);
      try {
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < 16; t++) {
          int seed = t;
          done.add(pool.submit(() -> {
            for (int round = 0; round < 20; round++) {
              float[] a = random(m * k, seed * 100L + round);
              try (HostMatrix ha = Compute.hostMatrix(m, k).copyFrom(a); HostMatrix hc = Compute.hostMatrix(m, n)) {
                // Auto places each call: compared with the reference, not bit for bit with another backend.
                assertProduct(a, shared, m, k, n, Compute.matmul(ha, b, hc).toArray());
              }
            }
          }));
        }
        for (Future<?> f : done) f.get();
      } finally {
        pool.shutdown();
      }
    }
  }

  @Test
  void closingAMatrixThatAnAsyncCallUsesEitherRefusesTheCallOrLetsItFinish() throws Exception {
    int side = 400;
    float[] values = random(side * side, 5);
    HostMatrix a = Compute.hostMatrix(side, side).copyFrom(values);
    try (HostMatrix c = Compute.hostMatrix(side, side)) {
      var product = Compute.async().matmul(a, a, c);
      a.close();
      try {
        product.get();
        assertProduct(values, values, side, side, side, c.toArray());
      } catch (ExecutionException e) {
        // Closed before the call took the matrix: refused by name, nothing read from freed memory.
        assertEquals("matmul: the HostMatrix 400x400 is closed", e.getCause().getMessage());
      }
    }
  }
}
