package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.Precision;
import dev.pincette.spi.BackendException;
import dev.pincette.testing.Products;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Small products ({@link ClQueue#smallProduct}: one write, one launch, one read, in each queue's own pinned and
 * device buffers) against the reference, from arrays and native memory, up to the size limit, under faults, and from
 * many threads at once.
 */
class ClSmallProductTest {
  private static final ClBackend BACKEND = new ClBackend();

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

  @ParameterizedTest(name = "{0}x{1} · {1}x{2}")
  @CsvSource({"1,1,1", "1,7,1", "2,3,4", "8,8,8", "7,13,11", "32,32,32", "33,31,29", "64,64,64", "1,1000,1",
      "250,4,250", "3,5,300"})
  void smallProductsMatchTheReference(int m, int k, int n) {
    assertTrue(BACKEND.matmulOp().small(m, k, n), "takes the small path");
    float[] a = Products.random(m * k, 3L * m + k);
    float[] b = Products.random(k * n, 5L * n + k);
    Products.assertProduct(a, b, m, k, n, BACKEND.matmul(a, b, m, k, n));
    Products.assertProduct(a, b, m, k, n, BACKEND.matmul(a, b, m, k, n, Precision.BF16));
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment sa = arena.allocateFrom(ValueLayout.JAVA_FLOAT, a);
      MemorySegment sb = arena.allocateFrom(ValueLayout.JAVA_FLOAT, b);
      MemorySegment sc = arena.allocate(4L * m * n);
      sc.fill((byte) 0x7f);
      BACKEND.matmul(sa, sb, sc, m, k, n);
      Products.assertProduct(a, b, m, k, n, sc.toArray(ValueLayout.JAVA_FLOAT));
    }
  }

  @Test
  void theLimitsAreOnWorkAndOnBytes() {
    ClMatmul matmul = BACKEND.matmulOp();
    assertTrue(matmul.small(64, 64, 64));
    assertFalse(matmul.small(65, 64, 64), "more than 64³ multiply-adds");
    assertTrue(matmul.small(1, 16000, 1));
    assertFalse(matmul.small(1, 40000, 1), "operands beyond the pinned buffer");
    float[] a = Products.random(65 * 64, 1);
    float[] b = Products.random(64 * 64, 2);
    Products.assertProduct(a, b, 65, 64, 64, BACKEND.matmul(a, b, 65, 64, 64));
  }

  @Test
  void aFailedStepNamesItAndTheNextCallIsRight() {
    float[] a = Products.random(32 * 32, 1);
    float[] b = Products.random(32 * 32, 2);
    BACKEND.matmul(a, b, 32, 32, 32);
    int buffers = BACKEND.context().pool.allocatedCount();
    for (String call : new String[] {"clEnqueueWriteBuffer(matmul)", "clEnqueueNDRangeKernel(matmul_small)",
        "clEnqueueReadBuffer(matmul)"}) {
      ClFaults.failNext(call);
      BackendException e = assertThrows(BackendException.class, () -> BACKEND.matmul(a, b, 32, 32, 32), call);
      assertTrue(e.getMessage().contains(call), e.getMessage());
      Products.assertProduct(a, b, 32, 32, 32, BACKEND.matmul(a, b, 32, 32, 32));
    }
    assertEquals(buffers, BACKEND.context().pool.allocatedCount(), "no pooled buffer taken");
  }

  @Test
  void manyThreadsAtOnceEachGetTheirOwnProduct() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int seed = t;
        done.add(pool.submit(() -> {
          for (int i = 0; i < 200; i++) {
            int m = 1 + (seed * 7 + i) % 40;
            int k = 1 + (seed * 3 + i * 5) % 40;
            int n = 1 + (seed + i * 11) % 40;
            float[] a = Products.random(m * k, 1000L * seed + i);
            float[] b = Products.random(k * n, 2000L * seed + i);
            Products.assertProduct(a, b, m, k, n, BACKEND.matmul(a, b, m, k, n));
          }
          return null;
        }));
      }
      for (Future<?> f : done) f.get();
    } finally {
      pool.shutdownNow();
    }
  }
}
