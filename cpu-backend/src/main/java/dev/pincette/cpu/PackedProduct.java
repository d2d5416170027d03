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
 * <p>Strips are ordered by column block, then row block, then panel: the threads working at one time share the B
 * panels of one column block ({@link #B_BLOCK_BYTES} of them across every slab, kept in L3) while they pass over all
 * of A, as Goto's NC blocking does.
 *
 * <p>The caller allocates C (the JVM zeroes it, on the caller's thread) while the pool's workers already pack B and
 * compute their first chunk into a buffer of their own, copied into C once it exists; then the caller works through
 * chunks beside them. A is read in place, six row streams per register tile, rather than packed: packing it saved
 * nothing measurable on one core, and unpacked A needs no sharing between threads. The packed slabs are handed back to
 * the caller's {@link Workspace} for the next product, so a steady stream of products allocates only C.
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
  /**
   * Floats of C one chunk covers at most (256 KiB), so they stay in L2 from one depth slab to the next, beside the
   * chunk's rows of A; wide enough that copying those rows (see {@link #CONFLICT_STRIDE}) costs little.
   */
  private static final int CHUNK_FLOATS = 64 * 1024;
  /**
   * Row strides (in bytes) that are a multiple of this map a block of 96 rows onto at least 24 lines of each L2 set
   * used (64 KiB ways: Zen 5's 1 MiB 16-way L2, Ice Lake's 1.25 MiB 20-way), so the rows evict each other between
   * uses. Such an A has its rows copied out per chunk and depth slab, and such a C is computed in a buffer.
   */
  private static final long CONFLICT_STRIDE = 16 << 10;
  /**
   * Bytes of packed B (every slab of a column block) the threads share at one time: 4096³ reads B from L3 once per
   * column block rather than once per chunk, and A once per column block.
   */
  private static final long B_BLOCK_BYTES = 8L << 20;
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
  private final int rowBlocks;
  private final int panels;
  /** Panels of a column block; the last block may have fewer. */
  private final int blockPanels;
  private final int strips;
  /** Chunks, a multiple of the threads where there are strips enough, of strip counts differing by one at most. */
  private final int chunks;
  private final int slabs;
  /** Whether A's rows are copied out per chunk and slab ({@link #CONFLICT_STRIDE}); always so from a segment. */
  private final boolean copiesA;
  /** Whether chunks are computed into a buffer and copied into C at their end ({@link #CONFLICT_STRIDE}). */
  private final boolean buffersC;
  /** Packed B, one array per depth slab, from the workspace or allocated by the thread that takes its first panel. */
  private final AtomicReferenceArray<float[]> packedB;
  private final Workspace workspace;
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
      int nr, int threads, Workspace workspace) {
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
    this.rowBlocks = ceilDiv(m, rowBlock);
    this.strips = rowBlocks * panels;
    this.blockPanels = (int) Math.clamp(B_BLOCK_BYTES / (4L * nr * k), 1, panels);
    int maxStrips = Math.max(1, CHUNK_FLOATS / (rowBlock * nr));
    long wanted = (long) threads * Math.max(CHUNKS_PER_THREAD, ceilDiv(strips, threads * maxStrips));
    this.chunks = (int) Math.min(strips, wanted);
    this.slabs = ceilDiv(k, KC);
    this.copiesA = a == null || 4L * k % CONFLICT_STRIDE == 0;
    this.buffersC = slabs > 1 && 4L * n % CONFLICT_STRIDE == 0;
    this.workspace = workspace;
    float[][] spare = workspace.take();
    this.packedB = new AtomicReferenceArray<>(slabs);
    for (int slab = 0; spare != null && slab < Math.min(slabs, spare.length); slab++) {
      int kc = Math.min(KC, k - slab * KC);
      if (spare[slab] != null && spare[slab].length >= panels * nr * kc) packedB.set(slab, spare[slab]);
    }
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
    float[][] slabArrays = new float[slabs][];
    for (int slab = 0; slab < slabs; slab++) slabArrays[slab] = packedB.get(slab);
    workspace.giveBack(slabArrays);
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
   * Strips {@code [first, last)} through every depth slab, into C or, while the caller is still allocating C (or when
   * {@link #buffersC}), into this thread's buffer, copied into C at the end.
   */
  private void chunk(int first, int last, Scratch scratch) {
    float[] out = c;
    boolean buffered = out == null || buffersC;
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
        int block = rowBlockOf(s);
        int i0 = block * rowBlock;
        int i1 = Math.min(m, i0 + rowBlock);
        if (copiesA && block != blockOfRows) {
          aRows = scratch.rowsOf(a, aSegment, k, i0, i1, pc, kc);
          lda = kc;
        }
        blockOfRows = block;
        int panel = panelOf(s);
        int col = panel * nr;
        int cols = Math.min(nr, n - col);
        int bOff = panel * nr * kc;
        int ldc = buffered ? nr : n;
        for (int i = i0; i < i1; i += mr) {
          int aOff = copiesA ? (i - i0) * kc : i * k + pc;
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

  /** The row block of strip {@code s}: strips run by column block, then row block, then panel. */
  private int rowBlockOf(int s) {
    int stripsPerColumnBlock = rowBlocks * blockPanels;
    int columnBlock = s / stripsPerColumnBlock;
    return (s - columnBlock * stripsPerColumnBlock) / panelsIn(columnBlock);
  }

  /** The B panel (column tile) of strip {@code s}. */
  private int panelOf(int s) {
    int stripsPerColumnBlock = rowBlocks * blockPanels;
    int columnBlock = s / stripsPerColumnBlock;
    return columnBlock * blockPanels + (s - columnBlock * stripsPerColumnBlock) % panelsIn(columnBlock);
  }

  /** Panels of column block {@code columnBlock}: {@link #blockPanels}, fewer for the last. */
  private int panelsIn(int columnBlock) {
    return Math.min(blockPanels, panels - columnBlock * blockPanels);
  }

  /** A chunk computed into a buffer (strip after strip, rows of NR), into C once the caller has allocated it. */
  private void copyOut(float[] buffer, int first, int last) {
    float[] out = awaitResult();
    for (int s = first; s < last; s++) {
      int i0 = rowBlockOf(s) * rowBlock;
      int i1 = Math.min(m, i0 + rowBlock);
      int col = panelOf(s) * nr;
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
    packPanel(slabArray(slab, kc, panel == 0), pc, kc, panel);
    packedPanels.incrementAndGet(slab);
    return true;
  }

  /** The array of {@code slab}: allocated by the thread that took its first panel, awaited by the others. */
  private float[] slabArray(int slab, int kc, boolean allocates) {
    float[] array = packedB.get(slab);
    if (array == null && allocates) {
      array = new float[panels * nr * kc];
      packedB.set(slab, array);
    }
    for (int spins = 0; array == null; array = packedB.get(slab)) pause(spins++);
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

  /**
   * The packed slabs of the last product, kept for the next one (softly: the collector may take them back). A product
   * takes them whole or not at all, so products running at once never share them.
   */
  static final class Workspace {
    private final java.util.concurrent.atomic.AtomicReference<java.lang.ref.SoftReference<float[][]>> spare =
        new java.util.concurrent.atomic.AtomicReference<>();

    float[][] take() {
      java.lang.ref.SoftReference<float[][]> ref = spare.getAndSet(null);
      return ref == null ? null : ref.get();
    }

    void giveBack(float[][] slabs) {
      spare.set(new java.lang.ref.SoftReference<>(slabs));
    }
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

    /**
     * Rows {@code [i0, i1)}, columns {@code [pc, pc+kc)} of row-major {@code array} (or {@code segment} when it is
     * null), as an array with row length kc.
     */
    float[] rowsOf(float[] array, MemorySegment segment, int lda, int i0, int i1, int pc, int kc) {
      if (rows.length < MAX_ROW_BLOCK * KC) rows = new float[MAX_ROW_BLOCK * KC];
      for (int r = 0; r < i1 - i0; r++) {
        if (array != null) {
          System.arraycopy(array, (i0 + r) * lda + pc, rows, r * kc, kc);
        } else {
          MemorySegment.copy(segment, ValueLayout.JAVA_FLOAT, 4L * ((long) (i0 + r) * lda + pc), rows, r * kc, kc);
        }
      }
      return rows;
    }
  }
}
