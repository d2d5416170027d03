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
