package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.AsyncCompute;
import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.DeviceMatrix;
import dev.pincette.Matrix;
import dev.pincette.internal.Dispatcher;
import dev.pincette.kernels.ReduceOp;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code Compute.async()} and {@code DeviceMatrix} through the facade, on OpenCL and the CPU: results equal the
 * synchronous ones, composition and ordering, exceptions, cancellation, eviction, many threads, no leaks.
 */
class ComputeAsyncTest {
  private static ClBackend opencl;

  @BeforeAll
  static void requireDevice() {
    ClTestDevice.require(new ClBackend(null, null, false, true));
    opencl = (ClBackend) Dispatcher.get().backend("opencl");
  }

  /** Each test starts with the device on: injected failures of one test must not switch it off for the next. */
  @BeforeEach
  @AfterEach
  void restore() {
    opencl.residents().setBudget(Long.MAX_VALUE);
    ClFaults.clear();
    Dispatcher.get().health().reset();
  }

  /**
   * Runs {@code body}, whose calls are all placed on {@code kind}, and checks that none of them left it for the CPU:
   * a device switched off by earlier failures would otherwise let a GPU test pass on the CPU.
   */
  private static void allRanOn(BackendKind kind, Runnable body) {
    Dispatcher d = Dispatcher.get();
    long fallbacks = d.fallbacks();
    long there = d.completedOn(kind.id());
    body.run();
    assertEquals(fallbacks, d.fallbacks(), "calls fell back from " + kind.id());
    assertTrue(d.completedOn(kind.id()) > there, "calls ran on " + kind.id());
  }

