package dev.pincette.cpu;

import dev.pincette.kernels.CellKeys;
import dev.pincette.kernels.SpatialOp;
import dev.pincette.spi.SpatialIndex.Csr;
import java.util.Arrays;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;

/**
 * The points sorted by cell key, for the all-points radius search. Keys put x in the low bits, so the cells of one
 * (y, z) row of the search window are consecutive in key order, and while cells are visited in key order each row's
 * start only moves forward: the search walks the sorted arrays like a merge instead of probing the hash table 27
 * times per point, and reads candidate positions contiguously. Immutable; built from a consistent hash state.
 */
final class CellSweep {
  /** Cells per parallel task. */
  private static final int CELLS_PER_TASK = 2048;
  /** Points below which the sweep runs on the caller's thread: on 16 cores, forking cost 1 ms at 1,024 points. */
  private static final int SERIAL_BELOW = 32_768;
  /** Beyond this many cells of half-width the window has too many rows; the caller searches per point instead. */
  static final int MAX_SPAN = 6;

  private final int dims;
  private final double cellSize;
  private final long[] keys;
  private final int[] cellFrom;
  private final int[] ids;
  private final float[] xyz;
  /** Whether candidates are scanned with the Vector API ({@link VectorSweep}). */
  private final boolean vector;

  private CellSweep(int dims, double cellSize, long[] keys, int[] cellFrom, int[] ids, float[] xyz, boolean vector) {
    this.vector = vector;
    this.dims = dims;
    this.cellSize = cellSize;
    this.keys = keys;
    this.cellFrom = cellFrom;
    this.ids = ids;
    this.xyz = xyz;
  }

  /** Sorts the occupied cells of a hash table by key and lays their points out in that order. */
  static CellSweep of(ForkJoinPool pool, int dims, double cellSize, float[] positions, long[] tableKeys,
      int[] cellStart, int[] cellCount, int[] members, java.util.function.LongToIntFunction slotOf, boolean vector) {
    boolean parallel = positions.length / dims >= SERIAL_BELOW;
    long[] keys = run(pool, parallel, () -> stream(tableKeys.length, parallel)
        .filter(s -> tableKeys[s] != CellKeys.EMPTY && cellCount[s] > 0)
        .mapToLong(s -> tableKeys[s]).toArray());
    if (parallel) Arrays.parallelSort(keys);
    else Arrays.sort(keys);
    int cells = keys.length;
    int[] slot = new int[cells];
    int[] cellFrom = new int[cells + 1];
    run(pool, parallel, () -> {
      stream(cells, parallel).forEach(c -> slot[c] = slotOf.applyAsInt(keys[c]));
      return null;
    });
    for (int c = 0; c < cells; c++) cellFrom[c + 1] = cellFrom[c] + cellCount[slot[c]];
    int n = cellFrom[cells];
    int[] ids = new int[n];
    float[] xyz = new float[n * dims];
    run(pool, parallel, () -> {
      stream(cells, parallel).forEach(c -> {
        int from = cellStart[slot[c]];
        for (int m = 0, at = cellFrom[c]; at < cellFrom[c + 1]; m++, at++) {
          int id = members[from + m];
          ids[at] = id;
          System.arraycopy(positions, id * dims, xyz, at * dims, dims);
        }
      });
      return null;
    });
    return new CellSweep(dims, cellSize, keys, cellFrom, ids, xyz, vector);
  }

  /** The points in sweep order (do not modify). */
  int[] ids() {
    return ids;
  }

  /** Their positions in that order (do not modify). */
  float[] positions() {
    return xyz;
  }

  private static IntStream stream(int n, boolean parallel) {
    return parallel ? IntStream.range(0, n).parallel() : IntStream.range(0, n);
  }

