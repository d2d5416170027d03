package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.ComputeOn;
import dev.pincette.DeviceMatrix;
import dev.pincette.Matrix;
import dev.pincette.internal.Dispatcher;
import dev.pincette.internal.Health;
import dev.pincette.spi.Resident;
import dev.pincette.testing.Products;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Several threads reading one resident product at the same moment. On a host-unified device (PoCL) four concurrent
 * {@code download()}s of one product once crashed the JVM: each mapped the same buffer from its own queue, and one
 * thread's unmap invalidated the mapping another was still copying from. The downloads run in a JVM of their own, so
 * that a regression fails this test rather than killing the test run.
 */
class ClResidentConcurrencyTest {
  @BeforeAll
  static void requireDevice() {
    ClTestDevice.require(new ClBackend(null, null, false, true));
  }

  @Test
  void concurrentDownloadsOfOneProductReturnItsValues() throws Exception {
    ForkedJvm.Result run = ForkedJvm.run(ConcurrentDownloads.class, 300);
    assertEquals(0, run.exitCode(), run.output());
    assertTrue(run.output().contains("every concurrent download returned the product"), run.output());
  }

  /**
   * A product whose kernel failed on the device, read by 4 threads at once: the failure counts once against the
   * device (each reader found it; only one reports it), the product is written once more, and every reader gets its
   * values. Counted once per reader, one fault switched the device off.
   */
  @Test
  void oneFailedKernelReadByFourThreadsCountsOnce() throws Exception {
    Health health = Dispatcher.get().health();
    ClBackend opencl = (ClBackend) Dispatcher.get().backend("opencl");
    int n = 64;
    int threads = 4;
    float[] av = Products.random(n * n, 21);
    float[] bv = Products.random(n * n, 22);
    ComputeOn device = Compute.on(BackendKind.OPENCL);
    try (ExecutorService pool = Executors.newFixedThreadPool(threads);
        DeviceMatrix a = device.upload(Matrix.of(n, n, av));
        DeviceMatrix b = device.upload(Matrix.of(n, n, bv))) {
      for (int round = 0; round < 10; round++) {
        health.reset();
        long rewrites = opencl.residents().rewrites();
        ClFaults.failNext("kernelFailure(matmul)");
        try (DeviceMatrix product = device.matmul(a, b)) {
          assertFalse(ClFaults.armed(), "the fault fired");
          assertEquals("opencl", product.backend());
          CyclicBarrier start = new CyclicBarrier(threads);
          List<Future<float[]>> reads = new ArrayList<>();
          for (int t = 0; t < threads; t++) {
            reads.add(pool.submit(() -> {
              start.await();
              return product.download().toArray();
            }));
          }
          for (Future<float[]> read : reads) Products.assertProduct(av, bv, n, n, n, read.get(120, TimeUnit.SECONDS));
        }
        assertEquals(1, health.failuresInARow("opencl"), "round " + round + ": one failed kernel, counted once");
        assertTrue(health.isOn("opencl"));
        assertEquals(rewrites + 1, opencl.residents().rewrites(), "written again once");
      }
    } finally {
      ClFaults.clear();
      health.reset();
    }
  }

  /**
   * Products behind a failed one on the resident queue failing with it, as NVIDIA's in-order queues make them (here
   * injected into the next product too, before anything found the first failure): one fault, reported once, however
   * the failures are found (a reader's settle or a reap of a closed product), and each product written again.
   */
  @Test
  void productsFailingBehindAFailedOneOnItsQueueAreReportedOnce() throws Exception {
    AtomicInteger reported = new AtomicInteger();
    int n = 16;
    float[] av = Products.random(n * n, 37);
    try (ClBackend backend = new ClBackend(null, null, false, true)) {
      backend.reportFailuresTo(e -> reported.incrementAndGet());
      try (Resident a = backend.upload(av)) {
        for (int round = 0; round < 3; round++) {
          int before = reported.get();
          long rewrites = backend.residents().rewrites();
          ClFaults.failNext("kernelFailure(matmul)");
          Resident first = backend.matmul(a, a, n, n, n);
          ClFaults.failNext("kernelFailure(matmul)");
          Resident behind = backend.matmul(a, a, n, n, n);
          assertFalse(ClFaults.armed(), "the faults fired");
          if (round == 0) {
            Products.assertProduct(av, av, n, n, n, backend.download(first));
            Products.assertProduct(av, av, n, n, n, backend.download(behind));
            assertEquals(rewrites + 2, backend.residents().rewrites(), "both written again");
            first.close();
            behind.close();
          } else if (round == 1) {
            Products.assertProduct(av, av, n, n, n, backend.download(behind));
            first.close();
            behind.close();
          } else {
            first.close();
            behind.close();
          }
          backend.residents().awaitPending();
          assertEquals(before + 1, reported.get(), "round " + round + ": one fault on one queue, reported once");
        }
      }
    } finally {
      ClFaults.clear();
    }
  }

