package dev.pincette.cpu;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Compiles the matmul kernels before the first product needs them. Until C2 has compiled a Vector API method, every
 * vector is an object and every lane operation a call: the first 1024² product of a JVM took 2.1-4.1 s here (2 cores
 * under load), against 15-50 ms once compiled. So the first vector backend of a JVM starts one daemon thread that calls
 * the register tile on one-step operands until a call takes the time of compiled code (C2 compiles it after about
 * 5,000 calls), then runs a few small products through the packed and the unpacked paths so the code around the tile
 * is compiled too. A large product that arrives meanwhile waits for it (at most {@link #MAX_WAIT_MS}) rather than run
 * the tile interpreted on the cores the compiler needs. {@code -Dpincette.warmup=false} turns it off.
 */
final class KernelWarmup {
  /** Calls timed together when checking whether the tile is compiled. */
  private static final int TILE_BLOCK = 1_000;
  /**
   * Mean time of a one-step tile call below which it is compiled: a few nanoseconds compiled, tens of microseconds
   * interpreted or from C1 (every vector an object).
   */
  private static final long COMPILED_NANOS = 1_000;
  /** Longest the warm-up runs the tile before it gives up (a JVM run with -Xint or without C2 never gets there). */
  private static final long TILE_LIMIT_NANOS = 10_000_000_000L;
  /** Products per path once the tile is compiled. */
  private static final int PRODUCTS = 20;
  /** Multiply-adds from which a product waits for the warm-up: about 1 ms of interpreted tile calls. */
  static final long WAIT_FROM = 64L * 64 * 64;
  /** Longest a product waits for the warm-up. */
  static final long MAX_WAIT_MS = 3_000;

  private static final AtomicBoolean STARTED = new AtomicBoolean();
  private static final CountDownLatch DONE = new CountDownLatch(1);
  /** What the warm-up did, for {@code devices()}; written once by the warm-up thread before {@link #DONE}. */
  private static volatile String outcome = "running";

  private KernelWarmup() {}

  /** Starts the warm-up once per JVM, unless {@code pincette.warmup=false}. */
  static void startOnce(CpuMatmul matmul) {
    if (!Boolean.parseBoolean(System.getProperty("pincette.warmup", "true")) || !STARTED.compareAndSet(false, true)) {
      return;
    }
    Thread t = new Thread(() -> {
      long start = System.nanoTime();
      try {
        outcome = (run(matmul) ? "kernels compiled in " : "gave up after ") + (System.nanoTime() - start) / 1_000_000
            + " ms";
      } finally {
        DONE.countDown();
      }
    }, "pincette-cpu-warmup");
    t.setDaemon(true);
    t.start();
  }

  /** Waits, at most {@link #MAX_WAIT_MS}, until a warm-up that has started is done; at once when none has. */
  static void awaitIfRunning() {
    if (!STARTED.get() || DONE.getCount() == 0) return;
    try {
      DONE.await(MAX_WAIT_MS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** What the warm-up did: off, running, or how long it took. */
  static String describe() {
    return STARTED.get() ? outcome : "off";
  }

  /**
   * The warm-up itself, on the calling thread; it reads and writes only arrays of its own. False when the tile did not
   * get compiled in time (a JVM without C2), and the products were left out.
   */
  static boolean run(CpuMatmul matmul) {
    if (!compileTile()) return false;
    int mr = VectorKernels.MR;
    int nr = VectorKernels.NR;
    // A packed product with a partial row tile, a one-column last panel and two depth slabs; a product on the
    // unpacked tiles; one with fewer rows than a tile.
    int[][] shapes = {{2 * PackedProduct.MAX_ROW_BLOCK - 4, PackedProduct.KC + 44, 8 * nr + 1}, {64, 64, 64},
        {mr - 1, 40, 3 * nr}};
    for (int[] shape : shapes) {
      float[] x = new float[shape[0] * shape[1]];
      float[] y = new float[shape[1] * shape[2]];
      java.util.Arrays.fill(x, 0.5f);
      java.util.Arrays.fill(y, 0.25f);
      for (int i = 0; i < PRODUCTS; i++) matmul.multiplyOnCaller(x, y, shape[0], shape[1], shape[2]);
    }
    return true;
  }

  /** Calls the tile until a call takes the time of compiled code; false if that did not happen in time. */
  private static boolean compileTile() {
    int mr = VectorKernels.MR;
    int nr = VectorKernels.NR;
    float[] a = new float[mr];
    float[] b = new float[nr];
    float[] c = new float[mr * nr];
    for (int i = 0; i < a.length; i++) a[i] = i;
    for (int i = 0; i < b.length; i++) b[i] = 1f / (i + 1);
    long giveUp = System.nanoTime() + TILE_LIMIT_NANOS;
    while (System.nanoTime() < giveUp) {
      long start = System.nanoTime();
      for (int i = 0; i < TILE_BLOCK; i++) VectorKernels.tileDirect(a, 0, 1, b, 0, nr, 1, c, 0, nr, (i & 1) == 0);
      if (System.nanoTime() - start < TILE_BLOCK * COMPILED_NANOS) return true;
    }
    return false;
  }
}
