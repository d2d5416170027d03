package dev.pincette.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.Compute;
import dev.pincette.kernels.MatmulOp;
import dev.pincette.kernels.ReduceOp;
import dev.pincette.kernels.SpatialOp;
import dev.pincette.spatial.SpatialHashMap;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Many threads calling mixed ops at once, every result checked against the reference. */
class ComputeStressTest {
  private static final int THREADS = 16;
  private static final int ROUNDS = 60;

  @Test
  void sixteenThreadsCallingMixedOpsAllGetCorrectResults() throws Exception {
    float[] shared = new float[300];
    SplittableRandom seed = new SplittableRandom(7);
    for (int i = 0; i < shared.length; i++) shared[i] = (float) seed.nextDouble() * 10;
    try (SpatialHashMap map = SpatialHashMap.build(shared, 3, 1f)) {
      ExecutorService pool = Executors.newFixedThreadPool(THREADS);
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int thread = t;
        results.add(pool.submit(() -> {
          start.await();
          SplittableRandom rnd = new SplittableRandom(thread);
          int checks = 0;
          for (int round = 0; round < ROUNDS; round++) {
            checks += switch ((thread + round) % 4) {
              case 0 -> checkMatmul(rnd);
              case 1 -> checkReductions(rnd);
              case 2 -> checkQueries(map, shared, rnd);
              default -> checkBatched(rnd);
            };
          }
          return checks;
        }));
      }
      start.countDown();
      int total = 0;
      for (Future<Integer> f : results) total += f.get(5, TimeUnit.MINUTES);
      pool.shutdown();
      assertEquals(THREADS * ROUNDS, total);
    }
  }

  @Test
  void queriesRunWhileAnotherThreadUpdates() throws Exception {
    SplittableRandom rnd = new SplittableRandom(3);
    int n = 2000;
    float[] a = new float[n * 2];
    float[] b = new float[n * 2];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) rnd.nextDouble() * 20;
      b[i] = a[i] + (float) rnd.nextDouble() * 3;
    }
    float[] center = {10, 10};
    int[] inA = SpatialOp.queryReference(a, 2, center, 2f);
    int[] inB = SpatialOp.queryReference(b, 2, center, 2f);
    try (SpatialHashMap map = SpatialHashMap.build(a, 2, 0.5f)) {
      ExecutorService pool = Executors.newFixedThreadPool(8);
      List<Future<?>> readers = new ArrayList<>();
      for (int t = 0; t < 7; t++) {
        readers.add(pool.submit(() -> {
          for (int q = 0; q < 300; q++) {
            int[] got = map.query(center, 2f);
            assertTrue(java.util.Arrays.equals(got, inA) || java.util.Arrays.equals(got, inB),
                "a query saw a half-updated map");
          }
        }));
      }
      Future<?> writer = pool.submit(() -> {
        for (int u = 0; u < 100; u++) map.update(u % 2 == 0 ? b : a);
      });
      writer.get(2, TimeUnit.MINUTES);
      for (Future<?> r : readers) r.get(2, TimeUnit.MINUTES);
      pool.shutdown();
    }
  }

  private static int checkMatmul(SplittableRandom rnd) {
    int m = 1 + rnd.nextInt(90), k = 1 + rnd.nextInt(90), n = 1 + rnd.nextInt(90);
    float[] a = random(rnd, m * k);
    float[] b = random(rnd, k * n);
    float[] c = Compute.matmul(a, m, k, b, k, n);
    double[] ref = MatmulOp.reference(a, b, m, k, n);
    double[] bound = MatmulOp.errorBound(a, b, m, k, n);
    for (int i = 0; i < c.length; i++) assertTrue(Math.abs(c[i] - ref[i]) <= bound[i], "matmul element " + i);
    return 1;
  }

  private static int checkBatched(SplittableRandom rnd) {
    int count = 1 + rnd.nextInt(50);
    float[] a = random(rnd, count * 16);
    float[] b = random(rnd, count * 16);
    float[] c = Compute.batchedMatmul(a, b, count, 4, 4, 4);
    for (int item = 0; item < count; item++) {
      double[] ref = MatmulOp.reference(java.util.Arrays.copyOfRange(a, item * 16, item * 16 + 16),
          java.util.Arrays.copyOfRange(b, item * 16, item * 16 + 16), 4, 4, 4);
      for (int i = 0; i < 16; i++) assertEquals(ref[i], c[item * 16 + i], 1e-5, "batched item " + item);
    }
    return 1;
  }

  private static int checkReductions(SplittableRandom rnd) {
    float[] x = random(rnd, 1 + rnd.nextInt(200_000));
    float[] y = random(rnd, x.length);
    assertEquals(ReduceOp.referenceSum(x), Compute.sum(x), 1e-6 * ReduceOp.absSum(x));
    assertEquals(ReduceOp.referenceDot(x, y), Compute.dot(x, y), 1e-6 * ReduceOp.absDot(x, y));
    assertEquals(ReduceOp.referenceMin(x), Compute.min(x));
    assertEquals(ReduceOp.referenceMax(x), Compute.max(x));
    assertEquals(ReduceOp.referenceArgmax(x), Compute.argmax(x));
    return 1;
  }

  private static int checkQueries(SpatialHashMap map, float[] positions, SplittableRandom rnd) {
    float[] center = {(float) rnd.nextDouble() * 10, (float) rnd.nextDouble() * 10, (float) rnd.nextDouble() * 10};
    float radius = (float) rnd.nextDouble() * 3;
    assertArrayEquals(SpatialOp.queryReference(positions, 3, center, radius), map.query(center, radius));
    return 1;
  }

  private static float[] random(SplittableRandom rnd, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
    return x;
  }
}
