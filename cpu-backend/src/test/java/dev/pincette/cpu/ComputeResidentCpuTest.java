package dev.pincette.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.Compute;
import dev.pincette.DeviceMatrix;
import dev.pincette.Matrix;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** Resident matrices and async calls with only the CPU backend: the same API, resident in host memory. */
class ComputeResidentCpuTest {
  @Test
  void withoutADeviceResidentMatricesLiveOnTheCpu() {
    Matrix a = Matrix.of(2, 3, 1, 2, 3, 4, 5, 6);
    Matrix b = Matrix.of(3, 2, 7, 8, 9, 10, 11, 12);
    try (DeviceMatrix da = Compute.upload(a); DeviceMatrix db = Compute.upload(b);
        DeviceMatrix dc = Compute.matmul(da, db)) {
      assertEquals("cpu", dc.backend());
      assertEquals("2x2", dc.shape());
      assertEquals(Matrix.of(2, 2, 58, 64, 139, 154), dc.download());
      assertEquals(58 + 64 + 139 + 154, Compute.sum(dc));
      assertEquals("cpu", Compute.lastCall().backend());
    }
  }

  @Test
  void closedOrMismatchedResidentMatricesAreRefusedClearly() {
    DeviceMatrix a = Compute.upload(Matrix.zeros(2, 3));
    try (DeviceMatrix b = Compute.upload(Matrix.zeros(2, 3))) {
      assertEquals("matmul: inner dimensions differ: 2x3 · 2x3",
          assertThrows(IllegalArgumentException.class, () -> Compute.matmul(a, b)).getMessage());
      a.close();
      a.close();
      assertTrue(a.isClosed());
      assertEquals("sum: the DeviceMatrix 2x3 is closed",
          assertThrows(IllegalStateException.class, () -> Compute.sum(a)).getMessage());
      assertThrows(IllegalStateException.class, a::download);
      assertThrows(NullPointerException.class, () -> Compute.matmul(null, b));
    }
  }

  /**
   * A product of resident matrices whose m·n exceeds 2^31 − 8 is refused before anything is allocated: 65536·65537
   * and, with k = 0, 65536·65536 = 2^32, which wraps to 0 as an int (that product once came back with no data).
   */
  @Test
  void residentProductsPastTheElementCapAreRefusedWithTheShape() {
    try (DeviceMatrix tall = Compute.upload(Matrix.zeros(65536, 1));
        DeviceMatrix wide = Compute.upload(Matrix.zeros(1, 65537));
        DeviceMatrix empty = Compute.upload(Matrix.zeros(65536, 0));
        DeviceMatrix emptyWide = Compute.upload(Matrix.zeros(0, 65536))) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Compute.matmul(tall, wide));
      assertEquals("matmul: result 65536x65537 has 4295032832 elements, more than the 2147483639 an array holds",
          e.getMessage());
      assertTrue(assertThrows(IllegalArgumentException.class, () -> Compute.matmul(empty, emptyWide)).getMessage()
          .contains("65536x65536 has 4294967296 elements"));
    }
    assertThrows(IllegalArgumentException.class,
        () -> Compute.matmul(new float[65536], 65536, 1, new float[65537], 1, 65537));
    assertThrows(IllegalArgumentException.class, () -> Compute.batchedMatmul(new float[0], new float[0], 65536, 65536,
        0, 65536));
  }

  /** A product with k = 0 is all zeros of the right shape, on every path. */
  @Test
  void productsWithAnEmptyInnerDimensionAreZerosOfTheRightShape() {
    try (DeviceMatrix a = Compute.upload(Matrix.zeros(300, 0)); DeviceMatrix b = Compute.upload(Matrix.zeros(0, 200));
        DeviceMatrix c = Compute.matmul(a, b)) {
      assertEquals("300x200", c.shape());
      Matrix down = c.download();
      assertEquals(Matrix.zeros(300, 200), down);
      assertEquals(0f, down.get(299, 199));
      assertEquals(0.0, Compute.sum(c));
    }
    assertEquals(Matrix.zeros(5, 7), Compute.matmul(Matrix.zeros(5, 0), Matrix.zeros(0, 7)));
  }

  @Test
  void asyncCallsOnTheCpuEqualSynchronousOnes() throws Exception {
    Matrix a = Matrix.of(2, 2, 1, 2, 3, 4);
    CompletableFuture<Double> total = Compute.async().upload(a)
        .thenCompose(d -> Compute.async().matmul(d, d).whenComplete((p, e) -> d.close()))
        .thenCompose(p -> Compute.async().sum(p).whenComplete((s, e) -> p.close()));
    assertEquals(Compute.sum(Compute.matmul(a, a)), total.get());
    ExecutionException bad = assertThrows(ExecutionException.class, () -> Compute.async().max(new float[0]).get());
    assertInstanceOf(IllegalArgumentException.class, bad.getCause());
  }
}
