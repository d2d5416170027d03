package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.ComputeOn;
import dev.pincette.DeviceMatrix;
import dev.pincette.Matrix;
import dev.pincette.testing.Products;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
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
