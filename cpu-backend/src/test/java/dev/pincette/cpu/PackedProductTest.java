package dev.pincette.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pincette.testing.Products;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The packed path ({@link PackedProduct}): edge shapes (rows not a multiple of the register tile's, a last B panel of
 * one column, depths around the slab depth, a depth whose B splits into three column blocks, row lengths of A and C
 * that are a multiple of 16 KiB), tall-skinny shapes, more threads than cores, heap arrays against native
 * segments, and products racing each other on one pool; every result within the reference's bound and the same bit for
 * bit whatever the thread count.
 */
class PackedProductTest {
  @BeforeAll
  static void vectorOnly() {
    assumeTrue(VectorSupport.ENABLED, "the packed path needs the Vector API");
  }

  @ParameterizedTest(name = "{0}x{1} · {1}x{2}")
  @CsvSource({"131, 257, 263", "134, 256, 257", "129, 17, 4099", "200, 600, 130", "1031, 70, 1000",
      "133, 40, 2049", "300, 513, 140", "137, 17, 4096", "4099, 64, 1057", "150, 4200, 1000",
      "130, 4096, 300", "131, 300, 4096"})
  void packedProductsMatchReferenceAndAgreeAcrossThreadCounts(int m, int k, int n) {
    float[] a = Products.random(m * k, 31L * m + k);
    float[] b = Products.random(k * n, 17L * n + k);
    float[] first = null;
    for (int threads : new int[] {1, 3, 16}) {
      CpuBackend cpu = new CpuBackend(threads, 1024, 4096, true);
      try {
        assertTrue(takesPackedPath(m, k, n));
        float[] c = cpu.matmul(a, b, m, k, n);
        if (first == null) {
          Products.assertProduct(a, b, m, k, n, c);
          first = c;
        } else {
          assertArrayEquals(first, c, threads + " threads, bit for bit as 1 thread");
        }
        assertArrayEquals(c, cpu.matmul(a, b, m, k, n), "a second call, bit for bit");
      } finally {
        cpu.close();
      }
    }
  }

  @Test
  void nativeSegmentsGiveTheArraysResult() {
    int m = 517, k = 300, n = 259;
    float[] a = Products.random(m * k, 1);
    float[] b = Products.random(k * n, 2);
    CpuBackend cpu = new CpuBackend(4, 1024, 4096, true);
    try (Arena arena = Arena.ofShared()) {
      MemorySegment c = arena.allocate(4L * m * n);
      cpu.matmul(arena.allocateFrom(ValueLayout.JAVA_FLOAT, a), arena.allocateFrom(ValueLayout.JAVA_FLOAT, b), c, m, k,
          n);
      assertArrayEquals(cpu.matmul(a, b, m, k, n), c.toArray(ValueLayout.JAVA_FLOAT));
    } finally {
      cpu.close();
    }
  }

  @Test
  void productsRacingOnOnePoolEachGetTheirOwnResult() throws Exception {
    int[][] shapes = {{300, 257, 140}, {131, 600, 97}, {640, 64, 520}, {257, 300, 300}};
    float[][] expected = new float[shapes.length][];
    CpuBackend single = new CpuBackend(1, 1024, 4096, true);
    CpuBackend shared = new CpuBackend(4, 1024, 4096, true);
    ExecutorService callers = Executors.newFixedThreadPool(8);
    try {
      for (int s = 0; s < shapes.length; s++) {
        int[] sh = shapes[s];
        expected[s] = single.matmul(operand(sh, 'a'), operand(sh, 'b'), sh[0], sh[1], sh[2]);
      }
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Integer>> done = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int caller = t;
        done.add(callers.submit(() -> {
          start.await();
          for (int round = 0; round < 6; round++) {
            int s = (caller + round) % shapes.length;
            int[] sh = shapes[s];
            assertArrayEquals(expected[s], shared.matmul(operand(sh, 'a'), operand(sh, 'b'), sh[0], sh[1], sh[2]));
          }
          return caller;
        }));
      }
      start.countDown();
      for (Future<Integer> f : done) f.get(5, TimeUnit.MINUTES);
    } finally {
      callers.shutdown();
      single.close();
      shared.close();
    }
  }

  @Test
  void planGivesEveryThreadWorkInBalancedChunks() {
    // 512³ on 16 threads: 96-row blocks give 96 strips, fewer than 8 per thread, so blocks of 48 rows.
    PackedProduct p = new PackedProduct(new float[512 * 512], null, new float[512 * 512], null, 512, 512, 512, 6, 32,
        16, new PackedProduct.Workspace());
    assertEquals(48, p.rowBlock());
    assertEquals(64, p.chunks());
    PackedProduct large = new PackedProduct(new float[2048 * 2048], null, new float[2048 * 2048], null, 2048, 2048,
        2048, 6, 32, 2, new PackedProduct.Workspace());
    assertEquals(96, large.rowBlock());
    assertEquals(0, large.chunks() % 2, "a multiple of the threads");
    PackedProduct tiny = new PackedProduct(new float[6 * 32], null, new float[32 * 32], null, 6, 32, 32, 6, 32, 16,
        new PackedProduct.Workspace());
    assertEquals(1, tiny.chunks(), "one strip, one chunk");
  }

  /** Whether a backend with the serial threshold these tests use puts this product on the packed path. */
  private static boolean takesPackedPath(int m, int k, int n) {
    return new CpuMatmul(ForkJoinPool.commonPool(), 4096, true).packs(m, k, n);
  }

  private static float[] operand(int[] shape, char which) {
    return which == 'a' ? Products.random(shape[0] * shape[1], shape[0]) : Products.random(shape[1] * shape[2],
        shape[2]);
  }
}