  private static Matrix random(int rows, int cols, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] x = new float[rows * cols];
    for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
    return Matrix.of(rows, cols, x);
  }

  @ParameterizedTest
  @EnumSource(value = BackendKind.class, names = {"CPU", "OPENCL"})
  void asyncResultsEqualSynchronousOnes(BackendKind kind) {
    allRanOn(kind, () -> asyncResultsEqualSynchronousOnesOn(kind));
  }

  private static void asyncResultsEqualSynchronousOnesOn(BackendKind kind) {
    AsyncCompute async = Compute.on(kind).async();
    Matrix a = random(33, 47, 1);
    Matrix b = random(47, 21, 2);
    float[] x = random(1, 50_000, 3).toArray();
    float[] y = random(1, 50_000, 4).toArray();
    CompletableFuture<Matrix> product = async.matmul(a, b);
    CompletableFuture<Double> sum = async.sum(x);
    CompletableFuture<Double> dot = async.dot(x, y);
    CompletableFuture<Integer> argmax = async.argmax(x);
    CompletableFuture<Float> min = async.min(x);
    CompletableFuture<float[]> batched = async.batchedMatmul(a.toArray(), a.toArray(), 3, 11, 47, 11);
    assertEquals(Compute.on(kind).matmul(a, b), product.join());
    assertEquals(kind.id(), Compute.lastCall().backend());
    assertEquals(Compute.on(kind).sum(x), sum.join(), 1e-6 * ReduceOp.absSum(x));
    assertEquals(kind.id(), Compute.lastCall().backend());
    assertEquals(Compute.on(kind).dot(x, y), dot.join(), 1e-6 * ReduceOp.absSum(x));
    assertEquals(ReduceOp.referenceArgmax(x), argmax.join());
    assertEquals(Compute.on(kind).min(x), min.join());
    assertArrayEquals(Compute.on(kind).batchedMatmul(a.toArray(), a.toArray(), 3, 11, 47, 11), batched.join());
    assertEquals(kind.id(), Compute.lastCall().backend());
  }

  @ParameterizedTest
  @EnumSource(value = BackendKind.class, names = {"CPU", "OPENCL", "AUTO"})
  void composedResidentChainsEqualTheSynchronousChain(BackendKind kind) {
    Matrix w = random(40, 40, 5);
    Matrix v = random(40, 8, 6);
    AsyncCompute async = Compute.on(kind).async();
    Matrix expected = v;
    for (int i = 0; i < 5; i++) expected = Compute.on(kind).matmul(w, expected);
    try (DeviceMatrix dw = async.upload(w).join()) {
      CompletableFuture<DeviceMatrix> chain = async.upload(v);
      List<CompletableFuture<DeviceMatrix>> steps = new ArrayList<>(List.of(chain));
      for (int i = 0; i < 5; i++) {
        chain = chain.thenCompose(x -> async.matmul(dw, x));
        steps.add(chain);
      }
      try (DeviceMatrix result = chain.join()) {
        // Under auto a calibrated cost model may run any step on either backend (bits may then differ).
        if (kind != BackendKind.AUTO) {
          assertEquals(kind == BackendKind.CPU ? "cpu" : "opencl", result.backend());
          assertEquals(expected, result.download());
        }
        assertClose(expected, result.download());
        double total = async.sum(result).join();
        assertEquals(Compute.sum(expected), total, 1e-6 * ReduceOp.absSum(expected.toArray()));
      } finally {
        steps.forEach(s -> s.join().close());
      }
    }
  }

  @ParameterizedTest
  @EnumSource(value = BackendKind.class, names = {"CPU", "OPENCL", "AUTO"})
  void manyProductsInFlightEqualTheirSynchronousResultsBitForBit(BackendKind kind) {
    if (kind == BackendKind.AUTO) manyProductsInFlightOn(kind);
    else allRanOn(kind, () -> manyProductsInFlightOn(kind));
  }

  private static void manyProductsInFlightOn(BackendKind kind) {
    AsyncCompute async = Compute.on(kind).async();
    List<Matrix> as = new ArrayList<>();
    List<CompletableFuture<Matrix>> products = new ArrayList<>();
    Matrix b = random(30, 20, 99);
    for (int i = 0; i < 300; i++) {
      as.add(random(40, 30, 1000 + i));
      products.add(async.matmul(as.get(i), b));
    }
    for (int i = 0; i < products.size(); i++) {
      Matrix sync = Compute.on(kind == BackendKind.AUTO ? BackendKind.OPENCL : kind).matmul(as.get(i), b);
      Matrix alone = Compute.on(BackendKind.CPU).matmul(as.get(i), b);
      Matrix got = products.get(i).join();
      assertTrue(got.equals(sync) || got.equals(alone), "product " + i + " equals a synchronous call's result");
    }
  }

  /** {@code ComputeOn.run} on the device: each call of the body runs there, a nested CPU scope on the CPU. */
  @Test
  void runPlacesItsBodysCallsOnTheDevice() {
    float[] x = random(1, 20_000, 30).toArray();
    Matrix a = random(20, 30, 31);
    List<String> ran = new ArrayList<>();
    Compute.on(BackendKind.OPENCL).run(() -> {
      assertEquals(ReduceOp.referenceSum(x), Compute.sum(x), 1e-6 * ReduceOp.absSum(x));
      ran.add(Compute.lastCall().backend());
      assertEquals(Compute.on(BackendKind.CPU).max(a.toArray()), Compute.max(a));
      ran.add(Compute.lastCall().backend());
      Compute.on(BackendKind.CPU).run(() -> {
        Compute.mean(a);
        ran.add(Compute.lastCall().backend());
      });
      assertEquals(Compute.on(BackendKind.CPU).min(a.toArray()), Compute.min(a));
      ran.add(Compute.lastCall().backend());
    });
    assertEquals(List.of("opencl", "opencl", "cpu", "opencl"), ran);
  }

  @Test
  void allOfAndAnyOfWorkAsJavaUsersExpect() {
    allRanOn(BackendKind.OPENCL, ComputeAsyncTest::allOfAndAnyOfOnOpenCl);
  }

  private static void allOfAndAnyOfOnOpenCl() {
    AsyncCompute async = Compute.on(BackendKind.OPENCL).async();
    List<CompletableFuture<Double>> sums = new ArrayList<>();
    List<float[]> inputs = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      float[] x = random(1, 1000 + 97 * i, 10 + i).toArray();
      inputs.add(x);
      sums.add(async.sum(x));
    }
    CompletableFuture.allOf(sums.toArray(CompletableFuture[]::new)).join();
    for (int i = 0; i < sums.size(); i++) {
      assertEquals(ReduceOp.referenceSum(inputs.get(i)), sums.get(i).join(), 1e-6 * ReduceOp.absSum(inputs.get(i)));
    }
    Object first = CompletableFuture.anyOf(async.max(inputs.get(0)), async.max(inputs.get(1))).join();
    assertTrue(first.equals(Compute.max(inputs.get(0))) || first.equals(Compute.max(inputs.get(1))));
  }

  @Test
  void badInputCompletesExceptionallyWithTheSynchronousMessage() {
    Matrix a = Matrix.zeros(3, 4);
    Matrix b = Matrix.zeros(5, 6);
    IllegalArgumentException sync = assertThrows(IllegalArgumentException.class, () -> Compute.matmul(a, b));
    ExecutionException async = assertThrows(ExecutionException.class, () -> Compute.async().matmul(a, b).get());
    assertInstanceOf(IllegalArgumentException.class, async.getCause());
    assertEquals(sync.getMessage(), async.getCause().getMessage());
    assertInstanceOf(NullPointerException.class,
        assertThrows(ExecutionException.class, () -> Compute.async().sum((float[]) null).get()).getCause());
    assertInstanceOf(IllegalArgumentException.class,
        assertThrows(ExecutionException.class, () -> Compute.async().min(new float[0]).get()).getCause());
    try (DeviceMatrix da = Compute.upload(a); DeviceMatrix db = Compute.upload(b)) {
      assertEquals("matmul: inner dimensions differ: 3x4 · 5x6", assertThrows(ExecutionException.class,
          () -> Compute.async().matmul(da, db).get()).getCause().getMessage());
    }
    DeviceMatrix closed = Compute.upload(a);
    closed.close();
    assertInstanceOf(IllegalStateException.class,
        assertThrows(ExecutionException.class, () -> Compute.async().sum(closed).get()).getCause());
  }

  @Test
  void aDeviceFailureFallsBackToTheCpuInsideTheFuture() throws Exception {
    Matrix a = random(30, 30, 7);
    try (DeviceMatrix da = Compute.on(BackendKind.OPENCL).upload(a)) {
      ClFaults.failNext("clEnqueueNDRangeKernel(matmul)");
      try (DeviceMatrix product = Compute.on(BackendKind.OPENCL).async().matmul(da, da).get()) {
        assertEquals("cpu", product.backend());
        assertEquals(Compute.on(BackendKind.CPU).matmul(a, a), product.download());
      }
    }
  }

  @Test
  void aProductWhoseOnlyCopyWasOnAFailedDeviceFailsClearly() {
    Matrix a = random(12, 12, 21);
    try (DeviceMatrix da = Compute.on(BackendKind.OPENCL).upload(a);
        DeviceMatrix product = Compute.on(BackendKind.OPENCL).matmul(da, da)) {
      ClFaults.failNext("clEnqueueReadBuffer(download)");
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> Compute.on(BackendKind.CPU).sum(product));
      assertTrue(e.getMessage().startsWith("sum: a resident input could not be read from its device"),
          e.getMessage());
      assertEquals(Compute.sum(Compute.on(BackendKind.CPU).matmul(a, a)), Compute.sum(product), 1e-4);
      // Uploaded data keeps its host copy: the same fault does not touch it.
      ClFaults.failNext("clEnqueueReadBuffer(download)");
      assertEquals(Compute.sum(a), Compute.on(BackendKind.CPU).sum(da), 1e-4);
    }
  }

  @Test
  void aFutureCancelledBeforeItStartsNeverRuns() throws Exception {
    AsyncCompute cpu = Compute.on(BackendKind.CPU).async();
    // Sums occupy a thread each (products would be gathered, emptying the queue at once).
    float[] big = random(1, 1 << 20, 8).toArray();
    List<CompletableFuture<Double>> queued = new ArrayList<>();
    for (int i = 0; i < 400; i++) queued.add(cpu.sum(big));
    long residentBefore = opencl.residents().deviceBytes();
    CompletableFuture<DeviceMatrix> cancelled = Compute.on(BackendKind.OPENCL).async().upload(random(256, 256, 9));
    assertTrue(cancelled.cancel(false));
    CompletableFuture.allOf(queued.toArray(CompletableFuture[]::new)).join();
    // FIFO: once a call issued after the cancelled one has run, the cancelled one has been taken off the queue.
    cpu.sum(new float[] {1}).get(10, TimeUnit.SECONDS);
    Thread.sleep(50);
    assertTrue(cancelled.isCancelled());
    assertEquals(residentBefore, opencl.residents().deviceBytes(), "the cancelled upload allocated nothing");
  }

  @Test
  void evictionKeepsEveryResidentValueThroughTheFacade() {
    int n = 64;
    opencl.residents().setBudget(3 * ClBufferPool.sizeClass(4L * n * n));
    List<DeviceMatrix> all = new ArrayList<>();
    try {
      Matrix w = random(n, n, 11);
      DeviceMatrix dw = Compute.on(BackendKind.OPENCL).upload(w);
      all.add(dw);
      DeviceMatrix x = Compute.on(BackendKind.OPENCL).upload(random(n, n, 12));
      all.add(x);
      List<Matrix> expected = new ArrayList<>();
      Matrix host = x.download();
      for (int i = 0; i < 8; i++) {
        x = Compute.on(BackendKind.OPENCL).matmul(dw, x);
        all.add(x);
        host = Compute.on(BackendKind.OPENCL).matmul(w, host);
        expected.add(host);
      }
      for (int i = 0; i < 8; i++) assertEquals(expected.get(i), all.get(i + 2).download(), "step " + i);
      assertTrue(opencl.residents().evictions() > 0);
    } finally {
      all.forEach(DeviceMatrix::close);
    }
  }

  @Test
  void sixteenThreadsMixingSyncAsyncAndResidentCallsAllGetTheirResults() throws Exception {
    try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 16; t++) {
        long seed = 100 + t;
        BackendKind kind = BackendKind.values()[t % 3];
        done.add(pool.submit(() -> {
          SplittableRandom rnd = new SplittableRandom(seed);
          for (int round = 0; round < 6; round++) {
            int m = 1 + rnd.nextInt(50), k = 1 + rnd.nextInt(50), n = 1 + rnd.nextInt(50);
            Matrix a = random(m, k, rnd.nextLong());
            Matrix b = random(k, n, rnd.nextLong());
            Matrix expected = Compute.on(BackendKind.CPU).matmul(a, b);
            CompletableFuture<Matrix> async = Compute.on(kind).async().matmul(a, b);
            try (DeviceMatrix da = Compute.on(kind).upload(a); DeviceMatrix db = Compute.on(kind).upload(b);
                DeviceMatrix dc = Compute.on(kind).matmul(da, db)) {
              assertClose(expected, dc.download());
            }
            assertClose(expected, async.join());
          }
          return null;
        }));
      }
      for (Future<?> f : done) f.get(120, TimeUnit.SECONDS);
    }
  }

  @Test
  void sixteenThreadsChainingResidentProductsUnderATightBudgetAllGetTheirResults() throws Exception {
    int n = 48;
    // Room for about six device copies among sixteen threads: eviction, re-upload and CPU fallback all happen.
    opencl.residents().setBudget(6 * ClBufferPool.sizeClass(4L * n * n));
    long evictions = opencl.residents().evictions();
    Matrix shared = random(n, n, 500);
    try (DeviceMatrix dShared = Compute.on(BackendKind.OPENCL).upload(shared);
        ExecutorService pool = Executors.newFixedThreadPool(16)) {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 16; t++) {
        long seed = 600 + t;
        done.add(pool.submit(() -> {
          Matrix x = random(n, n, seed);
          Matrix expected = x;
          List<DeviceMatrix> chain = new ArrayList<>();
          try {
            DeviceMatrix current = Compute.on(BackendKind.OPENCL).upload(x);
            chain.add(current);
            for (int step = 0; step < 4; step++) {
              current = Compute.on(BackendKind.OPENCL).matmul(dShared, current);
              chain.add(current);
              expected = Compute.on(BackendKind.CPU).matmul(shared, expected);
            }
            assertClose(expected, current.download());
            assertEquals(Compute.sum(expected), Compute.sum(current), 1e-5 * ReduceOp.absSum(expected.toArray()));
          } finally {
            chain.forEach(DeviceMatrix::close);
          }
          return null;
        }));
      }
      for (Future<?> f : done) f.get(120, TimeUnit.SECONDS);
    }
    assertTrue(opencl.residents().evictions() > evictions, "the budget forced evictions");
    assertEquals(0, opencl.residents().deviceBytes(), "every resident matrix was freed");
  }

  private static void assertClose(Matrix expected, Matrix actual) {
    assertEquals(expected.shape(), actual.shape());
    float[] e = expected.toArray();
    float[] a = actual.toArray();
    for (int i = 0; i < e.length; i++) assertEquals(e[i], a[i], 1e-4f * (1 + Math.abs(e[i])), "element " + i);
  }

  @Test
  void tenThousandAsyncCallsLeaveDeviceMemoryFlat() {
    AsyncCompute async = Compute.on(BackendKind.OPENCL).async();
    Matrix a = random(8, 8, 13);
    float[] x = random(1, 4096, 14).toArray();
    // Waves of 500 calls in flight: the first 2,000 calls fill the pool, the next 10,000 must only reuse it.
    waves(async, a, x, 2_000);
    Dispatcher d = Dispatcher.get();
    long onCpu = d.completedOn("cpu");
    long onDevice = d.completedOn("opencl");
    long fallbacks = d.fallbacks();
    ClBufferPool pool = opencl.context().pool;
    int buffers = pool.allocatedCount();
    long bytes = pool.allocatedBytes();
    long resident = opencl.residents().deviceBytes();
    assertEquals(0, resident, "the other tests closed their matrices");
    int leased = pool.leasedCount();
    waves(async, a, x, 10_000);
    // Every call ran on the device: a leak check that ran on the CPU would prove nothing.
    assertEquals(fallbacks, d.fallbacks(), "no call fell back");
    assertEquals(onCpu, d.completedOn("cpu"), "no call ran on the cpu");
    assertTrue(d.completedOn("opencl") - onDevice >= 2 * 10_000 / 3, "calls on the device: "
        + (d.completedOn("opencl") - onDevice));
    assertEquals(resident, opencl.residents().deviceBytes(), "every resident was freed");
    assertEquals(leased, pool.leasedCount(), "every buffer was given back");
    // Gathered products come in batches of varying size, each size class a buffer per queue at a new peak: a bounded
    // set, where a leak would grow with the number of calls.
    assertTrue(pool.allocatedCount() <= buffers + 64, "buffers " + buffers + " -> " + pool.allocatedCount());
    assertTrue(pool.allocatedBytes() <= bytes + (1L << 20), "bytes " + bytes + " -> " + pool.allocatedBytes());
  }

  private static void waves(AsyncCompute async, Matrix a, float[] x, int calls) {
    for (int start = 0; start < calls; start += 500) {
      List<CompletableFuture<?>> wave = new ArrayList<>();
      for (int i = start; i < start + 500; i++) {
        wave.add(switch (i % 3) {
          case 0 -> async.sum(x);
          case 1 -> async.matmul(a, a);
          default -> async.upload(a).thenCompose(d -> async.matmul(d, d).whenComplete((p, e) -> {
            d.close();
            if (p != null) p.close();
          }));
        });
      }
      CompletableFuture.allOf(wave.toArray(CompletableFuture[]::new)).join();
    }
  }
}
