package dev.pincette.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.ForkJoinPool;

/**
 * Float32 matmul on the CPU: packed panels and a register-blocked micro-kernel (Goto/BLIS), ForkJoin over
 * macro-blocks of C; a direct unpacked loop for small shapes, where packing costs more than it saves.
 */
final class CpuMatmul {
  /** Depth of a block of the unpacked paths: {@code KC} rows of B stay in cache while row tiles pass over them. */
  private static final int KC = PackedProduct.KC;

  /** B up to this size is read straight from the caller's array (L2 is 1 MiB per core here). */
  private static final long DIRECT_B_BYTES = 256 * 1024;
  /** Products with at most this many rows skip packing whatever B's size. */
  private static final int DIRECT_MAX_ROWS = 128;

  private final ForkJoinPool pool;
  /** Multiply-adds below which the call runs on the caller's thread. */
  private final long serialBelow;
  private final boolean vector;
  private final int mr;
  private final int nr;
  private final ThreadLocal<PackedProduct.Scratch> scratch;
  private final PackedProduct.Workspace workspace = new PackedProduct.Workspace();

  CpuMatmul(ForkJoinPool pool, long serialBelow, boolean vector) {
    this.pool = pool;
    this.serialBelow = serialBelow;
    this.vector = vector;
    this.mr = vector ? VectorKernels.MR : ScalarKernels.MR;
    this.nr = vector ? VectorKernels.NR : ScalarKernels.NR;
    this.scratch = ThreadLocal.withInitial(() -> new PackedProduct.Scratch(mr, nr));
  }

  float[] multiply(float[] a, float[] b, int m, int k, int n) {
    awaitWarmup(m, k, n);
    return multiply(a, b, m, k, n, pool);
  }

  /** The product computed on the calling thread alone, by the same path and kernels; for the warm-up. */
  float[] multiplyOnCaller(float[] a, float[] b, int m, int k, int n) {
    return multiply(a, b, m, k, n, null);
  }

  /** {@code a · b}, spread over {@code workers} (when not null and the product is large enough) and the caller. */
  private float[] multiply(float[] a, float[] b, int m, int k, int n, ForkJoinPool workers) {
    boolean parallel = workers != null && (long) m * k * n >= serialBelow;
    if (vector && packs(m, k, n)) {
      return new PackedProduct(a, null, b, null, m, k, n, mr, nr, workers == null ? 1 : workers.getParallelism(),
          workspace).run(workers, scratch);
    }
    float[] c = new float[m * n];
    if (m == 0 || n == 0 || k == 0) return c;
    if (!vector) {
      scalarBlocked(a, b, c, m, k, n, parallel);
    } else if (m >= mr && n >= nr && (4L * k * n <= DIRECT_B_BYTES || m <= DIRECT_MAX_ROWS)) {
      directTiles(a, b, c, m, k, n, parallel);
    } else {
      directRows(a, 0, b, 0, c, 0, m, k, n, parallel);
    }
    return c;
  }

  /**
   * {@code c = a · b} on row-major floats in memory segments (a {@code HostMatrix}'s native memory), every element of
   * {@code c} written. Products that take the packed path pack B straight from the segment and copy A's rows out a
   * block at a time; the result is computed in an array and copied into {@code c} in one piece. (Storing each register
   * tile into the segment instead cost 2048² products 59 ms against 51 ms for heap arrays here.) Smaller products go
   * through arrays.
   */
  void multiply(MemorySegment a, MemorySegment b, MemorySegment c, int m, int k, int n) {
    awaitWarmup(m, k, n);
    float[] product = vector && packs(m, k, n)
        ? new PackedProduct(null, a, null, b, m, k, n, mr, nr, pool.getParallelism(), workspace).run(pool, scratch)
        : multiply(a.toArray(ValueLayout.JAVA_FLOAT), b.toArray(ValueLayout.JAVA_FLOAT), m, k, n);
    MemorySegment.copy(product, 0, c, ValueLayout.JAVA_FLOAT, 0, product.length);
  }

  /** A product large enough to run a while on interpreted kernels waits until {@link KernelWarmup} has compiled them. */
  private void awaitWarmup(int m, int k, int n) {
    if (vector && (long) m * k * n >= KernelWarmup.WAIT_FROM) KernelWarmup.awaitIfRunning();
  }

  /**
   * Whether a product takes the packed path: B too large to stream from cache for every row tile, enough rows and
   * depth to pay for packing, and enough work to share between threads.
   */
  boolean packs(int m, int k, int n) {
    if (m < mr || n < nr || k < 16 || (long) m * k * n < serialBelow) return false;
    if (4L * k * n <= DIRECT_B_BYTES || m <= DIRECT_MAX_ROWS) return false;
    return (long) (n + nr - 1) / nr * nr * Math.min(k, KC) <= Integer.MAX_VALUE - 8;
  }

