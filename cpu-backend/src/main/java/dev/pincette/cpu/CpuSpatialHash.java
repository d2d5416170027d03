package dev.pincette.cpu;

import dev.pincette.kernels.CellKeys;
import dev.pincette.kernels.SpatialOp;
import dev.pincette.spi.HostResident;
import dev.pincette.spi.SpatialIndex;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.IntStream;

/**
 * Spatial hash on the CPU. An open-addressing table maps each occupied cell key to a slice of {@code members}
 * (start, count, capacity); the slices have slack so that {@link #update} moves only the points whose cell changed.
 * Build is parallel: keys, concurrent insertion, a prefix sum over cells, a parallel scatter.
 *
 * <p>Queries hold the read lock, {@code update} the write lock: concurrent queries, updates in between.
 */
final class CpuSpatialHash implements SpatialIndex {
  private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
  private static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);
  /** Points per parallel task in build and all-points search. */
  private static final int CHUNK = 4096;
  /** Fraction of points that may change cells before an update rebuilds instead of moving them. */
  private static final double REBUILD_FRACTION = 0.25;

  private final ForkJoinPool pool;
  /** Whether all-points searches scan candidates with the Vector API. */
  private final boolean vector;
  private final int dims;
  private final double cellSize;
  private final int size;
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

  // Guarded by lock: the whole structure is replaced or edited only under the write lock.
  private float[] positions;
  private long[] pointKey;
  private int[] where;
  private long[] tableKeys;
  private int[] cellStart;
  private int[] cellCount;
  private int[] cellCapacity;
  private int[] members;
  private int membersUsed;
  private int wasted;
  private int occupiedCells;
  /** Sorted view for all-points searches, built on first use after each change; null when stale. */
  private volatile CellSweep sweep;
  /** {@link #memberPositions()}: null when stale. */
  private volatile float[] memberXyz;

  CpuSpatialHash(ForkJoinPool pool, float[] positions, int dims, float cellSize, boolean vector) {
    this.pool = pool;
    this.vector = vector;
    this.dims = dims;
    this.cellSize = cellSize;
    this.size = positions.length / dims;
    rebuild(positions);
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public int dims() {
    return dims;
  }

  private void rebuild(float[] newPositions) {
    positions = newPositions;
    long[] keys = new long[size];
    parallel(size, (from, to) -> {
      for (int i = from; i < to; i++) keys[i] = CellKeys.keyOf(newPositions, dims, i, cellSize);
    });
    int capacity = tableCapacity(keys);
    long[] table = new long[capacity];
    Arrays.fill(table, CellKeys.EMPTY);
    int[] slotOfPoint = new int[size];
    int[] counts = new int[capacity];
    parallel(size, (from, to) -> {
      for (int i = from; i < to; i++) {
        int slot = insertConcurrent(table, keys[i]);
        slotOfPoint[i] = slot;
        INTS.getAndAdd(counts, slot, 1);
      }
    });
    int[] start = new int[capacity];
    int[] cap = new int[capacity];
    int used = 0, cells = 0;
    for (int s = 0; s < capacity; s++) {
      start[s] = used;
      if (counts[s] > 0) {
        cap[s] = counts[s] + slack(counts[s]);
        cells++;
      }
      used += cap[s];
    }
    int[] newMembers = new int[Math.max(used, 1)];
    int[] fill = new int[capacity];
    int[] newWhere = new int[size];
    parallel(size, (from, to) -> {
      for (int i = from; i < to; i++) {
        int slot = slotOfPoint[i];
        int at = start[slot] + (int) INTS.getAndAdd(fill, slot, 1);
        newMembers[at] = i;
        newWhere[i] = at;
      }
    });
    pointKey = keys;
    where = newWhere;
    tableKeys = table;
    cellStart = start;
    cellCount = counts;
    cellCapacity = cap;
    members = newMembers;
    membersUsed = used;
    wasted = 0;
    occupiedCells = cells;
    sweep = null;
    memberXyz = null;
  }

  /**
   * Table slots: a power of two at least twice the cells that can be occupied, which are at most the points and at
   * most the cells of the box around them. Uniform clouds have about one occupied cell per five points: a table sized
   * by the points alone was four times larger than needed, and building 1M points spent its time in cache misses.
   */
  private int tableCapacity(long[] keys) {
    if (size == 0) return 16;
    long[][] box = new long[(size + CHUNK - 1) / CHUNK][];
    parallel(size, (from, to) -> {
      long[] b = {Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE};
      for (int i = from; i < to; i++) {
        for (int d = 0; d < dims; d++) {
          long c = CellKeys.coord(keys[i], d, dims);
          b[d] = Math.min(b[d], c);
          b[3 + d] = Math.max(b[3 + d], c);
        }
      }
      box[from / CHUNK] = b;
    });
    double boxCells = 1;  // up to 2^63 in 3D: a double, not a long, holds the product
    for (int d = 0; d < dims; d++) {
      long lo = Long.MAX_VALUE, hi = Long.MIN_VALUE;
      for (long[] b : box) {
        if (b == null) continue;
        lo = Math.min(lo, b[d]);
        hi = Math.max(hi, b[3 + d]);
      }
      boxCells *= Math.max(1, hi - lo + 1);
    }
    int cells = (int) Math.min(size, boxCells);
    if (cells > 1 << 29) {
      throw new IllegalArgumentException("the CPU spatial hash holds at most 2^29 occupied cells; these " + size
          + " points may occupy " + cells);
    }
    return Integer.highestOneBit(Math.max(16, cells) * 2 - 1) << 1;
  }

  private static int slack(int count) {
    return Math.max(2, count / 4);
  }

  private static int insertConcurrent(long[] table, long key) {
    int mask = table.length - 1;
    for (int slot = CellKeys.hash(key) & mask; ; slot = (slot + 1) & mask) {
      long seen = (long) LONGS.getVolatile(table, slot);
      if (seen == key) return slot;
      if (seen == CellKeys.EMPTY) {
        long witness = (long) LONGS.compareAndExchange(table, slot, CellKeys.EMPTY, key);
        if (witness == CellKeys.EMPTY || witness == key) return slot;
      }
    }
  }

  /** Slot of {@code key}, or −1. */
  private int find(long key) {
    long[] table = tableKeys;
    int mask = table.length - 1;
    for (int slot = CellKeys.hash(key) & mask; ; slot = (slot + 1) & mask) {
      long seen = table[slot];
      if (seen == key) return slot;
      if (seen == CellKeys.EMPTY) return -1;
    }
  }

  @Override
  public int[] query(float[] center, float radius) {
    lock.readLock().lock();
    try {
      IntBuffer out = new IntBuffer(16);
      collect(center, radius, -1, out);
      int[] result = out.toArray();
      Arrays.sort(result);
      return result;
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Counts every point within {@code radius} of {@code center}, except {@code self}, and appends them to {@code out}
   * (unless null) in no particular order.
   */
  private int collect(float[] center, float radius, int self, IntBuffer out) {
    return collect(center, radius, self, out, null);
  }

  /** {@link #collect}, reading candidates from {@code byMember} (see {@link #memberPositions}) unless it is null. */
  private int collect(float[] center, float radius, int self, IntBuffer out, float[] byMember) {
    int found = 0;
    double r2 = (double) radius * radius;
    long[] lo = new long[3];
    long[] hi = new long[3];
    long cells = 1;
    for (int d = 0; d < dims; d++) {
      lo[d] = CellKeys.cell(Math.nextDown((double) center[d] - radius), cellSize, dims);
      hi[d] = CellKeys.cell(Math.nextUp((double) center[d] + radius), cellSize, dims);
      long span = hi[d] - lo[d] + 1;
      cells = span > Integer.MAX_VALUE || cells > Integer.MAX_VALUE ? Long.MAX_VALUE : cells * span;
    }
    if (cells > occupiedCells) {
      for (int i = 0; i < size; i++) {
        if (i != self && within(i, center, r2)) {
          found++;
          if (out != null) out.add(i);
        }
      }
      return found;
    }
    long zLo = dims == 3 ? lo[2] : 0, zHi = dims == 3 ? hi[2] : 0;
    for (long cz = zLo; cz <= zHi; cz++) {
      for (long cy = lo[1]; cy <= hi[1]; cy++) {
        for (long cx = lo[0]; cx <= hi[0]; cx++) {
          int slot = find(CellKeys.pack(cx, cy, cz, dims));
          if (slot < 0) continue;
          int from = cellStart[slot], to = from + cellCount[slot];
          for (int m = from; m < to; m++) {
            int j = members[m];
            if (j != self && (byMember == null ? within(j, center, r2) : within(byMember, m, center, r2))) {
              found++;
              if (out != null) out.add(j);
            }
          }
        }
      }
    }
    return found;
  }

  /** The distance test of {@code SpatialOp.distanceSquared}, inlined, for the point at {@code at} of {@code xyz}. */
  private boolean within(float[] xyz, int at, float[] center, double r2) {
    int o = at * dims;
    double dx = (double) xyz[o] - center[0];
    double dy = (double) xyz[o + 1] - center[1];
    double s = dx * dx + dy * dy;
    if (dims == 3) {
      double dz = (double) xyz[o + 2] - center[2];
      s += dz * dz;
    }
    return s <= r2;
  }

  /** The distance test for point {@code i}. */
  private boolean within(int i, float[] center, double r2) {
    return within(positions, i, center, r2);
  }

  @Override
  public Csr neighborsWithin(float radius) {
    lock.readLock().lock();
    try {
      Csr fast = sweep().neighborsWithin(pool, radius, size);
      if (fast != null) return fast;
      return search(size, i -> i, i -> radius);
    } finally {
      lock.readLock().unlock();
    }
  }

  @Override
  public Csr neighborsWithin(int[] points, float[] radii) {
    lock.readLock().lock();
    try {
      return search(points.length, q -> points[q], q -> radii[q]);
    } finally {
      lock.readLock().unlock();
    }
  }

  @Override
  public int[] neighborCounts(float radius) {
    lock.readLock().lock();
    try {
      int[] swept = sweep().neighborCounts(pool, radius, size);
      if (swept != null) return swept;
      int[] counts = new int[size];
      int[] order = cellOrder(size, i -> i);
      float[] byMember = memberPositions();
      int chunks = Math.max(1, (size + CHUNK - 1) / CHUNK);
      pool.submit(() -> IntStream.range(0, chunks).parallel().forEach(c -> {
        float[] center = new float[dims];
        for (int p = c * CHUNK, end = Math.min(size, (c + 1) * CHUNK); p < end; p++) {
          int i = order[p];
          System.arraycopy(positions, i * dims, center, 0, dims);
          counts[i] = collect(center, radius, i, null, byMember);
        }
      })).join();
      return counts;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Streams the pairs point by point under the read lock: {@code consumer} must not update this map. */
  @Override
  public void forEachPair(float radius, dev.pincette.spatial.PairConsumer consumer) {
    lock.readLock().lock();
    try {
      IntBuffer out = new IntBuffer(64);
      float[] center = new float[dims];
      float[] byMember = memberPositions();
      for (int i = 0; i < size; i++) {
        System.arraycopy(positions, i * dims, center, 0, dims);
        out.clear();
        collect(center, radius, i, out, byMember);
        out.sortTail(0);
        for (int p = 0; p < out.size(); p++) {
          int j = out.get(p);
          if (j > i) consumer.accept(i, j);
        }
      }
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * The neighbours of {@code rows} points, row {@code q} being point {@code pointOf(q)} (each point at most once)
   * within {@code radiusOf(q)}, searched point by point in parallel; callers hold the read lock. The points are
   * visited cell by cell, so consecutive searches touch the same cells while they are in cache.
   */
  private Csr search(int rows, java.util.function.IntUnaryOperator pointOf,
      java.util.function.IntToDoubleFunction radiusOf) {
    int[] order = cellOrder(rows, pointOf);
    float[] byMember = memberPositions();
    int chunks = Math.max(1, (rows + CHUNK - 1) / CHUNK);
    int[][] chunkIndices = new int[chunks][];
    int[][] chunkStarts = new int[chunks][];
    int[] counts = new int[rows];
    pool.submit(() -> IntStream.range(0, chunks).parallel().forEach(c -> {
      IntBuffer out = new IntBuffer(CHUNK * 8);
      float[] center = new float[dims];
      int first = c * CHUNK, end = Math.min(rows, first + CHUNK);
      int[] starts = new int[end - first];
      for (int p = first; p < end; p++) {
        int q = order[p];
        int i = pointOf.applyAsInt(q);
        System.arraycopy(positions, i * dims, center, 0, dims);
        int before = out.size();
        starts[p - first] = before;
        collect(center, (float) radiusOf.applyAsDouble(q), i, out, byMember);
        out.sortTail(before);
        counts[q] = out.size() - before;
      }
      chunkIndices[c] = out.toArray();
      chunkStarts[c] = starts;
    })).join();
    int[] offsets = SpatialOp.offsets(counts);
    int[] indices = new int[offsets[rows]];
    pool.submit(() -> IntStream.range(0, chunks).parallel().forEach(c -> {
      for (int p = 0; p < chunkStarts[c].length; p++) {
        int q = order[c * CHUNK + p];
        System.arraycopy(chunkIndices[c], chunkStarts[c][p], indices, offsets[q], counts[q]);
      }
    })).join();
    return new Csr(offsets, indices);
  }

  /** The rows ordered by the cell of their point (cells in table order); callers hold the read lock. */
  private int[] cellOrder(int rows, java.util.function.IntUnaryOperator pointOf) {
    int[] rowOfPoint = new int[size];
    Arrays.fill(rowOfPoint, -1);
    for (int q = 0; q < rows; q++) rowOfPoint[pointOf.applyAsInt(q)] = q;
    int[] order = new int[rows];
    int k = 0;
    for (int slot = 0; slot < cellCount.length; slot++) {
      for (int m = cellStart[slot], end = m + cellCount[slot]; m < end; m++) {
        int q = rowOfPoint[members[m]];
        if (q >= 0) order[k++] = q;
      }
    }
    return order;
  }

  /**
   * The positions in the order of {@link #members} (entry {@code m} is point {@code members[m]}), for searches over
   * every point: each cell's candidates are then read from one place instead of gathered. Built on first use after
   * each change, like {@link #sweep()}; callers hold the read lock.
   */
  private float[] memberPositions() {
    float[] byMember = memberXyz;
    if (byMember == null) {
      synchronized (this) {
        byMember = memberXyz;
        if (byMember == null) {
          float[] xyz = positions;
          int[] m = members;
          float[] built = new float[Math.max(1, membersUsed) * dims];
          parallel(membersUsed, (from, to) -> {
            for (int at = from; at < to; at++) System.arraycopy(xyz, m[at] * dims, built, at * dims, dims);
          });
          memberXyz = byMember = built;
        }
      }
    }
    return byMember;
  }

  /** The sorted view of the current state; callers hold the read lock, so the state cannot change meanwhile. */
  private CellSweep sweep() {
    CellSweep s = sweep;
    if (s == null) {
      synchronized (this) {
        s = sweep;
        if (s == null) {
          sweep = s = CellSweep.of(pool, dims, cellSize, positions, tableKeys, cellStart, cellCount, members,
              this::find, vector);
        }
      }
    }
    return s;
  }

  @Override
  public float[] positions() {
    lock.readLock().lock();
    try {
      return positions.clone();
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The sorted view's order: cells by key (x fastest), each cell's points by index. */
  @Override
  public ResidentCellOrder cellOrder() {
    if (size == 0) {
      return new ResidentCellOrder(new HostResident("cpu", new float[0]), new HostResident("cpu", new int[0]));
    }
    lock.readLock().lock();
    try {
      CellSweep s = sweep();
      return new ResidentCellOrder(new HostResident("cpu", s.positions().clone()),
          new HostResident("cpu", s.ids().clone()));
    } finally {
      lock.readLock().unlock();
    }
  }

  @Override
  public void update(float[] newPositions) {
    lock.writeLock().lock();
    try {
      sweep = null;
      memberXyz = null;
      if (size == 0) return;
      // One parallel pass finds the points whose cell changed and their new keys, without an array of all keys:
      // with the build at 15 ms for 1M points here, the update's own passes over every point are what it costs.
      int chunks = (size + CHUNK - 1) / CHUNK;
      int[][] movedPoints = new int[chunks][];
      long[][] movedKeys = new long[chunks][];
      parallel(size, (from, to) -> {
        int[] points = new int[16];
        long[] keys = new long[16];
        int count = 0;
        for (int i = from; i < to; i++) {
          long key = CellKeys.keyOf(newPositions, dims, i, cellSize);
          if (key == pointKey[i]) continue;
          if (count == points.length) {
            points = Arrays.copyOf(points, 2 * count);
            keys = Arrays.copyOf(keys, 2 * count);
          }
          points[count] = i;
          keys[count++] = key;
        }
        movedPoints[from / CHUNK] = Arrays.copyOf(points, count);
        movedKeys[from / CHUNK] = Arrays.copyOf(keys, count);
      });
      long moved = 0;
      for (int[] points : movedPoints) moved += points.length;
      if (moved > REBUILD_FRACTION * size) {
        rebuild(newPositions);
        return;
      }
      positions = newPositions;
      for (int c = 0; c < chunks; c++) {
        for (int m = 0; m < movedPoints[c].length; m++) {
          if (!move(movedPoints[c][m], movedKeys[c][m])) {
            rebuild(newPositions);
            return;
          }
        }
      }
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** Moves point {@code i} to the cell {@code key}; false when the table or member array should be rebuilt. */
  private boolean move(int i, long key) {
    int oldSlot = find(pointKey[i]);
    int at = where[i];
    int last = cellStart[oldSlot] + cellCount[oldSlot] - 1;
    int lastPoint = members[last];
    members[at] = lastPoint;
    where[lastPoint] = at;
    cellCount[oldSlot]--;
    pointKey[i] = key;

    int slot = find(key);
    if (slot < 0) {
      if (occupiedCells + 1 > tableKeys.length / 2) return false;
      slot = insertConcurrent(tableKeys, key);
      occupiedCells++;
      relocate(slot, 0, 4);
    } else if (cellCount[slot] == cellCapacity[slot]) {
      relocate(slot, cellCount[slot], 2 * cellCount[slot] + 2);
    }
    if (wasted > size + 64) return false;
    int pos = cellStart[slot] + cellCount[slot]++;
    members[pos] = i;
    where[i] = pos;
    return true;
  }

  /** Gives {@code slot} a fresh slice of {@code capacity} at the end of {@code members}, keeping its points. */
  private void relocate(int slot, int count, int capacity) {
    if (membersUsed + capacity > members.length) {
      members = Arrays.copyOf(members, Math.max(membersUsed + capacity, members.length + members.length / 2));
    }
    int from = cellStart[slot];
    for (int m = 0; m < count; m++) {
      int p = members[from + m];
      members[membersUsed + m] = p;
      where[p] = membersUsed + m;
    }
    wasted += cellCapacity[slot];
    cellStart[slot] = membersUsed;
    cellCapacity[slot] = capacity;
    membersUsed += capacity;
  }

  private interface Range {
    void run(int from, int to);
  }

  private void parallel(int n, Range body) {
    if (n <= CHUNK) {
      body.run(0, n);
      return;
    }
    int chunks = (n + CHUNK - 1) / CHUNK;
    pool.submit(() -> IntStream.range(0, chunks).parallel()
        .forEach(c -> body.run(c * CHUNK, Math.min(n, (c + 1) * CHUNK)))).join();
  }

  @Override
  public void close() {
    // Heap memory only: nothing native to release.
  }

  /** A growable int list without boxing. */
  static final class IntBuffer {
    private int[] data;
    private int size;

    IntBuffer(int capacity) {
      data = new int[Math.max(4, capacity)];
    }

    void add(int v) {
      if (size == data.length) data = Arrays.copyOf(data, size * 2);
      data[size++] = v;
    }

    int size() {
      return size;
    }

    void sortTail(int from) {
      Arrays.sort(data, from, size);
    }

    int[] toArray() {
      return Arrays.copyOf(data, size);
    }

    int get(int index) {
      return data[index];
    }

    void clear() {
      size = 0;
    }
  }
}
