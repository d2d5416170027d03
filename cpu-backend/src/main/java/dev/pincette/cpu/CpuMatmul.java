package dev.pincette.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;

/**
 * Float32 matmul on the CPU: packed panels and a register-blocked micro-kernel (Goto/BLIS), ForkJoin over
 * macro-blocks of C; a direct unpacked loop for small shapes, where packing costs more than it saves.
 */
final class CpuMatmul {
  /** Depth of a packed block: a {@code KC×NR} B panel (32 KiB at NR=32) stays in L1 across a row panel of A. */
  private static final int KC = 256;
  /** Rows of a packed A block: {@code MC×KC} floats (96 KiB) stay in L2. */
  private static final int MC = 96;
  /** Columns of a packed B block: {@code KC×NC} floats (4 MiB) in L3. */
  private static final int NC = 4096;

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
  private final ThreadLocal<float[]> aBuffers;
  /** Rows of an A block copied out of native memory before packing (see {@link #packA}). */
  private final ThreadLocal<float[]> aRows;

  CpuMatmul(ForkJoinPool pool, long serialBelow, boolean vector) {
    this.pool = pool;
    this.serialBelow = serialBelow;
    this.vector = vector;
    this.mr = vector ? VectorKernels.MR : ScalarKernels.MR;
    this.nr = vector ? VectorKernels.NR : ScalarKernels.NR;
    this.aBuffers = ThreadLocal.withInitial(() -> new float[roundUp(MC, mr) * KC]);
    this.aRows = ThreadLocal.withInitial(() -> new float[MC * KC]);
  }

  float[] multiply(float[] a, float[] b, int m, int k, int n) {
    float[] c = new float[m * n];
    if (m == 0 || n == 0 || k == 0) return c;
    long work = (long) m * k * n;
    if (!vector) {
      scalarBlocked(a, b, c, m, k, n, work >= serialBelow);
      return c;
    }
    if (m >= mr && n >= nr && (4L * k * n <= DIRECT_B_BYTES || m <= DIRECT_MAX_ROWS)) {
      directTiles(a, b, c, m, k, n, work >= serialBelow);
    } else if (m < mr || n < nr || k < 16 || work < serialBelow) {
      directRows(a, 0, b, 0, c, 0, m, k, n, work >= serialBelow);
    } else {
      packed(a, null, b, null, c, m, k, n);
    }
    return c;
  }

  /**
   * {@code c = a · b} on row-major floats in memory segments (a {@code HostMatrix}'s native memory), every element of
   * {@code c} written. Products that take the packed path pack A and B straight from the segments, with no copy of
   * them; the result is computed in an array and copied into {@code c} in one piece. (Storing each register tile into
   * the segment instead cost 2048² products 59 ms against 51 ms for heap arrays here.) Smaller products go through
   * arrays.
   */
  void multiply(MemorySegment a, MemorySegment b, MemorySegment c, int m, int k, int n) {
    long work = (long) m * k * n;
    boolean packs = vector && !(m >= mr && n >= nr && (4L * k * n <= DIRECT_B_BYTES || m <= DIRECT_MAX_ROWS))
        && !(m < mr || n < nr || k < 16 || work < serialBelow);
    float[] product;
    if (packs) {
      product = new float[m * n];
      packed(null, a, null, b, product, m, k, n);
    } else {
      product = multiply(a.toArray(ValueLayout.JAVA_FLOAT), b.toArray(ValueLayout.JAVA_FLOAT), m, k, n);
    }
    MemorySegment.copy(product, 0, c, ValueLayout.JAVA_FLOAT, 0, product.length);
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
      pool.submit(() -> IntStream.range(0, tasks).parallel().forEach(block)).join();
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
      pool.submit(() -> IntStream.range(0, rowTiles).parallel().forEach(rowTile)).join();
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
    Runnable body = () -> IntStream.range(0, tasks).parallel().forEach(t -> {
      int end = Math.min(count, (t + 1) * itemsPerTask);
      if (narrow) {
        VectorKernels.batchedNarrow(a, b, c, t * itemsPerTask, end, m, k, n);
        return;
      }
      for (int item = t * itemsPerTask; item < end; item++) {
        direct(a, item * m * k, b, item * k * n, c, item * m * n, 0, m, k, n);
      }
    });
    if (tasks == 1) body.run();
    else pool.submit(body).join();
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
    pool.submit(() -> IntStream.range(0, tasks).parallel().forEach(t ->
        direct(a, aOff, b, bOff, c, cOff, t * rowsPerTask, Math.min(m, (t + 1) * rowsPerTask), k, n))).join();
  }

  private void direct(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int i0, int i1, int k, int n) {
    if (vector) VectorKernels.directRows(a, aOff, b, bOff, c, cOff, i0, i1, k, n);
    else ScalarKernels.directRows(a, aOff, b, bOff, c, cOff, i0, i1, k, n);
  }