  /** Runs {@code body} in the pool when parallel (so parallel streams use its workers), else on this thread. */
  private static <T> T run(ForkJoinPool pool, boolean parallel, java.util.concurrent.Callable<T> body) {
    if (parallel) return pool.submit(body).join();
    try {
      return body.call();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Every point's neighbours within {@code radius}, ascending, or null when the radius spans too many cells. */
  Csr neighborsWithin(ForkJoinPool pool, float radius, int size) {
    Chunk[] chunks = searchAll(pool, radius, size, false);
    if (chunks == null) return null;
    boolean parallel = size >= SERIAL_BELOW;
    int tasks = chunks.length;
    int[] counts = counts(chunks, size);
    int[] offsets = SpatialOp.offsets(counts);
    int[] indices = new int[offsets[size]];
    run(pool, parallel, () -> {
      stream(tasks, parallel).forEach(t -> {
        Chunk c = chunks[t];
        for (int p = 0; p < c.points; p++) {
          System.arraycopy(c.data, c.start[p], indices, offsets[c.id[p]], c.count[p]);
        }
      });
      return null;
    });
    return new Csr(offsets, indices);
  }

  /** How many other points lie within {@code radius} of each point, or null when the radius spans too many cells. */
  int[] neighborCounts(ForkJoinPool pool, float radius, int size) {
    Chunk[] chunks = searchAll(pool, radius, size, true);
    return chunks == null ? null : counts(chunks, size);
  }

  /** Every cell's points searched, in parallel tasks of cells; null when the radius spans too many cells. */
  private Chunk[] searchAll(ForkJoinPool pool, float radius, int size, boolean countOnly) {
    long span = (long) Math.ceil(radius / cellSize);
    if (span > MAX_SPAN) return null;
    int reach = (int) span + 1;
    int cells = keys.length;
    int tasks = Math.max(1, (cells + CELLS_PER_TASK - 1) / CELLS_PER_TASK);
    Chunk[] chunks = new Chunk[tasks];
    boolean parallel = size >= SERIAL_BELOW;
    run(pool, parallel, () -> {
      stream(tasks, parallel).forEach(t -> chunks[t] = search(t * CELLS_PER_TASK,
          Math.min(cells, (t + 1) * CELLS_PER_TASK), radius, reach, countOnly));
      return null;
    });
    return chunks;
  }

  private static int[] counts(Chunk[] chunks, int size) {
    int[] counts = new int[size];
    for (Chunk c : chunks) {
      for (int p = 0; p < c.points; p++) counts[c.id[p]] = c.count[p];
    }
    return counts;
  }

  /** One task's lists, in sorted-point order, before they are placed by point index. */
  private static final class Chunk {
    int[] id, start, count;
    int points;
    CpuSpatialHash.IntBuffer out;
    int[] data;
  }

  /** The lists of the points of cells {@code firstCell} to {@code endCell}, or with {@code countOnly} their lengths. */
  private Chunk search(int firstCell, int endCell, float radius, int reach, boolean countOnly) {
    double r2 = (double) radius * radius;
    int side = 2 * reach + 1;
    int rows = dims == 3 ? side * side : side;
    int[] rowStart = new int[rows];
    boolean[] rowValid = new boolean[rows];
    long max = CellKeys.maxCell(dims);
    Chunk chunk = new Chunk();
    int points = cellFrom[endCell] - cellFrom[firstCell];
    chunk.id = new int[points];
    chunk.start = new int[points];
    chunk.count = new int[points];
    chunk.out = new CpuSpatialHash.IntBuffer(countOnly ? 256 : points * 24);
    long[] lo = new long[3], hi = new long[3];
    Scratch scratch = new Scratch(vector);
    boolean first = true;
    for (int c = firstCell; c < endCell; c++) {
      long key = keys[c];
      long cx = CellKeys.coord(key, 0, dims), cy = CellKeys.coord(key, 1, dims);
      long cz = dims == 3 ? CellKeys.coord(key, 2, dims) : 0;
      for (int row = 0; row < rows; row++) {
        long ry = cy + (row % side) - reach;
        long rz = dims == 3 ? cz + (row / side) - reach : 0;
        rowValid[row] = ry >= 0 && ry <= max && rz >= 0 && rz <= max;
        if (!rowValid[row]) continue;
        long target = CellKeys.pack(Math.max(0, cx - reach), ry, rz, dims);
        rowStart[row] = first ? lowerBound(target, 0) : advance(rowStart[row], target);
      }
      first = false;
      int span = reach - 1;
      int gathered = gather(c, cx, cy, cz, span, side, rows, rowStart, rowValid, scratch);
      for (int s = cellFrom[c]; s < cellFrom[c + 1]; s++) {
        int o = s * dims;
        boolean inCellWindow = true;
        for (int d = 0; d < dims; d++) {
          lo[d] = CellKeys.cell(Math.nextDown((double) xyz[o + d] - radius), cellSize, dims);
          hi[d] = CellKeys.cell(Math.nextUp((double) xyz[o + d] + radius), cellSize, dims);
          long center = CellKeys.coord(key, d, dims);
          if (lo[d] < center - reach || hi[d] > center + reach) throw new IllegalStateException("window too small");
          inCellWindow &= lo[d] >= center - span && hi[d] <= center + span;
        }
        int before = chunk.out.size();
        if (inCellWindow) {
          scan(s, o, r2, scratch, gathered, chunk.out);
        } else {
          scanRows(s, o, r2, cy, cz, reach, side, rows, rowStart, rowValid, lo, hi, chunk.out);
        }
        int p = chunk.points++;
        chunk.id[p] = ids[s];
        chunk.count[p] = chunk.out.size() - before;
        if (countOnly) {
          chunk.out.clear();
        } else {
          chunk.out.sortTail(before);
          chunk.start[p] = before;
        }
      }
    }
    chunk.data = chunk.out.toArray();
    chunk.out = null;
    return chunk;
  }

  /**
   * Candidates of one cell's window, gathered once and scanned by each of its points: positions (float32 for the
   * vector scan, float64 for the scalar one) and indices.
   */
  private static final class Scratch {
    final boolean vector;
    double[] x, y, z;
    float[] xf, yf, zf;
    int[] sorted = new int[256];
    int[] found = new int[256];

    Scratch(boolean vector) {
      this.vector = vector;
      if (vector) {
        xf = new float[256];
        yf = new float[256];
        zf = new float[256];
      } else {
        x = new double[256];
        y = new double[256];
        z = new double[256];
      }
    }

    void ensure(int n) {
      if (n <= sorted.length) return;
      int cap = Math.max(n, 2 * sorted.length);
      if (vector) {
        xf = Arrays.copyOf(xf, cap);
        yf = Arrays.copyOf(yf, cap);
        zf = Arrays.copyOf(zf, cap);
      } else {
        x = Arrays.copyOf(x, cap);
        y = Arrays.copyOf(y, cap);
        z = Arrays.copyOf(z, cap);
      }
      sorted = Arrays.copyOf(sorted, cap);
      found = new int[cap];
    }
  }

  /** Gathers the points of cells within {@code span} of cell {@code c} in every dimension; returns how many. */
  private int gather(int c, long cx, long cy, long cz, int span, int side, int rows, int[] rowStart,
      boolean[] rowValid, Scratch scratch) {
    int reach = span + 1;
    int n = 0;
    for (int row = 0; row < rows; row++) {
      if (!rowValid[row]) continue;
      long dy = (row % side) - reach, dz = dims == 3 ? (row / side) - reach : 0;
      if (Math.abs(dy) > span || Math.abs(dz) > span) continue;
      long last = CellKeys.pack(Math.min(CellKeys.maxCell(dims), cx + span), cy + dy, cz + dz, dims);
      for (int q = rowStart[row]; q < keys.length && keys[q] <= last; q++) {
        if (CellKeys.coord(keys[q], 0, dims) < cx - span) continue;
        int from = cellFrom[q], to = cellFrom[q + 1];
        scratch.ensure(n + to - from);
        if (scratch.vector) {
          for (int t = from; t < to; t++, n++) {
            scratch.xf[n] = xyz[t * dims];
            scratch.yf[n] = xyz[t * dims + 1];
            scratch.zf[n] = dims == 3 ? xyz[t * dims + 2] : 0;
            scratch.sorted[n] = t;
          }
        } else {
          for (int t = from; t < to; t++, n++) {
            scratch.x[n] = xyz[t * dims];
            scratch.y[n] = xyz[t * dims + 1];
            scratch.z[n] = dims == 3 ? xyz[t * dims + 2] : 0;
            scratch.sorted[n] = t;
          }
        }
      }
    }
    return n;
  }

  private void scan(int s, int o, double r2, Scratch scratch, int n, CpuSpatialHash.IntBuffer out) {
    int[] sorted = scratch.sorted, found = scratch.found;
    int count = 0;
    if (scratch.vector) {
      count = VectorSweep.scan(scratch.xf, scratch.yf, scratch.zf, n, xyz[o], xyz[o + 1], dims == 3 ? xyz[o + 2] : 0,
          r2, sorted, found);
    } else {
      double px = xyz[o], py = xyz[o + 1], pz = dims == 3 ? xyz[o + 2] : 0;
      double[] x = scratch.x, y = scratch.y, z = scratch.z;
      // Branch-free: about one candidate in seven is inside, so a branch here mispredicts often.
      for (int i = 0; i < n; i++) {
        double dx = px - x[i], dy = py - y[i], dz = pz - z[i];
        found[count] = sorted[i];
        count += dx * dx + dy * dy + dz * dz <= r2 ? 1 : 0;
      }
    }
    for (int f = 0; f < count; f++) {
      if (found[f] != s) out.add(ids[found[f]]);
    }
  }

  /** A point whose radius leaves its cell's window (rounding at a cell boundary): row by row, exact bounds. */
  private void scanRows(int s, int o, double r2, long cy, long cz, int reach, int side, int rows, int[] rowStart,
      boolean[] rowValid, long[] lo, long[] hi, CpuSpatialHash.IntBuffer out) {
    for (int row = 0; row < rows; row++) {
      if (!rowValid[row]) continue;
      long ry = cy + (row % side) - reach;
      long rz = dims == 3 ? cz + (row / side) - reach : 0;
      if (ry < lo[1] || ry > hi[1] || (dims == 3 && (rz < lo[2] || rz > hi[2]))) continue;
      long last = CellKeys.pack(hi[0], ry, rz, dims);
      for (int q = rowStart[row]; q < keys.length && keys[q] <= last; q++) {
        if (CellKeys.coord(keys[q], 0, dims) < lo[0]) continue;
        for (int t = cellFrom[q]; t < cellFrom[q + 1]; t++) {
          if (t != s && within(o, t * dims, r2)) out.add(ids[t]);
        }
      }
    }
  }

  private boolean within(int a, int b, double r2) {
    double dx = (double) xyz[a] - xyz[b];
    double dy = (double) xyz[a + 1] - xyz[b + 1];
    double s = dx * dx + dy * dy;
    if (dims == 3) {
      double dz = (double) xyz[a + 2] - xyz[b + 2];
      s += dz * dz;
    }
    return s <= r2;
  }

  /** First index whose key is ≥ {@code target}, searching from {@code from}. */
  private int lowerBound(long target, int from) {
    int lo = from, hi = keys.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (keys[mid] < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Like {@link #lowerBound} from a position known to be at or before the answer: galloping, then binary. */
  private int advance(int from, long target) {
    int step = 1, at = from;
    while (at < keys.length && keys[at] < target) {
      from = at + 1;
      at = from + step;
      step <<= 1;
    }
    return lowerBound(target, from);
  }
}
