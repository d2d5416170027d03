package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.kernels.MatmulOp;
import dev.pincette.kernels.ReduceOp;
import dev.pincette.kernels.SpatialOp;
import dev.pincette.spi.SpatialIndex;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Many threads share one backend: more threads than queues, every op, each result checked. */
class ClConcurrencyTest {
  private static final ClBackend BACKEND = new ClBackend(null, ClProgramCache.defaultDir(), false, true);
  private static final int THREADS = 3 * ClContext.MAX_QUEUES;

  @BeforeAll
  static void requireDevice() {
    ClTestDevice.require(BACKEND);
  }

  @AfterAll
  static void close() {
    BACKEND.close();
  }

  private static float[] random(SplittableRandom rnd, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
    return x;
  }

  @Test
  void threadsSharingTheBackendAllGetTheirOwnResults() throws Exception {
    float[] points = random(new SplittableRandom(1), 3 * 500);
    try (SpatialIndex index = BACKEND.buildSpatial(points.clone(), 3, 0.2f);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS)) {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        long seed = t;
        futures.add(pool.submit(() -> {
          SplittableRandom rnd = new SplittableRandom(seed);
          for (int round = 0; round < 15; round++) {
            int n = 1000 + rnd.nextInt(100_000);
            float[] x = random(rnd, n);
            assertEquals(ReduceOp.referenceSum(x), BACKEND.sum(x), 1e-6 * ReduceOp.absSum(x));
            assertEquals(ReduceOp.referenceArgmax(x), BACKEND.argmax(x));
            int m = 1 + rnd.nextInt(70), k = 1 + rnd.nextInt(70), p = 1 + rnd.nextInt(70);
            float[] a = random(rnd, m * k), b = random(rnd, k * p);
            float[] c = BACKEND.matmul(a, b, m, k, p);
            double[] ref = MatmulOp.reference(a, b, m, k, p);
            double[] bound = MatmulOp.errorBound(a, b, m, k, p);
            for (int i = 0; i < c.length; i++) assertTrue(Math.abs(c[i] - ref[i]) <= bound[i]);
            float[] center = {(float) rnd.nextDouble() - 0.5f, (float) rnd.nextDouble() - 0.5f, 0};
            assertArrayEquals(SpatialOp.queryReference(points, 3, center, 0.3f), index.query(center, 0.3f));
          }
          return null;
        }));
      }
      for (Future<?> f : futures) f.get();
    }
  }

  @Test
  void aCallWaitingForAQueueGetsOneWhenTheBusyQueuesFailAndAreDiscarded() throws Exception {
    ClContext context = BACKEND.context();
    List<ClCall> busy = new ArrayList<>();
    for (int i = 0; i < ClContext.MAX_QUEUES; i++) busy.add(context.begin("busy"));
    CompletableFuture<Double> waiting = new CompletableFuture<>();
    Thread waiter = new Thread(() -> {
      try {
        waiting.complete(BACKEND.sum(new float[] {1, 2}));
      } catch (RuntimeException e) {
        waiting.completeExceptionally(e);
      }
    });
    waiter.start();
    while (waiter.getState() != Thread.State.WAITING && !waiting.isDone()) Thread.yield();
    for (ClCall call : busy) context.end(call.queue, false); // as if none of the busy queues had drained
    try {
      assertEquals(3.0, waiting.get(60, TimeUnit.SECONDS)); // a generous bound: it only turns a hang into a failure
    } finally {
      waiter.interrupt(); // a waiter left blocked would keep the backend from closing
    }
  }
}