  /** The packed (Goto/BLIS) product; A and B are each an array or, when the array is null, a segment. */
  private void packed(float[] a, MemorySegment aSegment, float[] b, MemorySegment bSegment, float[] c, int m, int k,
      int n) {
    int parallelism = pool.getParallelism();
    for (int jc = 0; jc < n; jc += NC) {
      int nc = Math.min(NC, n - jc);
      int panels = (nc + nr - 1) / nr;
      for (int pc = 0; pc < k; pc += KC) {
        int kc = Math.min(KC, k - pc);
        float[] bp = new float[panels * nr * kc];
        int jcF = jc, pcF = pc;
        boolean first = pc == 0;
        int mBlocks = (m + MC - 1) / MC;
        // Split the columns too when there are fewer row blocks than threads (tall-skinny and short-wide shapes).
        int jSplits = Math.max(1, Math.min(panels, (2 * parallelism + mBlocks - 1) / mBlocks));
        int panelsPerSplit = (panels + jSplits - 1) / jSplits;
        pool.submit(() -> {
          IntStream.range(0, panels).parallel().forEach(jr -> packB(b, bSegment, n, pcF, kc, jcF + jr * nr,
              nc - jr * nr, bp, jr * nr * kc));
          IntStream.range(0, mBlocks * jSplits).parallel().forEach(task -> {
            int ic = (task / jSplits) * MC;
            int split = task % jSplits;
            int mc = Math.min(MC, m - ic);
            float[] ap = aBuffers.get();
            packA(a, aSegment, k, ic, mc, pcF, kc, ap);
            int firstPanel = split * panelsPerSplit;
            int lastPanel = Math.min(panels, firstPanel + panelsPerSplit);
            float[] edge = new float[mr * nr];
            for (int jr = firstPanel; jr < lastPanel; jr++) {
              int col = jcF + jr * nr;
              int cols = Math.min(nr, n - col);
              for (int ir = 0; ir < mc; ir += mr) {
                int rows = Math.min(mr, mc - ir);
                int aOff = ir * kc;
                int bOff = jr * nr * kc;
                if (rows == mr && cols == nr) {
                  micro(ap, aOff, bp, bOff, kc, c, (ic + ir) * n + col, n, first);
                } else {
                  micro(ap, aOff, bp, bOff, kc, edge, 0, nr, true);
                  for (int r = 0; r < rows; r++) {
                    int cRow = (ic + ir + r) * n + col;
                    for (int j = 0; j < cols; j++) {
                      c[cRow + j] = first ? edge[r * nr + j] : c[cRow + j] + edge[r * nr + j];
                    }
                  }
                }
              }
            }
          });
        }).join();
      }
    }
  }

  private void micro(float[] ap, int aOff, float[] bp, int bOff, int kc, float[] c, int cOff, int ldc,
      boolean overwrite) {
    VectorKernels.microKernel(ap, aOff, bp, bOff, kc, c, cOff, ldc, overwrite);
  }

  /**
   * Packs {@code A[ic..ic+mc, pc..pc+kc]} as MR-row panels, each step's MR values together, zero-padded; from
   * {@code a}, or from {@code segment} when {@code a} is null.
   */
  private void packA(float[] a, MemorySegment segment, int lda, int ic, int mc, int pc, int kc, float[] ap) {
    if (a == null) {
      // The block's rows copied out first, one bulk copy per row, rather than a checked segment read per element.
      float[] rows = aRows.get();
      for (int r = 0; r < mc; r++) {
        MemorySegment.copy(segment, ValueLayout.JAVA_FLOAT, 4L * ((long) (ic + r) * lda + pc), rows, r * kc, kc);
      }
      packA(rows, null, kc, 0, mc, 0, kc, ap);
      return;
    }
    int idx = 0;
    for (int ir = 0; ir < mc; ir += mr) {
      int rows = Math.min(mr, mc - ir);
      for (int p = 0; p < kc; p++) {
        int col = pc + p;
        for (int r = 0; r < rows; r++) ap[idx + r] = a[(ic + ir + r) * lda + col];
        for (int r = rows; r < mr; r++) ap[idx + r] = 0f;
        idx += mr;
      }
    }
  }

  /**
   * Packs {@code B[pc..pc+kc, col..col+NR]} as one panel, each step's NR values together, zero-padded; from
   * {@code b}, or from {@code segment} when {@code b} is null.
   */
  private void packB(float[] b, MemorySegment segment, int ldb, int pc, int kc, int col, int colsLeft, float[] bp,
      int off) {
    int cols = Math.min(nr, colsLeft);
    if (b == null && vector && cols == nr) {
      // A row of the panel as two vector loads, rather than a bulk-copy call per 32 floats.
      for (int p = 0; p < kc; p++) {
        VectorKernels.copyRow(segment, 4L * ((long) (pc + p) * ldb + col), bp, off + p * nr);
      }
      return;
    }
    for (int p = 0; p < kc; p++) {
      if (b != null) System.arraycopy(b, (pc + p) * ldb + col, bp, off + p * nr, cols);
      else MemorySegment.copy(segment, ValueLayout.JAVA_FLOAT, 4L * ((long) (pc + p) * ldb + col), bp, off + p * nr,
          cols);
    }
  }

  private static int roundUp(int x, int multiple) {
    return (x + multiple - 1) / multiple * multiple;
  }
}