  /**
   * The path without the Vector API: row blocks in parallel, depth blocks of {@code KC} so the touched rows of B stay
   * in cache, and an {@code i-p-j} inner loop that C2's auto-vectoriser turns into SIMD.
   */
  private void scalarBlocked(float[] a, float[] b, float[] c, int m, int k, int n, boolean parallel) {
    int rowsPerTask = Math.max(1, Math.min(m, 16));
    int tasks = (m + rowsPerTask - 1) / rowsPerTask;
    java.util.function.IntConsumer block = t -> {
      int i0 = t * rowsPerTask, i1 = Math.min(m, i0 + rowsPerTask);
      for (int p0 = 0; p0 < k; p0 += KC) {
        int p1 = Math.min(k, p0 + KC);
        for (int i = i0; i < i1; i++) {
          int cRow = i * n;
          for (int p = p0; p < p1; p++) {
            float aip = a[i * k + p];
            int bRow = p * n;
            for (int j = 0; j < n; j++) c[cRow + j] += aip * b[bRow + j];
          }
        }
      }
    };
    if (parallel && tasks > 1 && pool.getParallelism() > 1) {
      ChunkRunner.run(pool, tasks, block);
    } else {
      for (int t = 0; t < tasks; t++) block.accept(t);
    }
  }

  /**
   * Register tiles read straight from A and B: every row tile streams all of B, which is cheap while B sits in L2
   * ({@code DIRECT_B_BYTES}) or when there are few row tiles ({@code DIRECT_MAX_ROWS}), and saves the packing that
   * dominates small and short-wide products (64³, 64×4096·4096×64).
   */
  private void directTiles(float[] a, float[] b, float[] c, int m, int k, int n, boolean parallel) {
    int fullCols = n / nr * nr;
    int colTiles = fullCols / nr;
    int rowTiles = (m + mr - 1) / mr;
    // Depth blocks of KC rows of B (KC·n floats) stay in L2 while every row tile passes over them.
    java.util.function.IntConsumer rowTile = t -> {
      int i = t * mr;
      int rows = Math.min(mr, m - i);
      float[] aRows = a;
      int aOff = i * k;
      float[] cTile = c;
      int cOff = i * n;
      if (rows < mr) {
        // The last, partial row tile: its rows of A padded with zero rows, its rows of C through a scratch tile.
        aRows = new float[mr * k];
        System.arraycopy(a, i * k, aRows, 0, rows * k);
        aOff = 0;
        cTile = new float[mr * n];
        cOff = 0;
      }
      for (int p0 = 0; p0 < k; p0 += KC) {
        int kc = Math.min(KC, k - p0);
        for (int jt = 0; jt < colTiles; jt++) {
          VectorKernels.tileDirect(aRows, aOff + p0, k, b, p0 * n + jt * nr, n, kc, cTile, cOff + jt * nr, n,
              p0 == 0);
        }
      }
      if (cTile != c) {
        for (int r = 0; r < rows; r++) System.arraycopy(cTile, r * n, c, (i + r) * n, fullCols);
      }
      if (fullCols < n) VectorKernels.directBlock(a, b, c, i, i + rows, fullCols, n, k, n);
    };
    if (parallel && rowTiles > 1 && pool.getParallelism() > 1) {
      ChunkRunner.run(pool, rowTiles, rowTile);
    } else {
      for (int t = 0; t < rowTiles; t++) rowTile.accept(t);
    }
  }

  /** {@code count} independent small products, spread over the pool by product. */
  float[] multiplyBatched(float[] a, float[] b, int count, int m, int k, int n) {
    float[] c = new float[count * m * n];
    if (count == 0 || m == 0 || n == 0 || k == 0) return c;
    long workPerItem = (long) m * k * n;
    int itemsPerTask = (int) Math.max(1, Math.min(count, serialBelow / Math.max(1, workPerItem)));
    int tasks = (count + itemsPerTask - 1) / itemsPerTask;
    boolean narrow = vector && n <= VectorKernels.LANES;
    java.util.function.IntConsumer task = t -> {
      int end = Math.min(count, (t + 1) * itemsPerTask);
      if (narrow) {
        VectorKernels.batchedNarrow(a, b, c, t * itemsPerTask, end, m, k, n);
        return;
      }
      for (int item = t * itemsPerTask; item < end; item++) {
        direct(a, item * m * k, b, item * k * n, c, item * m * n, 0, m, k, n);
      }
    };
    if (tasks == 1) task.accept(0);
    else ChunkRunner.run(pool, tasks, task);
    return c;
  }

  private void directRows(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int k, int n,
      boolean parallel) {
    if (!parallel || m == 1) {
      direct(a, aOff, b, bOff, c, cOff, 0, m, k, n);
      return;
    }
    int rowsPerTask = Math.max(1, (int) Math.min(m, serialBelow / Math.max(1L, (long) k * n)));
    int tasks = (m + rowsPerTask - 1) / rowsPerTask;
    ChunkRunner.run(pool, tasks, t ->
        direct(a, aOff, b, bOff, c, cOff, t * rowsPerTask, Math.min(m, (t + 1) * rowsPerTask), k, n));
  }

  private void direct(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int i0, int i1, int k, int n) {
    if (vector) VectorKernels.directRows(a, aOff, b, bOff, c, cOff, i0, i1, k, n);
    else ScalarKernels.directRows(a, aOff, b, bOff, c, cOff, i0, i1, k, n);
  }
}
