package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.ComputeOn;
import dev.pincette.DeviceArray;
import dev.pincette.Explanation;
import dev.pincette.internal.Dispatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Resident arrays on OpenCL (PoCL here) through {@code Compute}: every element type round-trips; chains of kernels
 * are enqueued on the device with nothing copied back and end where the CPU does, bit for bit; a kernel's own error in
 * a chain is thrown once, at the wait; failures placing a kernel rerun it on the CPU from the data as it was, and a
 * kernel failing on the device after its call returned loses what it wrote; many threads with chains of their own;
 * residents of the CPU and of OpenCL in one call; closing; eviction under a small budget; what explain() counts.
 */
class ClResidentArrayTest {
  private static final ComputeOn GPU = Compute.on(BackendKind.OPENCL);
  private static final ComputeOn CPU = Compute.on(BackendKind.CPU);
  private static ClBackend opencl;

  @BeforeAll
  static void requireDevice() {
    ClTestDevice.require(new ClBackend(null, null, false, true));
    opencl = (ClBackend) Dispatcher.get().backend("opencl");
  }

  @BeforeEach
  @AfterEach
  void reset() {
    ClFaults.clear();
    Dispatcher.get().health().reset();
    opencl.residents().setBudget(Long.MAX_VALUE);
  }

  static void axpy(int i, float a, float[] x, float[] y) {
    y[i] = a * x[i] + y[i];
  }

  static void addInPlace(int i, float[] x, float[] y) {
    y[i] += x[i];
  }

  static void shifted(int i, float[] x, float[] y) {
    y[i] = x[i + 1];
  }

  static void mixTypes(int i, float[] f, double[] d, int[] n, long[] l, byte[] b) {
    n[i] = n[i] * 31 + (int) f[i];
    l[i] = l[i] ^ ((long) n[i] << 17);
    d[i] = d[i] * 0.5 + f[i] / 3.0;
    b[i] = (byte) (b[i] + n[i]);
    f[i] = f[i] * 1.0001f + (float) d[i];
  }

  static void addAndCopy(int i, float[] x, float[] y, float[] out) {
    y[i] += x[i];
    out[i] = y[i] * 2;
  }

  static void intsFrom(int i, int[] a, int[] out) {
    out[i] = a[i] * 7 - (a[i] >>> 3);
  }

