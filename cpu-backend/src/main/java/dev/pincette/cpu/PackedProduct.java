package dev.pincette.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * One product on the packed path (Goto/BLIS, with a Vector API register tile). B is packed once, in depth slabs of
 * {@link #KC} rows that every thread shares; C is cut into strips (a block of rows by one B panel), and threads take
 * chunks of consecutive strips from one counter, carrying each chunk through every depth slab before taking the next.
 * So a product is one hand-off to the pool with no barrier: a thread waits only for a B panel that another running
 * thread is packing, and each element of C is summed by one thread in the same order on every call, whichever thread
 * that is (the result is the same bit for bit across calls).
 *
 * <p>The caller allocates C (the JVM zeroes it, on the caller's thread) while the pool's workers already pack B and
 * compute their first chunk into a buffer of their own, copied into C once it exists; then the caller works through
 * chunks beside them. A is read in place, six row streams per register tile, rather than packed: packing it saved
 * nothing measurable on one core, and unpacked A needs no sharing between threads.
 */
final class PackedProduct {
  /** Depth of a slab: a {@code KC×NR} B panel (32 KiB at NR=32) stays in L1 while a block of rows passes over it. */
  static final int KC = 256;
  /** Rows of C a strip covers when there are strips enough: their {@code 96×KC} floats of A stay in L2. */
  static final int MAX_ROW_BLOCK = 96;
  /** Strips per thread below which the row blocks are halved, so every thread has work and the last ones balance. */
  private static final int STRIPS_PER_THREAD = 8;
  /** Chunks per thread at least: a thread the OS holds up leaves the rest of its share to the others. */
  private static final int CHUNKS_PER_THREAD = 4;
  /** Floats of C one chunk covers at most, so they stay in L2 from one depth slab to the next. */
  private static final int CHUNK_FLOATS = 16 * 1024;
  /** Busy waits before a waiting thread yields its core (the thread it waits for may need that core). */
  private static final int SPINS_BEFORE_YIELD = 256;

  private final float[] a;
  private final MemorySegment aSegment;
  private final float[] b;
  private final MemorySegment bSegment;
  private final int m;
  private final int k;
  private final int n;
  private final int mr;
  private final int nr;
  private final int rowBlock;
  private final int panels;
  private final int strips;
  /** Chunks, a multiple of the threads where there are strips enough, of strip counts differing by one at most. */
  private final int chunks;
  private final int slabs;
  /** Packed B, one array per depth slab, allocated by the first thread that packs one of its panels. */
  private final AtomicReferenceArray<float[]> packedB;
  /** Per slab: panels taken by a packing thread, and panels packed (whose writes the increment publishes). */
  private final AtomicIntegerArray takenPanels;
  private final AtomicIntegerArray packedPanels;
  private final AtomicInteger nextChunk = new AtomicInteger();
  /** The result, published by the caller once allocated. */
  private volatile float[] c;
  /** The first failure of any thread, which stops the others' waits. */
  private volatile Throwable failure;

  /**
   * A product of {@code a} (or {@code aSegment} when {@code a} is null) and {@code b} (or {@code bSegment}), planned
   * for {@code threads} threads and an {@code mr×nr} register tile.
   */
  PackedProduct(float[] a, MemorySegment aSegment, float[] b, MemorySegment bSegment, int m, int k, int n, int mr,
      int nr, int threads) {
    this.a = a;
    this.aSegment = aSegment;
    this.b = b;
    this.bSegment = bSegment;
    this.m = m;
    this.k = k;
    this.n = n;
    this.mr = mr;
    this.nr = nr;
    this.panels = ceilDiv(n, nr);
    int rows = MAX_ROW_BLOCK;
    while (rows > mr && (long) ceilDiv(m, rows) * panels < (long) STRIPS_PER_THREAD * threads) rows /= 2;
    this.rowBlock = rows;
    this.strips = ceilDiv(m, rowBlock) * panels;
    int maxStrips = Math.max(1, CHUNK_FLOATS / (rowBlock * nr));
    long wanted = (long) threads * Math.max(CHUNKS_PER_THREAD, ceilDiv(strips, threads * maxStrips));
    this.chunks = (int) Math.min(strips, wanted);
    this.slabs = ceilDiv(k, KC);
    this.packedB = new AtomicReferenceArray<>(slabs);
    this.takenPanels = new AtomicIntegerArray(slabs);
    this.packedPanels = new AtomicIntegerArray(slabs);
  }

  /** Rows per strip, for tests. */
  int rowBlock() {
    return rowBlock;
  }

  /** Chunks the product is cut into. */
  int chunks() {
    return chunks;
  }

  /**
   * Computes the product with the caller and up to {@code pool.getParallelism() - 1} of the pool's workers (none when
   * {@code pool} is null), and returns it as a new array; {@code scratch} gives each thread its own buffers.
   */
  float[] run(ForkJoinPool pool, ThreadLocal<Scratch> scratch) {
    int helpers = pool == null ? 0 : Math.min(pool.getParallelism(), chunks) - 1;
    ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[Math.max(0, helpers)];
    for (int i = 0; i < tasks.length; i++) tasks[i] = pool.submit(() -> work(scratch.get()));
    try {
      c = new float[m * n];
      work(scratch.get());
    } catch (Throwable t) {
      fail(t);
    }
    for (ForkJoinTask<?> task : tasks) task.quietlyJoin();
    Throwable t = failure;
    if (t instanceof RuntimeException e) throw e;
    if (t instanceof Error e) throw e;
    if (t != null) throw new IllegalStateException(t);
    return c;
  }

  /** Takes chunks until none is left; a failure is recorded for the caller rather than thrown. */
  private void work(Scratch scratch) {
    try {
      int chunk;
      while (failure == null && (chunk = nextChunk.getAndIncrement()) < chunks) {
        chunk((int) ((long) chunk * strips / chunks), (int) ((long) (chunk + 1) * strips / chunks), scratch);
      }
    } catch (Stopped stopped) {
      // Another thread failed; the caller reports its failure.
    } catch (Throwable t) {
      fail(t);
    }
  }

  private void fail(Throwable t) {
    if (failure == null) failure = t;
  }

  /**
   * Strips {@code [first, last)} through every depth slab, into C or, while the caller is still allocating C, into
   * this thread's buffer, copied into C at the end.
   */
  private void chunk(int first, int last, Scratch scratch) {
    float[] out = c;
    boolean buffered = out == null;
    if (buffered) out = scratch.chunkBuffer(rowBlock * nr * (last - first));
    for (int slab = 0; slab < slabs; slab++) {
      int pc = slab * KC;
      int kc = Math.min(KC, k - pc);
      float[] bp = packed(slab);
      boolean overwrite = slab == 0;
      int blockOfRows = -1;
      float[] aRows = a;
      int lda = k;
      for (int s = first; s < last; s++) {
        int block = s / panels;
        int i0 = block * rowBlock;
        int i1 = Math.min(m, i0 + rowBlock);
        if (a == null && block != blockOfRows) {
          aRows = scratch.rowsOf(aSegment, k, i0, i1, pc, kc);
          lda = kc;
        }
        blockOfRows = block;
        int col = (s % panels) * nr;
        int cols = Math.min(nr, n - col);
        int bOff = (s % panels) * nr * kc;
        int ldc = buffered ? nr : n;
        for (int i = i0; i < i1; i += mr) {
          int aOff = a == null ? (i - i0) * kc : i * k + pc;
          int cOff = buffered ? ((s - first) * rowBlock + i - i0) * nr : i * n + col;
          int rows = Math.min(mr, i1 - i);
          if (rows == mr && cols == nr) {
            VectorKernels.tileDirect(aRows, aOff, lda, bp, bOff, nr, kc, out, cOff, ldc, overwrite);
          } else {
            edgeTile(aRows, aOff, lda, rows, bp, bOff, kc, out, cOff, ldc, cols, overwrite, scratch);
          }
        }
      }
    }
    if (buffered) copyOut(out, first, last);
  }

  /** A chunk computed into a buffer (strip after strip, rows of NR), into C once the caller has allocated it. */
  private void copyOut(float[] buffer, int first, int last) {
    float[] out = awaitResult();
    for (int s = first; s < last; s++) {
      int i0 = (s / panels) * rowBlock;
      int i1 = Math.min(m, i0 + rowBlock);
      int col = (s % panels) * nr;
      int cols = Math.min(nr, n - col);
      for (int i = i0; i < i1; i++) {
        System.arraycopy(buffer, ((s - first) * rowBlock + i - i0) * nr, out, i * n + col, cols);
      }
    }
  }

  /** A tile with fewer than MR rows or NR columns: through a padded copy of its rows and a scratch tile. */
  private void edgeTile(float[] aRows, int aOff, int lda, int rows, float[] bp, int bOff, int kc, float[] out,
      int cOff, int ldc, int cols, boolean overwrite, Scratch scratch) {
    float[] tileA = aRows;
    int tileOff = aOff;
    int tileLda = lda;
    if (rows < mr) {
      tileA = scratch.edgeRows;
      for (int r = 0; r < rows; r++) System.arraycopy(aRows, aOff + r * lda, tileA, r * kc, kc);
      java.util.Arrays.fill(tileA, rows * kc, mr * kc, 0f);
      tileOff = 0;
      tileLda = kc;
    }
    float[] tile = scratch.tile;
    VectorKernels.tileDirect(tileA, tileOff, tileLda, bp, bOff, nr, kc, tile, 0, nr, true);
    for (int r = 0; r < rows; r++) {
      int row = cOff + r * ldc;
      for (int j = 0; j < cols; j++) out[row + j] = overwrite ? tile[r * nr + j] : out[row + j] + tile[r * nr + j];
    }
  }

  /** The result array; while the caller is still allocating it, packs B ahead. */
  private float[] awaitResult() {
    float[] out = c;
    int slab = 0;
    for (int spins = 0; out == null; out = c) {
      if (slab < slabs && packOnePanel(slab)) continue;
      if (slab < slabs) {
        slab++;
        continue;
      }
      pause(spins++);
    }
    return out;
  }

  /** Slab {@code slab} of packed B, once every panel of it is packed; packs untaken panels meanwhile. */
  private float[] packed(int slab) {
    if (packedPanels.get(slab) < panels) {
      while (packOnePanel(slab)) {
        // Every panel this thread takes is one fewer to wait for.
      }
      for (int spins = 0; packedPanels.get(slab) < panels; ) pause(spins++);
    }
    return packedB.get(slab);
  }

  /** Takes and packs one panel of {@code slab}; false when none is left to take. */
  private boolean packOnePanel(int slab) {
    if (takenPanels.get(slab) >= panels) return false;
    int panel = takenPanels.getAndIncrement(slab);
    if (panel >= panels) return false;
    int pc = slab * KC;
    int kc = Math.min(KC, k - pc);
    packPanel(slabArray(slab, kc), pc, kc, panel);
    packedPanels.incrementAndGet(slab);
    return true;
  }

  private float[] slabArray(int slab, int kc) {
    float[] array = packedB.get(slab);
    if (array == null) {
      float[] fresh = new float[panels * nr * kc];
      array = packedB.compareAndSet(slab, null, fresh) ? fresh : packedB.get(slab);
    }
    return array;
  }

  /** Packs {@code B[pc..pc+kc, col..col+NR]} as one panel, each step's NR values together, zero-padded. */
  private void packPanel(float[] bp, int pc, int kc, int panel) {
    int col = panel * nr;
    int cols = Math.min(nr, n - col);
    int off = panel * nr * kc;
    if (b == null && cols == nr) {
      // A row of the panel as two vector loads, rather than a bulk-copy call per 32 floats.
      for (int p = 0; p < kc; p++) VectorKernels.copyRow(bSegment, 4L * ((long) (pc + p) * n + col), bp, off + p * nr);
      return;
    }
    for (int p = 0; p < kc; p++) {
      if (b != null) {
        System.arraycopy(b, (pc + p) * n + col, bp, off + p * nr, cols);
      } else {
        MemorySegment.copy(bSegment, ValueLayout.JAVA_FLOAT, 4L * ((long) (pc + p) * n + col), bp, off + p * nr,
            cols);
      }
      if (cols < nr) java.util.Arrays.fill(bp, off + p * nr + cols, off + (p + 1) * nr, 0f);
    }
  }

  private void pause(int spins) {
    if (failure != null) throw new Stopped();
    if (spins < SPINS_BEFORE_YIELD) Thread.onSpinWait();
    else Thread.yield();
  }

  private static int ceilDiv(int x, int y) {
    return (x + y - 1) / y;
  }

  /** Ends a thread's work once another thread of the product has failed. */
  private static final class Stopped extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Stopped() {
      super(null, null, false, false);
    }
  }

  /** One thread's buffers, kept across products. */
  static final class Scratch {
    final float[] edgeRows;
    final float[] tile;
    private float[] rows = new float[0];
    private float[] chunk = new float[0];

    Scratch(int mr, int nr) {
      this.edgeRows = new float[mr * KC];
      this.tile = new float[mr * nr];
    }

    /** A buffer for a chunk of C of {@code floats} floats at least. */
    float[] chunkBuffer(int floats) {
      if (chunk.length < floats) chunk = new float[Math.max(floats, CHUNK_FLOATS)];
      return chunk;
    }

    /** Rows {@code [i0, i1)}, columns {@code [pc, pc+kc)} of a row-major segment, as an array with row length kc. */
    float[] rowsOf(MemorySegment segment, int lda, int i0, int i1, int pc, int kc) {
      if (rows.length < MAX_ROW_BLOCK * KC) rows = new float[MAX_ROW_BLOCK * KC];
      for (int r = 0; r < i1 - i0; r++) {
        MemorySegment.copy(segment, ValueLayout.JAVA_FLOAT, 4L * ((long) (i0 + r) * lda + pc), rows, r * kc, kc);
      }
      return rows;
    }
  }
}
