package dev.pincette.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pincette.testing.Products;
import org.junit.jupiter.api.Test;

/**
 * The kernel warm-up: the first vector backend of a JVM starts it, a product that arrives meanwhile waits for it and
 * is right, and {@code devices()} says how it went.
 */
class KernelWarmupTest {
  @Test
  void aProductDuringTheWarmupIsRightAndTheWarmupEnds() throws Exception {
    assumeTrue(VectorSupport.ENABLED, "the warm-up compiles the Vector API kernels");
    CpuBackend cpu = new CpuBackend();
    try {
      int m = 200, k = 300, n = 260;
      float[] a = Products.random(m * k, 3);
      float[] b = Products.random(k * n, 4);
      Products.assertProduct(a, b, m, k, n, cpu.matmul(a, b, m, k, n));
      long giveUp = System.nanoTime() + 60_000_000_000L;
      String outcome = KernelWarmup.describe();
      while (outcome.equals("running") && System.nanoTime() < giveUp) {
        Thread.sleep(10);
        outcome = KernelWarmup.describe();
      }
      assertTrue(outcome.startsWith("kernels compiled in ") || outcome.startsWith("gave up after "), outcome);
      assertTrue(cpu.devices().getFirst().properties().get("warm-up").equals(outcome));
    } finally {
      cpu.close();
    }
  }

  @Test
  void theWarmupRunsAgainOnAnyThreadAndLeavesTheBackendWorking() {
    assumeTrue(VectorSupport.ENABLED, "the warm-up compiles the Vector API kernels");
    CpuBackend cpu = new CpuBackend(2, 1024, 4096, true);
    try {
      KernelWarmup.run(new CpuMatmul(java.util.concurrent.ForkJoinPool.commonPool(), 4096, true));
      int m = 131, k = 257, n = 263;
      float[] a = Products.random(m * k, 5);
      float[] b = Products.random(k * n, 6);
      Products.assertProduct(a, b, m, k, n, cpu.matmul(a, b, m, k, n));
    } finally {
      cpu.close();
    }
  }
}