  private static float[] floats(int n, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] x = new float[n];
    float[] edges = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE,
        -Float.MAX_VALUE, 1e-40f};
    for (int i = 0; i < n; i++) x[i] = i < edges.length && seed % 2 == 0 ? edges[i] : (float) rnd.nextDouble(-8, 8);
    return x;
  }

  @Test
  void everyElementTypeRoundTripsAtEdgeSizes() {
    SplittableRandom rnd = new SplittableRandom(3);
    for (int n : new int[] {0, 1, 3, 1000, 65_537}) {
      float[] f = floats(n, n * 2L);
      double[] d = new double[n];
      int[] k = new int[n];
      long[] l = new long[n];
      byte[] b = new byte[n];
      for (int i = 0; i < n; i++) {
        d[i] = i == 0 ? Double.NaN : i == 1 ? -0.0 : rnd.nextDouble(-1e300, 1e300);
        k[i] = i == 0 ? Integer.MIN_VALUE : rnd.nextInt();
        l[i] = i == 0 ? Long.MIN_VALUE : rnd.nextLong();
        b[i] = (byte) rnd.nextInt();
      }
      try (DeviceArray<float[]> rf = GPU.call(() -> Compute.upload(f));
           DeviceArray<double[]> rd = GPU.call(() -> Compute.upload(d));
           DeviceArray<int[]> rk = GPU.call(() -> Compute.upload(k));
           DeviceArray<long[]> rl = GPU.call(() -> Compute.upload(l));
           DeviceArray<byte[]> rb = GPU.call(() -> Compute.upload(b));
           DeviceArray<long[]> zeros = GPU.call(() -> Compute.zeros(long[].class, n))) {
        assertEquals("opencl", rf.backend());
        assertEquals("opencl", zeros.backend());
        assertArrayEquals(f, rf.download(), "n=" + n);
        assertArrayEquals(d, rd.download());
        assertArrayEquals(k, rk.download());
        assertArrayEquals(l, rl.download());
        assertArrayEquals(b, rb.download());
        assertArrayEquals(new long[n], zeros.download());
        byte[] into = new byte[n];
        assertArrayEquals(b, rb.downloadInto(into));
      }
    }
  }

  @Test
  void aChainOfKernelsStaysOnTheDeviceAndEndsWhereTheCpuDoes() {
    int n = 4099;
    SplittableRandom rnd = new SplittableRandom(5);
    float[] f = floats(n, 6);
    double[] d = new double[n];
    int[] k = new int[n];
    long[] l = new long[n];
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      d[i] = rnd.nextDouble();
      k[i] = rnd.nextInt();
      l[i] = rnd.nextLong();
      b[i] = (byte) rnd.nextInt();
    }
    float[] ef = f.clone();
    double[] ed = d.clone();
    int[] ek = k.clone();
    long[] el = l.clone();
    byte[] eb = b.clone();
    int[] eOut = new int[n];
    for (int step = 0; step < 25; step++) {
      CPU.forEach(n, ClResidentArrayTest::mixTypes, ef, ed, ek, el, eb);
      CPU.forEach(n, ClResidentArrayTest::intsFrom, ek, eOut);
    }
    long readsBefore = opencl.residents().reads();
    long evictionsBefore = opencl.residents().evictions();
    try (DeviceArray<float[]> rf = GPU.call(() -> Compute.upload(f));
         DeviceArray<double[]> rd = GPU.call(() -> Compute.upload(d));
         DeviceArray<int[]> rk = GPU.call(() -> Compute.upload(k));
         DeviceArray<long[]> rl = GPU.call(() -> Compute.upload(l));
         DeviceArray<byte[]> rb = GPU.call(() -> Compute.upload(b));
         DeviceArray<int[]> out = GPU.call(() -> Compute.zeros(int[].class, n))) {
      for (int step = 0; step < 25; step++) {
        GPU.forEach(n, ClResidentArrayTest::mixTypes, rf, rd, rk, rl, rb);
        GPU.forEach(n, ClResidentArrayTest::intsFrom, rk, out);
        assertEquals("opencl", Compute.lastCall().backend());
      }
      assertEquals(readsBefore, opencl.residents().reads(), "no array came back to the host");
      assertEquals(evictionsBefore, opencl.residents().evictions(), "none was evicted");
      rf.download();
      assertEquals(readsBefore + 1, opencl.residents().reads(), "a download is counted");
      assertArrayEquals(eOut, out.await().download());
      assertArrayEquals(ef, rf.download());
      assertArrayEquals(ed, rd.download());
      assertArrayEquals(ek, rk.download());
      assertArrayEquals(el, rl.download());
      assertArrayEquals(eb, rb.download());
      double total = GPU.call(() -> Compute.sum(rf));
      double reference = 0;
      double size = 0;
      for (float v : ef) {
        reference += v;
        size += Math.abs(v);
      }
      if (Double.isFinite(reference)) assertEquals(reference, total, 1e-6 * size);
      else assertEquals(reference, total);
    }
  }

  @Test
  void aBoundsErrorInAChainIsThrownOnceAtTheWait() {
    int n = 1000;
    float[] x = floats(n, 7);
    try (DeviceArray<float[]> dx = GPU.call(() -> Compute.upload(x));
         DeviceArray<float[]> dy = GPU.call(() -> Compute.zeros(float[].class, n));
         DeviceArray<float[]> dz = GPU.call(() -> Compute.zeros(float[].class, n))) {
      GPU.forEach(n, ClResidentArrayTest::addInPlace, dx, dy);
      GPU.forEach(n, ClResidentArrayTest::shifted, dx, dy);      // reads x[n]: the kernel's own error
      GPU.forEach(n, ClResidentArrayTest::addInPlace, dy, dz);   // follows it on the device
      ArrayIndexOutOfBoundsException e = assertThrows(ArrayIndexOutOfBoundsException.class, dz::await);
      assertTrue(e.getMessage().contains("Index 1000 out of bounds for length 1000 of x"), e.getMessage());
      assertTrue(e.getMessage().contains("shifted"), e.getMessage());
      // Once: the array it wrote, and those after it, read without an error now, as the kernels left them.
      dy.await();
      float[] expectedY = new float[n];
      for (int i = 0; i + 1 < n; i++) expectedY[i] = x[i + 1];
      float[] y = dy.download();
      for (int i = 0; i + 1 < n; i++) assertEquals(Float.floatToRawIntBits(expectedY[i]), Float.floatToRawIntBits(y[i]));
      GPU.forEach(n - 1, ClResidentArrayTest::shifted, dx, dy);
      assertArrayEquals(y, dy.download());
    }
  }

  @Test
  void aFailureWhilePlacingAKernelRerunsItOnTheCpuFromTheDataAsItWas() {
    int n = 3000;
    float[] x = floats(n, 9);
    float[] y = floats(n, 11);
    float[] expected = y.clone();
    for (int step = 0; step < 6; step++) CPU.forEach(n, ClResidentArrayTest::axpy, 1.5f, x, expected);
    try (DeviceArray<float[]> dx = GPU.call(() -> Compute.upload(x));
         DeviceArray<float[]> dy = GPU.call(() -> Compute.upload(y))) {
      GPU.forEach(n, ClResidentArrayTest::axpy, 1.5f, dx, dy);
      GPU.forEach(n, ClResidentArrayTest::axpy, 1.5f, dx, dy);
      ClFaults.failNext("clEnqueueNDRangeKernel(java_ClResidentArrayTest_axpy");
      GPU.forEach(n, ClResidentArrayTest::axpy, 1.5f, dx, dy);
      assertEquals("cpu", Compute.lastCall().backend(), "rerun on the CPU");
      assertFalse(ClFaults.armed());
      ClFaults.failNext("clEnqueueWriteBuffer(resident.upload");   // the device copy is stale: uploaded again
      GPU.forEach(n, ClResidentArrayTest::axpy, 1.5f, dx, dy);
      assertEquals("cpu", Compute.lastCall().backend());
      GPU.forEach(n, ClResidentArrayTest::axpy, 1.5f, dx, dy);
      GPU.forEach(n, ClResidentArrayTest::axpy, 1.5f, dx, dy);
      assertEquals("opencl", Compute.lastCall().backend(), "back on the device");
      assertArrayEquals(expected, dy.download());
      assertArrayEquals(x, dx.download());
    }
  }

  /**
   * A kernel on the CPU reading an array whose only copy is on the device, when that read fails: the caller gets an
   * IllegalStateException saying so, not the SPI's BackendException (found by the soak).
   */
  @Test
  void aCpuKernelWhoseResidentCannotBeReadFromTheDeviceThrowsIllegalState() {
    int n = 1000;
    try (DeviceArray<float[]> dx = GPU.call(() -> Compute.upload(floats(n, 3)));
         DeviceArray<float[]> dy = GPU.call(() -> Compute.upload(floats(n, 5)))) {
      GPU.forEach(n, ClResidentArrayTest::axpy, 1.5f, dx, dy);
      dy.await();
      ClFaults.failNext("clEnqueueReadBuffer");
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> CPU.forEach(n, ClResidentArrayTest::addInPlace, dx, dy));
      assertTrue(e.getMessage().startsWith("forEach: a resident argument could not be read from its device"),
          e.getMessage());
      assertFalse(ClFaults.armed(), "the fault fired");
    }
  }

  @Test
  void aKernelFailingOnTheDeviceAfterItsCallReturnedLosesWhatItWroteAndWhatFollowed() {
    int n = 2000;
    float[] x = floats(n, 13);
    try (DeviceArray<float[]> dx = GPU.call(() -> Compute.upload(x));
         DeviceArray<float[]> dy = GPU.call(() -> Compute.zeros(float[].class, n));
         DeviceArray<float[]> dz = GPU.call(() -> Compute.zeros(float[].class, n));
         DeviceArray<float[]> other = GPU.call(() -> Compute.zeros(float[].class, n))) {
      ClFaults.failNext("kernelFailure(addInPlace)");
      GPU.forEach(n, ClResidentArrayTest::addInPlace, dx, dy);
      assertEquals("opencl", Compute.lastCall().backend(), "the call itself returned");
      // A kernel reading what the failed one wrote: refused when the failure is known already, else enqueued and
      // lost with it.
      boolean refused = false;
      try {
        GPU.forEach(n, ClResidentArrayTest::addInPlace, dy, dz);
      } catch (IllegalStateException e) {
        refused = true;
        assertTrue(e.getMessage().contains("addInPlace"), e.getMessage());
      }
      IllegalStateException lost = assertThrows(IllegalStateException.class, dy::download);
      assertTrue(lost.getMessage().contains("addInPlace") && lost.getMessage().contains("failed on the device"),
          lost.getMessage());
      assertTrue(Dispatcher.get().health().failuresInARow("opencl") >= 1, "a device failure was counted");
      if (refused) assertArrayEquals(new float[n], dz.download());
      else assertThrows(IllegalStateException.class, dz::download);
      assertThrows(IllegalStateException.class, () -> GPU.forEach(n, ClResidentArrayTest::addInPlace, dy, other));
      assertArrayEquals(x, dx.download(), "only read: still there");
      GPU.forEach(n, ClResidentArrayTest::addInPlace, dx, other);
      assertArrayEquals(x, other.download(), "later chains work");
    }
  }

  @Test
  void aSpatialCopyWhoseQueueCannotBeDrainedFreesTheBuffersItWasWriting() {
    int n = 3000;
    float[] xyz = floats(n, 43);
    for (int i = 0; i < n; i++) xyz[i] = Float.isFinite(xyz[i]) ? Math.abs(xyz[i]) % 1f : 0.5f;
    try (dev.pincette.spatial.SpatialHashMap map = GPU.call(() -> dev.pincette.spatial.SpatialHashMap.build(xyz, 3,
        0.05f))) {
      GPU.run(() -> map.cellOrder().close());   // its buffers go back to the pool, for the next one
      ClBufferPool pool = opencl.context().pool;
      int owned = pool.allocatedCount();
      ClFaults.failEvery("clFinish(spatial.cellOrder");
      try {
        GPU.run(() -> map.cellOrder().close());
      } catch (RuntimeException movedOrRefused) {
        // Either rerun elsewhere or refused: what matters here is where the buffers went.
      } finally {
        ClFaults.clear();
      }
      assertTrue(pool.allocatedCount() <= owned - 2, "the copies' two buffers were freed, not reused: "
          + pool.allocatedCount() + " of " + owned);
    }
  }

  @Test
  void aFailureAfterAKernelRanKeepsWhatItWroteOnTheDevice() {
    int n = 2500;
    float[] x = floats(n, 29);
    float[] expected = new float[n];
    for (String fault : new String[] {"clEnqueueReadBuffer(java_ClResidentArrayTest_addInPlace", "clFlush"}) {
      try (DeviceArray<float[]> dx = GPU.call(() -> Compute.upload(x));
           DeviceArray<float[]> dy = GPU.call(() -> Compute.zeros(float[].class, n))) {
        GPU.forEach(n, ClResidentArrayTest::addInPlace, dx, dy);
        ClFaults.failNext(fault);
        GPU.forEach(n, ClResidentArrayTest::addInPlace, dx, dy);
        assertFalse(ClFaults.armed(), fault + " fired");
        assertEquals("opencl", Compute.lastCall().backend(), fault);
        for (int i = 0; i < n; i++) expected[i] = (0f + x[i]) + x[i];
        assertArrayEquals(expected, dy.download(), fault);
      }
    }
  }

  @Test
  void aFailureReadingTheRecordOfAMixedCallKeepsItsResultsOnTheDeviceAndCopiesBackItsJavaArrays() {
    int n = 2500;
    float[] x = floats(n, 31);
    float[] y = floats(n, 37);
    float[] out = new float[n];
    float[] expectedY = y.clone();
    float[] expectedOut = new float[n];
    for (int step = 0; step < 2; step++) CPU.forEach(n, ClResidentArrayTest::addAndCopy, x, expectedY, expectedOut);
    try (DeviceArray<float[]> dx = GPU.call(() -> Compute.upload(x));
         DeviceArray<float[]> dy = GPU.call(() -> Compute.upload(y))) {
      GPU.forEach(n, ClResidentArrayTest::addAndCopy, dx, dy, out);
      ClFaults.failNext("clEnqueueReadBuffer(java_ClResidentArrayTest_addAndCopy");
      GPU.forEach(n, ClResidentArrayTest::addAndCopy, dx, dy, out);
      assertFalse(ClFaults.armed(), "the record's read failed");
      assertEquals("opencl", Compute.lastCall().backend());
      assertArrayEquals(expectedOut, out);
      assertArrayEquals(expectedY, dy.download());
    }
  }

  @Test
  void aKernelWhoseQueueCannotBeDrainedKeepsWhatItUsesAndLosesWhatItWrote() {
    int n = 2000;
    float[] x = floats(n, 23);
    try (DeviceArray<float[]> dx = GPU.call(() -> Compute.upload(x));
         DeviceArray<float[]> dy = GPU.call(() -> Compute.zeros(float[].class, n))) {
      GPU.forEach(n, ClResidentArrayTest::addInPlace, dx, dy);
      assertArrayEquals(x, dy.download());
      ClResident rx = (ClResident) dev.pincette.internal.ResidentHandles.resident(dx, "test");
      ClResident ry = (ClResident) dev.pincette.internal.ResidentHandles.resident(dy, "test");
      int pinsX = rx.pins;
      int pinsY = ry.pins;
      // The flush fails, and so does the drain after it: the kernel may still run, reading x and writing y.
      ClFaults.failEvery("clFinish(java_ClResidentArrayTest_addInPlace");
      ClFaults.failNext("clFlush");
      try {
        GPU.forEach(n, ClResidentArrayTest::addInPlace, dx, dy);
      } catch (IllegalStateException rerunOnLostValues) {
        assertTrue(rerunOnLostValues.getMessage().contains("lost"), rerunOnLostValues.getMessage());
      }
      ClFaults.clear();
      assertFalse(ClFaults.armed(), "the flush failed");
      assertTrue(rx.pins > pinsX && ry.pins > pinsY, "their buffers stay out of reuse: " + rx.pins + ", " + ry.pins);
      assertThrows(IllegalStateException.class, dy::download);
      assertArrayEquals(x, dx.download(), "only read: still there");
      // Nothing gives those pins back (the price of a queue that cannot be drained): the test does, so that the
      // suite's checks that device memory ends flat hold.
      while (rx.pins > pinsX) opencl.residents().unpin(rx);
      while (ry.pins > pinsY) opencl.residents().unpin(ry);
    }
  }

  @Test
  void aKernelBehindAFailedOneOnTheQueueEndsAndIsNotWaitedForInVain() {
    int n = 2000;
    float[] x = floats(n, 21);
    try (DeviceArray<float[]> dx = GPU.call(() -> Compute.upload(x));
         DeviceArray<float[]> dy = GPU.call(() -> Compute.zeros(float[].class, n))) {
      ClFaults.failNext("kernelFailure(addInPlace)");
      GPU.forEach(n, ClResidentArrayTest::addInPlace, dx, dy);
      // Behind it on the same queue, independent of it: done (right, or lost if the runtime fails the queue's later
      // commands too), never waited for in vain.
      try (DeviceArray<float[]> behind = GPU.call(() -> Compute.zeros(float[].class, n))) {
        GPU.forEach(n, ClResidentArrayTest::addInPlace, dx, behind);
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(60), () -> {
          try {
            assertArrayEquals(x, behind.download());
          } catch (IllegalStateException e) {
            assertTrue(e.getMessage().contains("failed on the device"), e.getMessage());
          }
        });
      }
      assertThrows(IllegalStateException.class, dy::download);
    }
  }

  @Test
  void kernelsThatFailBehindAFailedOneOnItsQueueCountAsOneDeviceFailure() {
    int n = 2000;
    float[] x = floats(n, 41);
    List<DeviceArray<float[]>> behind = new ArrayList<>();
    try (DeviceArray<float[]> dx = GPU.call(() -> Compute.upload(x));
         DeviceArray<float[]> dy = GPU.call(() -> Compute.zeros(float[].class, n))) {
      for (int k = 0; k < 4; k++) behind.add(GPU.call(() -> Compute.zeros(float[].class, n)));
      GPU.forEach(n, ClResidentArrayTest::addInPlace, dx, dy);
      assertArrayEquals(x, dy.download());
      Dispatcher.get().health().reset();
      // The first fails on the device after its call returned; those behind it on the queue may fail with it (PoCL
      // runs them).
      ClFaults.failNext("kernelFailure(addInPlace)");
      GPU.forEach(n, ClResidentArrayTest::addInPlace, dx, dy);
      for (DeviceArray<float[]> b : behind) GPU.forEach(n, ClResidentArrayTest::addInPlace, dx, b);
      assertFalse(ClFaults.armed(), "the kernel was made to fail");
      assertEquals("opencl", Compute.lastCall().backend());
      try {
        behind.getLast().download();   // settles every kernel enqueued, oldest first
      } catch (IllegalStateException lostWithIt) {
        assertTrue(lostWithIt.getMessage().contains("failed on the device"), lostWithIt.getMessage());
      }
      assertEquals(1, Dispatcher.get().health().failures("opencl"), "one queue's failures count once");
      assertThrows(IllegalStateException.class, dy::download);
      assertTrue(Dispatcher.get().health().isOn("opencl"));
    } finally {
      behind.forEach(DeviceArray::close);
    }
  }

  @Test
  void sixteenThreadsRunChainsOfTheirOwn() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 16; t++) {
        int seed = t;
        done.add(pool.submit(() -> {
          SplittableRandom rnd = new SplittableRandom(seed);
          for (int round = 0; round < 3; round++) {
            int n = 1 + rnd.nextInt(20_000);
            float[] x = floats(n, 100 + seed);
            float[] y = floats(n, 200 + seed);
            float[] expected = y.clone();
            int steps = 5 + rnd.nextInt(20);
            for (int s = 0; s < steps; s++) CPU.forEach(n, ClResidentArrayTest::axpy, 0.75f, x, expected);
            try (DeviceArray<float[]> dx = GPU.call(() -> Compute.upload(x));
                 DeviceArray<float[]> dy = GPU.call(() -> Compute.upload(y))) {
              for (int s = 0; s < steps; s++) GPU.forEach(n, ClResidentArrayTest::axpy, 0.75f, dx, dy);
              assertArrayEquals(expected, dy.download(), "thread " + seed + " round " + round);
            }
          }
          return null;
        }));
      }
      for (Future<?> f : done) f.get(240, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Chains on eight threads while enqueues fail at random (each failing call reruns on the CPU, and the next device
   * call uploads what it wrote): every chain still ends where the CPU's does, bit for bit.
   */
  @Test
  void chainsOnManyThreadsEndRightWhileEnqueuesFail() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
    java.util.concurrent.atomic.AtomicInteger fired = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger onOpenCl = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger onCpu = new java.util.concurrent.atomic.AtomicInteger();
    Thread faults = new Thread(() -> {
      SplittableRandom rnd = new SplittableRandom(99);
      boolean armed = false;
      while (running.get()) {
        if (armed && !ClFaults.armed()) {
          fired.incrementAndGet();
          // Injected failures count as the device's: the device stays on, as this test is about the chains.
          Dispatcher.get().health().reset();
        }
        armed = true;
        ClFaults.failNext(rnd.nextBoolean() ? "clEnqueueNDRangeKernel(java_ClResidentArrayTest_axpy"
            : "clEnqueueWriteBuffer(resident.upload");
        try {
          Thread.sleep(rnd.nextInt(1, 5));
        } catch (InterruptedException e) {
          return;
        }
      }
    });
    faults.start();
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int seed = t;
        done.add(pool.submit(() -> {
          SplittableRandom rnd = new SplittableRandom(1000 + seed);
          for (int round = 0; round < 4; round++) {
            int n = 1 + rnd.nextInt(10_000);
            float[] x = floats(n, 400 + seed);
            float[] y = floats(n, 500 + seed);
            float[] expected = y.clone();
            int steps = 10 + rnd.nextInt(20);
            for (int s = 0; s < steps; s++) CPU.forEach(n, ClResidentArrayTest::axpy, 1.25f, x, expected);
            try (DeviceArray<float[]> dx = GPU.call(() -> Compute.upload(x));
                 DeviceArray<float[]> dy = GPU.call(() -> Compute.upload(y))) {
              for (int s = 0; s < steps; s++) {
                GPU.forEach(n, ClResidentArrayTest::axpy, 1.25f, dx, dy);
                (Compute.lastCall().backend().equals("opencl") ? onOpenCl : onCpu).incrementAndGet();
              }
              assertArrayEquals(expected, dy.download(), "thread " + seed + " round " + round);
            }
          }
          return null;
        }));
      }
      for (Future<?> f : done) f.get(300, TimeUnit.SECONDS);
    } finally {
      running.set(false);
      faults.join();
      ClFaults.clear();
      pool.shutdownNow();
    }
    assertTrue(fired.get() > 0, "faults fired");
    assertTrue(onOpenCl.get() > 0 && onCpu.get() > 0, "calls ran on OpenCL (" + onOpenCl + ") and were rerun on the"
        + " CPU (" + onCpu + ")");
  }

  @Test
  void residentsOfTheCpuAndOfOpenClMixInOneCallEitherWay() {
    int n = 5000;
    float[] x = floats(n, 15);
    float[] y = floats(n, 17);
    float[] expected = y.clone();
    for (int s = 0; s < 4; s++) CPU.forEach(n, ClResidentArrayTest::axpy, 2f, x, expected);
    try (DeviceArray<float[]> onCpu = CPU.call(() -> Compute.upload(x));
         DeviceArray<float[]> onGpu = GPU.call(() -> Compute.upload(y))) {
      assertEquals("cpu", onCpu.backend());
      GPU.forEach(n, ClResidentArrayTest::axpy, 2f, onCpu, onGpu);      // the CPU's array is copied over
      assertEquals("opencl", Compute.lastCall().backend());
      CPU.forEach(n, ClResidentArrayTest::axpy, 2f, onCpu, onGpu);      // the device's comes to the host
      assertEquals("cpu", Compute.lastCall().backend());
      GPU.forEach(n, ClResidentArrayTest::axpy, 2f, onCpu, onGpu);      // and goes back, written
      GPU.forEach(n, ClResidentArrayTest::axpy, 2f, onCpu, onGpu);
      assertArrayEquals(expected, onGpu.download());
      assertArrayEquals(x, onCpu.download());
    }
    try (DeviceArray<float[]> cpuY = CPU.call(() -> Compute.upload(y));
         DeviceArray<float[]> gpuX = GPU.call(() -> Compute.upload(x))) {
      GPU.forEach(n, ClResidentArrayTest::axpy, 2f, gpuX, cpuY);        // a CPU resident written by the device
      float[] once = y.clone();
      CPU.forEach(n, ClResidentArrayTest::axpy, 2f, x, once);
      assertArrayEquals(once, cpuY.download());
    }
  }

  @Test
  void closedArraysAreRefusedAndClosingIsIdempotentAlsoUnderAChain() {
    long held = opencl.residents().deviceBytes();
    DeviceArray<float[]> dx = GPU.call(() -> Compute.upload(floats(100_000, 19)));
    DeviceArray<float[]> dy = GPU.call(() -> Compute.zeros(float[].class, 100_000));
    for (int s = 0; s < 10; s++) GPU.forEach(100_000, ClResidentArrayTest::addInPlace, dx, dy);
    dy.close();   // while its kernels may still run: their pins keep the memory until they are done
    dy.close();
    assertThrows(IllegalStateException.class, dy::download);
    assertThrows(IllegalStateException.class, dy::await);
    assertThrows(IllegalStateException.class, () -> GPU.forEach(100_000, ClResidentArrayTest::addInPlace, dx, dy));
    assertThrows(IllegalStateException.class, () -> Compute.sum(dy));
    dx.close();
    assertThrows(IllegalStateException.class, dx::download);
    assertEquals(held, opencl.residents().deviceBytes(), "every buffer went back");
  }

  @Test
  void evictionUnderASmallBudgetKeepsChainsRight() {
    int n = 10_000;
    ClResidentStore store = opencl.residents();
    store.setBudget(3 * ClBufferPool.sizeClass(4L * n));
    long evictions = store.evictions();
    float[][] expected = new float[6][];
    List<DeviceArray<float[]>> arrays = new ArrayList<>();
    try {
      for (int a = 0; a < expected.length; a++) {
        expected[a] = floats(n, 300 + a);
        float[] start = expected[a].clone();
        arrays.add(GPU.call(() -> Compute.upload(start)));
      }
      for (int round = 0; round < 4; round++) {
        for (int a = 0; a + 1 < expected.length; a++) {
          CPU.forEach(n, ClResidentArrayTest::axpy, 0.5f, expected[a], expected[a + 1]);
          GPU.forEach(n, ClResidentArrayTest::axpy, 0.5f, arrays.get(a), arrays.get(a + 1));
        }
      }
      for (int a = 0; a < expected.length; a++) assertArrayEquals(expected[a], arrays.get(a).download(), "array " + a);
      assertTrue(store.evictions() > evictions, "the budget forced evictions");
    } finally {
      for (DeviceArray<float[]> d : arrays) d.close();
    }
  }

  @Test
  void anAsyncCallOnResidentsCompletesWhenItsKernelHasRun() {
    int n = 50_000;
    float[] x = floats(n, 23);
    try (DeviceArray<float[]> dx = GPU.call(() -> Compute.upload(x));
         DeviceArray<float[]> dy = GPU.call(() -> Compute.zeros(float[].class, n));
         DeviceArray<float[]> dz = GPU.call(() -> Compute.zeros(float[].class, 8))) {
      for (int s = 0; s < 5; s++) {
        GPU.async().forEach(n, ClResidentArrayTest::addInPlace, dx, dy).join();
        assertTrue(dev.pincette.internal.ResidentHandles.resident(dy, "test").computed(), "step " + s);
      }
      float[] expected = new float[n];
      for (int s = 0; s < 5; s++) CPU.forEach(n, ClResidentArrayTest::addInPlace, x, expected);
      assertArrayEquals(expected, dy.download());
      java.util.concurrent.CompletionException e = assertThrows(java.util.concurrent.CompletionException.class,
          () -> GPU.async().forEach(8, ClResidentArrayTest::shifted, dz, dz).join());
      assertTrue(e.getCause() instanceof ArrayIndexOutOfBoundsException, String.valueOf(e.getCause()));
    }
  }

  static void pastTheEnd(int i, float[] xy) {
    xy[i + 1] = xy[i];
  }

  @Test
  void aMapUpdatedFromPositionsAKernelFailedOnThrowsTheCpuExceptionOnce() {
    float[] xy = floats(200, 25);
    for (int i = 0; i < xy.length; i++) xy[i] = Math.abs(xy[i]) / 8;
    GPU.run(() -> {
      try (dev.pincette.spatial.SpatialHashMap map = dev.pincette.spatial.SpatialHashMap.build(xy, 2, 0.1f);
           DeviceArray<float[]> positions = Compute.upload(xy)) {
        assertEquals("opencl", map.backend());
        Compute.forEach(xy.length, ClResidentArrayTest::pastTheEnd, positions);
        ArrayIndexOutOfBoundsException e = assertThrows(ArrayIndexOutOfBoundsException.class,
            () -> map.update(positions));
        assertTrue(e.getMessage().contains("pastTheEnd"), e.getMessage());
        map.update(positions);   // reported once: the map follows the positions as the kernel left them
        float[] left = positions.download();
        try (dev.pincette.spatial.SpatialHashMap onCpu = CPU.call(() ->
            dev.pincette.spatial.SpatialHashMap.build(left, 2, 0.1f))) {
          assertArrayEquals(onCpu.neighborsWithin(0.1f).indices(), map.neighborsWithin(0.1f).indices());
        }
      }
    });
  }

  @Test
  void explainCountsNoBytesForResidentsOnTheirBackend() {
    float[] x = new float[1000];
    float[] y = new float[1000];
    try (DeviceArray<float[]> dx = GPU.call(() -> Compute.upload(x));
         DeviceArray<float[]> dy = GPU.call(() -> Compute.upload(y))) {
      Explanation resident = Compute.explain(() -> GPU.forEach(1000, ClResidentArrayTest::axpy, 2f, dx, dy));
      assertTrue(resident.shape().contains("(resident 7.8 kB on opencl)"), resident.shape());
      assertFalse(resident.shape().contains("moves"), resident.shape());
      Explanation mixed = Compute.explain(() -> GPU.forEach(1000, ClResidentArrayTest::axpy, 2f, x, dy));
      assertTrue(mixed.shape().contains("moves 3.9 kB to a device, 0 B back; resident 3.9 kB on opencl"),
          mixed.shape());
      Explanation auto = Compute.explain(() -> Compute.forEach(1000, ClResidentArrayTest::axpy, 2f, dx, dy));
      assertTrue(auto.shape().contains("resident 7.8 kB on opencl"), auto.shape());
    }
  }
}