  /**
   * A failed product closed while a reader settles it, and reaped by the next product meanwhile: the reap and the
   * reader's settle both find the failure, and it is reported once (counted by the backend's own listener).
   */
  @Test
  void aFailedProductReapedWhileAReaderSettlesItIsReportedOnce() throws Exception {
    AtomicInteger reported = new AtomicInteger();
    int n = 32;
    float[] av = Products.random(n * n, 31);
    try (ClBackend backend = new ClBackend(null, null, false, true);
        ExecutorService pool = Executors.newSingleThreadExecutor()) {
      backend.reportFailuresTo(e -> reported.incrementAndGet());
      try (Resident a = backend.upload(av)) {
        for (int round = 0; round < 200; round++) {
          int before = reported.get();
          ClFaults.failNext("kernelFailure(matmul)");
          Resident product = backend.matmul(a, a, n, n, n);
          assertFalse(ClFaults.armed(), "the fault fired");
          CyclicBarrier start = new CyclicBarrier(2);
          Future<?> reader = pool.submit(() -> {
            start.await();
            try {
              backend.download(product);
            } catch (IllegalStateException closed) {
              // Closed before the reader took it: nothing to read.
            }
            return null;
          });
          start.await();
          product.close();
          backend.matmul(a, a, n, n, n).close();   // its allocation reaps the closed, failed product
          reader.get(120, TimeUnit.SECONDS);
          backend.residents().awaitPending();
          assertEquals(before + 1, reported.get(), "round " + round + ": one failed kernel, reported once");
        }
      }
    } finally {
      ClFaults.clear();
    }
  }

  /** Below the store: reads of one buffer from several queues at once, each mapping it on a host-unified device. */
  @Test
  void concurrentReadsOfOneBufferFromSeveralQueuesReturnItsValues() throws Exception {
    ForkedJvm.Result run = ForkedJvm.run(ConcurrentReads.class, 300);
    assertEquals(0, run.exitCode(), run.output());
    assertTrue(run.output().contains("every concurrent read returned the buffer"), run.output());
  }

  /** Rounds of 4 threads behind a barrier, each reading one 256x256 buffer through a queue of its own. */
  static final class ConcurrentReads {
    public static void main(String[] args) throws Exception {
      int threads = 4;
      float[] values = Products.random(256 * 256, 13);
      try (ClBackend backend = new ClBackend(null, null, false, true);
          ClContext context = ClContext.open(backend.device(), null, false);
          ExecutorService pool = Executors.newFixedThreadPool(threads)) {
        long buffer = context.pool.acquire(4L * values.length, "test");
        try (ClCall call = context.begin("test")) {
          call.queue.write(buffer, values, 0, values.length, call.op);
        }
        for (int round = 0; round < 50; round++) {
          CyclicBarrier start = new CyclicBarrier(threads);
          List<Future<float[]>> reads = new ArrayList<>();
          for (int t = 0; t < threads; t++) {
            reads.add(pool.submit(() -> {
              start.await();
              try (ClCall call = context.begin("test")) {
                return call.downloadFloats(buffer, values.length);
              }
            }));
          }
          for (Future<float[]> read : reads) {
            if (!java.util.Arrays.equals(values, read.get(120, TimeUnit.SECONDS))) {
              throw new AssertionError("round " + round + ": a read differs from the buffer");
            }
          }
        }
        context.pool.release(buffer);
      }
      System.out.println("every concurrent read returned the buffer");
    }
  }

  /**
   * Rounds of 4 threads behind a barrier, each downloading the same fresh 256x256 product; exit 0 when every thread
   * read the right values.
   */
  static final class ConcurrentDownloads {
    public static void main(String[] args) throws Exception {
      int n = 256;
      int threads = 4;
      ComputeOn opencl = Compute.on(BackendKind.OPENCL);
      float[] av = Products.random(n * n, 11);
      float[] bv = Products.random(n * n, 12);
      try (ExecutorService pool = Executors.newFixedThreadPool(threads);
          DeviceMatrix a = opencl.upload(Matrix.of(n, n, av));
          DeviceMatrix b = opencl.upload(Matrix.of(n, n, bv))) {
        if (!a.backend().equals("opencl")) throw new AssertionError("uploaded to " + a.backend());
        float[] expected = null;
        for (int round = 0; round < 20; round++) {
          try (DeviceMatrix product = opencl.matmul(a, b)) {
            if (!product.backend().equals("opencl")) throw new AssertionError("computed on " + product.backend());
            CyclicBarrier start = new CyclicBarrier(threads);
            List<Future<float[]>> reads = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
              reads.add(pool.submit(() -> {
                start.await();
                return product.download().toArray();
              }));
            }
            for (Future<float[]> read : reads) {
              float[] got = read.get(120, TimeUnit.SECONDS);
              if (expected == null) {
                Products.assertProduct(av, bv, n, n, n, got);
                expected = got;
              } else if (!java.util.Arrays.equals(expected, got)) {
                throw new AssertionError("round " + round + ": a download differs from the first");
              }
            }
          }
        }
      }
      System.out.println("every concurrent download returned the product");
    }
  }
}
