package dev.pincette.cpu;

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

  private final ForkJoinPool pool;
  /** Multiply-adds below which the call runs on the caller's thread. */
  private final long serialBelow;
  private final boolean vector;
  private final int mr;
  private final int nr;
  private final ThreadLocal<float[]> aBuffers;

  CpuMatmul(ForkJoinPool pool, long serialBelow, boolean vector) {
    this.pool = pool;
    this.serialBelow = serialBelow;
    this.vector = vector;
    this.mr = vector ? VectorKernels.MR : ScalarKernels.MR;
    this.nr = vector ? VectorKernels.NR : ScalarKernels.NR;
    this.aBuffers = ThreadLocal.withInitial(() -> new float[roundUp(MC, mr) * KC]);
  }

  float[] multiply(float[] a, float[] b, int m, int k, int n) {
    float[] c = new float[m * n];
    if (m == 0 || n == 0 || k == 0) return c;
    long work = (long) m * k * n;
    if (m < mr || n < nr || k < 16 || work < serialBelow) {
      directRows(a, 0, b, 0, c, 0, m, k, n, work >= serialBelow);
    } else {
      packed(a, b, c, m, k, n);
    }
    return c;
  }

  /** {@code count} independent small products, spread over the pool by product. */
  float[] multiplyBatched(float[] a, float[] b, int count, int m, int k, int n) {
    float[] c = new float[count * m * n];
    if (count == 0 || m == 0 || n == 0 || k == 0) return c;
    long workPerItem = (long) m * k * n;
    int itemsPerTask = (int) Math.max(1, Math.min(count, serialBelow / Math.max(1, workPerItem)));
    int tasks = (count + itemsPerTask - 1) / itemsPerTask;
    Runnable body = () -> IntStream.range(0, tasks).parallel().forEach(t -> {
      int end = Math.min(count, (t + 1) * itemsPerTask);
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

  private void packed(float[] a, float[] b, float[] c, int m, int k, int n) {
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
          IntStream.range(0, panels).parallel().forEach(jr -> packB(b, n, pcF, kc, jcF + jr * nr, nc - jr * nr, bp,
              jr * nr * kc));
          IntStream.range(0, mBlocks * jSplits).parallel().forEach(task -> {
            int ic = (task / jSplits) * MC;
            int split = task % jSplits;
            int mc = Math.min(MC, m - ic);
            float[] ap = aBuffers.get();
            packA(a, k, ic, mc, pcF, kc, ap);
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
    if (vector) VectorKernels.microKernel(ap, aOff, bp, bOff, kc, c, cOff, ldc, overwrite);
    else ScalarKernels.microKernel(ap, aOff, bp, bOff, kc, c, cOff, ldc, overwrite);
  }

  /** Packs {@code A[ic..ic+mc, pc..pc+kc]} as MR-row panels, each step's MR values together, zero-padded. */
  private void packA(float[] a, int lda, int ic, int mc, int pc, int kc, float[] ap) {
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

  /** Packs {@code B[pc..pc+kc, col..col+NR]} as one panel, each step's NR values together, zero-padded. */
  private void packB(float[] b, int ldb, int pc, int kc, int col, int colsLeft, float[] bp, int off) {
    int cols = Math.min(nr, colsLeft);
    for (int p = 0; p < kc; p++) {
      System.arraycopy(b, (pc + p) * ldb + col, bp, off + p * nr, cols);
    }
  }

  private static int roundUp(int x, int multiple) {
    return (x + multiple - 1) / multiple * multiple;
  }
}
