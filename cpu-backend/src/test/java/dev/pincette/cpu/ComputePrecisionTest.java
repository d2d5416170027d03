package dev.pincette.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.Explanation;
import dev.pincette.HostMatrix;
import dev.pincette.Matrix;
import dev.pincette.Precision;
import dev.pincette.kernels.MatmulOp;
import dev.pincette.testing.Products;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The precision API through {@link Compute} on the CPU backend, which has no faster units: every precision is computed
 * in FP32 there (bit for bit the default product), within every precision's bound; scopes nest and reach async calls.
 */
class ComputePrecisionTest {
  private static final int M = 37;
  private static final int K = 53;
  private static final int N = 29;
  private static final float[] A = Products.random(M * K, 1);
  private static final float[] B = Products.random(K * N, 2);

  @Test
  void fp32IsTheDefaultEverywhere() {
    assertEquals(Precision.FP32, Compute.currentPrecision());
    assertEquals(Precision.FP32, Compute.on(BackendKind.CPU).precision());
    Compute.on(BackendKind.CPU).run(() -> assertEquals(Precision.FP32, Compute.currentPrecision()));
  }

  @ParameterizedTest
  @EnumSource(Precision.class)
  void everyPrecisionOnTheCpuIsTheFloat32Product(Precision precision) {
    float[] fp32 = Compute.on(BackendKind.CPU).matmul(A, M, K, B, K, N);
    assertArrayEquals(fp32, Compute.on(BackendKind.CPU).precision(precision).matmul(A, M, K, B, K, N));
    assertArrayEquals(fp32, Compute.with(precision).call(() -> Compute.on(BackendKind.CPU).matmul(A, M, K, B, K, N)));
    assertEquals(Matrix.of(M, N, fp32),
        Compute.on(BackendKind.CPU).precision(precision).matmul(Matrix.of(M, K, A), Matrix.of(K, N, B)));
    assertArrayEquals(Compute.on(BackendKind.CPU).batchedMatmul(A, B, 1, M, K, N),
        Compute.on(BackendKind.CPU).precision(precision).batchedMatmul(A, B, 1, M, K, N));
    double[] bound = MatmulOp.errorBound(A, B, M, K, N, precision.inputRoundoff());
    double[] ref = MatmulOp.reference(A, B, M, K, N);
    for (int i = 0; i < fp32.length; i++) assertTrue(Math.abs(fp32[i] - ref[i]) <= bound[i], "element " + i);
  }

  @Test
  void relaxedBoundsAreLooserThanFp32AndGrowWithTheRoundoff() {
    for (int k : new int[] {0, 1, 7, 1000, 1 << 20}) {
      assertEquals((k + 2) * 0x1p-24, Precision.FP32.boundScale(k));
      assertTrue(Precision.TF32.boundScale(k) > Precision.FP32.boundScale(k));
      assertTrue(Precision.BF16.boundScale(k) > Precision.TF32.boundScale(k));
    }
    assertEquals(0x1p-11, Precision.TF32.inputRoundoff());
    assertEquals(0x1p-8, Precision.BF16.inputRoundoff());
    assertEquals("bf16", Precision.BF16.id());
  }

  @Test
  void scopesNestAndTheInnermostWins() {
    Compute.with(Precision.TF32).run(() -> {
      assertEquals(Precision.TF32, Compute.currentPrecision());
      assertEquals(BackendKind.AUTO, Compute.currentBackend());
      Compute.on(BackendKind.CPU).run(() -> {
        assertEquals(Precision.TF32, Compute.currentPrecision(), "a backend scope keeps the precision");
        assertEquals(BackendKind.CPU, Compute.currentBackend());
        Compute.with(Precision.BF16).run(() -> {
          assertEquals(Precision.BF16, Compute.currentPrecision());
          assertEquals(BackendKind.CPU, Compute.currentBackend(), "a precision scope keeps the backend");
        });
      });
      assertEquals(Precision.TF32, Compute.currentPrecision());
    });
    assertEquals(Precision.FP32, Compute.currentPrecision());
  }

  @Test
  void asyncCallsCarryThePrecisionOfWhereTheyAreIssued() throws Exception {
    // A callback attached to a future that has already completed runs at once on the issuing thread, inside its scope
    // (the product may well finish first, on a loaded machine); one run by Pincette's thread must not see the scope.
    CompletableFuture<String> seen = Compute.with(Precision.BF16).call(() ->
        Compute.async().matmul(A, M, K, B, K, N).thenApply(c -> Thread.currentThread().getName() + " "
            + Compute.explain(() -> Compute.matmul(A, M, K, B, K, N)).precision()));
    String ranOn = seen.get();
    assertEquals(ranOn.startsWith("pincette-async-") ? Precision.FP32.name() : Precision.BF16.name(),
        ranOn.substring(ranOn.lastIndexOf(' ') + 1), ranOn);
    float[] viaAsync = Compute.on(BackendKind.CPU).precision(Precision.TF32).async().matmul(A, M, K, B, K, N).get();
    assertArrayEquals(Compute.on(BackendKind.CPU).matmul(A, M, K, B, K, N), viaAsync);
  }

  @Test
  void explainShowsThePrecisionOfProductsOnly() {
    Matrix a = Matrix.zeros(64, 32);
    Explanation e = Compute.with(Precision.TF32).call(() -> Compute.explain(() -> Compute.matmul(a, a.transpose())));
    assertEquals(Precision.TF32, e.precision());
    assertTrue(e.toString().startsWith("matmul 64x32 · 32x64 in tf32 -> "), e.toString());
    assertEquals(Precision.FP32, Compute.explain(() -> Compute.matmul(a, a.transpose())).precision());
    Explanation sum = Compute.with(Precision.BF16).call(() -> Compute.explain(() -> Compute.sum(new float[4])));
    assertEquals(null, sum.precision());
    assertTrue(!sum.toString().contains("bf16"), sum.toString());
  }

  @Test
  void hostMatrixProductsTakeThePrecisionToo() {
    try (HostMatrix a = Compute.hostMatrix(M, K); HostMatrix b = Compute.hostMatrix(K, N);
        HostMatrix c = Compute.hostMatrix(M, N)) {
      a.copyFrom(A);
      b.copyFrom(B);
      Compute.with(Precision.BF16).run(() -> Compute.on(BackendKind.CPU).matmul(a, b, c));
      assertArrayEquals(Compute.on(BackendKind.CPU).matmul(A, M, K, B, K, N), c.toArray());
    }
  }

  @Test
  void aNullPrecisionIsRejectedByName() {
    NullPointerException e = assertThrows(NullPointerException.class, () -> Compute.with(null));
    assertEquals("with: precision is null", e.getMessage());
    e = assertThrows(NullPointerException.class, () -> Compute.on(BackendKind.CPU).precision(null));
    assertEquals("precision: precision is null", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> MatmulOp.boundScale(3, -1));
    assertThrows(IllegalArgumentException.class, () -> MatmulOp.boundScale(3, Double.NaN));
  }
}
