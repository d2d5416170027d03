package dev.pincette.spatial;

import dev.pincette.internal.CallCost;
import dev.pincette.DeviceArray;
import dev.pincette.internal.Dispatcher;
import dev.pincette.internal.ResidentHandles;
import dev.pincette.kernels.CellKeys;
import dev.pincette.kernels.SpatialOp;
import dev.pincette.spi.BackendException;
import dev.pincette.spi.BackendRefusedException;
import dev.pincette.spi.Resident;
import dev.pincette.spi.SpatialIndex;

/**
 * A spatial hash map of points in 2 or 3 dimensions for radius queries among moving points. Cells are hashed, so the
 * domain is unbounded; a query visits only the cells its radius touches. Safe to query from many threads at once;
 * {@link #update} waits for running queries and later queries see the new positions.
 *
 * <pre>{@code
 * try (SpatialHashMap map = SpatialHashMap.build(xyz, 3, 0.1f)) {
 *   int[] near = map.query(new float[] {0, 0, 0}, 0.25f);
 *   Neighbors all = map.neighborsWithin(0.1f);
 *   int[] counts = map.neighborCounts(0.1f);
 *   map.forEachPair(0.1f, (i, j) -> springs.add(i, j));
 *   map.update(movedXyz);
 * }
 * // Radii spanning orders of magnitude: one level per doubling of the cell size.
 * try (SpatialHashMap map = SpatialHashMap.forRadii(xyz, 3, 0.001f, 0.1f)) {
 *   Neighbors each = map.neighborsWithin(smoothingLengths);
 * }
 * }</pre>
 *
 * A cell size near the typical query radius is fastest. A map with several levels (cell sizes) answers each radius
 * from the level with the smallest cells at least that radius, so small and large radii both stay fast. Cells are
 * keyed by 2^21 cells per axis in 3D (2^31 in 2D) around the origin: points farther out share the boundary cells,
 * which stays exact but slow, and the map logs a warning when it sees them.
 *
 * <p>After {@link #close()} every search and update throws {@link IllegalStateException}; closing again does nothing.
 */
public final class SpatialHashMap implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("dev.pincette");

  /** One cell size's index; replaced by a CPU index if its device fails (under the map's lock). */
  private static final class Level {
    final float cellSize;
    volatile SpatialIndex index;
    volatile String backend;

    Level(float cellSize, SpatialIndex index, String backend) {
      this.cellSize = cellSize;
      this.index = index;
      this.backend = backend;
    }
  }

  /** Levels {@link #forRadii} makes at most: one per doubling of the cell size. */
  static final int MAX_LEVELS = 40;

  private final Level[] levels;
  private final int dims;
  private final int size;
  /**
   * The latest positions (a private copy): to rebuild on the CPU if a device fails or refuses a search. Null after an
   * update from resident data until {@link #hostPositions()} reads them back.
   */
  private volatile float[] positions;
  /** Set once by {@link #close()}, under the map's monitor; every search and update checks it. */
  private volatile boolean closed;
  /** How deep the calling thread is in {@link #forEachPair} of this map, whose consumers must not update it. */
  private final ThreadLocal<int[]> listingPairs = ThreadLocal.withInitial(() -> new int[1]);
  /** Whether points beyond the cell keys' range were reported already (once per map). */
  private volatile boolean reportedKeyRange;

  /** A map of {@code levels} over {@code positions}, whose least and greatest coordinate are {@code range}. */
  private SpatialHashMap(Level[] levels, int dims, float[] positions, float[] range) {
    this.levels = levels;
    this.dims = dims;
    this.size = positions.length / dims;
    this.positions = positions;
    reportKeyRange(range);
  }

  /**
   * Builds a map over {@code positions}, interleaved {@code x,y} or {@code x,y,z} per point (copied), with cubic cells
   * of edge {@code cellSize}.
   */
  public static SpatialHashMap build(float[] positions, int dims, float cellSize) {
    return build(positions, dims, new float[] {cellSize});
  }

  /**
   * Builds a map with one level per cell size (strictly ascending), each placed like a map of its own. Queries pick
   * the level whose cells fit their radius.
   */
  public static SpatialHashMap build(float[] positions, int dims, float[] cellSizes) {
    SpatialOp.checkCellSizes(cellSizes);
    float[] range = SpatialOp.checkBuild(positions, dims, cellSizes[0]);
    float[] own = positions.clone();
    Level[] levels = new Level[cellSizes.length];
    try {
      for (int l = 0; l < levels.length; l++) levels[l] = buildLevel(own, dims, cellSizes[l]);
    } catch (RuntimeException e) {
      for (Level level : levels) {
        if (level != null) level.index.close();
      }
      throw e;
    }
    return new SpatialHashMap(levels, dims, own, range);
  }

  /**
   * A map for radii from {@code minRadius} to {@code maxRadius}: levels with cells of {@code minRadius},
   * {@code 2·minRadius}, … up to the first at least {@code maxRadius}. At most 40 levels (radii spanning a factor of
   * 2^39, about 5.5·10^11); a wider span is refused rather than cut short, since radii past the last level would search
   * its cells, far smaller than they are: {@link #build(float[], int, float[])} takes any cell sizes. A radius past
   * {@code maxRadius} is still answered exactly, more slowly, from the coarsest level.
   *
   * @throws IllegalArgumentException if {@code minRadius} is not positive, {@code maxRadius} is below it or not
   *     finite, or the span needs more than 40 levels
   */
  public static SpatialHashMap forRadii(float[] positions, int dims, float minRadius, float maxRadius) {
    if (!(minRadius > 0) || !(maxRadius >= minRadius) || !Float.isFinite(maxRadius)) {
      throw new IllegalArgumentException("spatial: need 0 < minRadius ≤ maxRadius, finite; got " + minRadius + " and "
          + maxRadius);
    }
    int count = 1;
    while ((double) minRadius * (1L << (count - 1)) < maxRadius) {
      if (++count > MAX_LEVELS) {
        throw new IllegalArgumentException("spatial: radii from " + minRadius + " to " + maxRadius + " need more than "
            + MAX_LEVELS + " levels (one per doubling); build the map with the cell sizes it needs instead");
      }
    }
    float[] cells = new float[count];
    for (int l = 0; l < count; l++) cells[l] = (float) ((double) minRadius * (1L << l));
    return build(positions, dims, cells);
  }

  private static Level buildLevel(float[] positions, int dims, float cellSize) {
    String shape = (positions.length / dims) + " points, " + dims + "D, cell " + cellSize;
    String[] placed = new String[1];
    long[] buildNanos = new long[1];
    CallCost cost = new CallCost(CallCost.SPATIAL, positions.length / dims, 4L * positions.length, 0);
    SpatialIndex index = Dispatcher.get().run("spatial.build", shape, cost, be -> {
      placed[0] = be.name();
      long start = System.nanoTime();
      SpatialIndex built = be.buildSpatial(positions.clone(), dims, cellSize);
      buildNanos[0] = Math.max(1, System.nanoTime() - start);
      return built;
    });
    return new Level(cellSize, new FirstSearchTiming(index, placed[0], cost, cellSize, buildNanos[0]), placed[0]);
  }

  /** Number of points. */
  public int size() {
    return size;
  }

  /** Whether {@link #close()} was called. */
  public boolean isClosed() {
    return closed;
  }

  /** Dimensions of the points: 2 or 3. */
  public int dims() {
    return dims;
  }

  /** The backend holding the map (its first level), e.g. {@code cpu}. */
  public String backend() {
    return levels[0].backend;
  }

  /**
   * The backend holding each level, finest first, e.g. {@code [opencl, opencl, cpu]}: a level whose device failed
   * moved to the CPU.
   */
  public java.util.List<String> levelBackends() {
    java.util.List<String> out = new java.util.ArrayList<>(levels.length);
    for (Level level : levels) out.add(level.backend);
    return java.util.List.copyOf(out);
  }

  /** The cell size of each level, ascending. */
  public float[] cellSizes() {
    float[] out = new float[levels.length];
    for (int l = 0; l < out.length; l++) out[l] = levels[l].cellSize;
    return out;
  }

  /** Indices of the points within {@code radius} of {@code center} (inclusive), ascending. */
  public int[] query(float[] center, float radius) {
    SpatialOp.checkQuery(center, dims, radius);
    float[] own = center.clone();
    return search("query", levelFor(radius), index -> index.query(own, radius));
  }

  /** For every point, the other points within {@code radius} (inclusive), each list ascending. */
  public Neighbors neighborsWithin(float radius) {
    SpatialOp.checkRadius(radius);
    SpatialIndex.Csr csr = search("neighborsWithin", levelFor(radius), index -> index.neighborsWithin(radius));
    return new Neighbors(csr.offsets(), csr.indices());
  }

  /**
   * For every point {@code i}, the other points within {@code radii[i]} (inclusive; one radius per point, e.g. a
   * particle's size or smoothing length), each list ascending. Each point searches the level that fits its radius,
   * or for radii below the mean spacing of the points, the level that fits that spacing: a finer level's cells are
   * mostly empty, and probing them cost more than the candidates a coarser one adds (on 200,000 points with 99% of
   * the radii 100 times below the rest, the hierarchy took 89 ms against 55 ms for a single coarse level, and 56 ms
   * with this rule).
   */
  public Neighbors neighborsWithin(float[] radii) {
    checkOpen("neighborsWithin");
    SpatialOp.checkRadii(radii, size);
    int n = radii.length;
    int[] levelOf = new int[n];
    int[] perLevel = new int[levels.length];
    double spacing = spacing();
    for (int i = 0; i < n; i++) perLevel[levelOf[i] = levelIndexFor(Math.max(radii[i], spacing))]++;
    int[][] points = new int[levels.length][];
    for (int l = 0; l < levels.length; l++) points[l] = new int[perLevel[l]];
    int[] rowOf = new int[n];
    int[] filled = new int[levels.length];
    for (int i = 0; i < n; i++) points[levelOf[i]][rowOf[i] = filled[levelOf[i]]++] = i;
    SpatialIndex.Csr[] found = new SpatialIndex.Csr[levels.length];
    for (int l = 0; l < levels.length; l++) {
      if (points[l].length == 0) continue;
      float[] mine = new float[points[l].length];
      for (int q = 0; q < mine.length; q++) mine[q] = radii[points[l][q]];
      found[l] = searchEach(levels[l], points[l], mine);
    }
    return merge(found, levelOf, rowOf);
  }

  /**
   * One list per point {@code i}: row {@code rowOf[i]} of level {@code levelOf[i]}'s result in {@code found}. Levels
   * that each fit one list may not together: that is an {@link ArithmeticException}, as on one level.
   */
  static Neighbors merge(SpatialIndex.Csr[] found, int[] levelOf, int[] rowOf) {
    int n = levelOf.length;
    int[] counts = new int[n];
    for (int i = 0; i < n; i++) {
      int[] o = found[levelOf[i]].offsets();
      counts[i] = o[rowOf[i] + 1] - o[rowOf[i]];
    }
    int[] offsets = SpatialOp.offsets(counts);
    int[] indices = new int[offsets[n]];
    for (int i = 0; i < n; i++) {
      SpatialIndex.Csr c = found[levelOf[i]];
      System.arraycopy(c.indices(), c.offsets()[rowOf[i]], indices, offsets[i], offsets[i + 1] - offsets[i]);
    }
    return new Neighbors(offsets, indices);
  }

  /** Row {@code q}: the neighbours of {@code points[q]} within {@code radii[q]}, on one level. */
  private SpatialIndex.Csr searchEach(Level level, int[] points, float[] radii) {
    return search("neighborsWithin", level, index -> index.neighborsWithin(points, radii));
  }

  /**
   * {@link #neighborsWithin(float)} kept where the map lives, as resident arrays for kernels: on a GPU the lists are
   * built on the device and stay there (no host round trip); on the CPU they are the arrays themselves. The caller
   * closes the result.
   */
  public DeviceNeighbors neighborsWithinResident(float radius) {
    SpatialOp.checkRadius(radius);
    SpatialIndex.ResidentCsr csr = search("neighborsWithinResident", levelFor(radius),
        index -> index.neighborsWithinResident(radius));
    return new DeviceNeighbors(ResidentHandles.wrap(csr.offsets()), ResidentHandles.wrap(csr.indices()));
  }

  /**
   * The points grouped by cell (at the finest level) where the map lives, with the permutation from place to point:
   * see {@link CellOrder}. The caller closes the result.
   */
  public CellOrder cellOrder() {
    SpatialIndex.ResidentCellOrder order = search("cellOrder", levels[0], SpatialIndex::cellOrder);
    return new CellOrder(ResidentHandles.wrap(order.positions()), ResidentHandles.wrap(order.order()), dims);
  }

  /**
   * How many other points lie within {@code radius} of each point, without listing them, on the backend that holds
   * the map (on a GPU only the counts come back).
   */
  public int[] neighborCounts(float radius) {
    SpatialOp.checkRadius(radius);
    return search("neighborCounts", levelFor(radius), index -> index.neighborCounts(radius));
  }

  /**
   * Calls {@code consumer} once for every pair {@code i < j} within {@code radius}, on the calling thread, {@code i}
   * ascending, then {@code j}. On the CPU no lists are built: one point's neighbours are held at a time. The consumer
   * must not {@link #update} this map: that throws {@link IllegalStateException} (on the CPU it would wait for the
   * listing to end, which waits for the consumer).
   */
  public void forEachPair(float radius, PairConsumer consumer) {
    SpatialOp.checkRadius(radius);
    java.util.Objects.requireNonNull(consumer, "forEachPair: consumer is null");
    int[] depth = listingPairs.get();
    depth[0]++;
    try {
      search("forEachPair", levelFor(radius), index -> {
        index.forEachPair(radius, consumer);
        return null;
      });
    } finally {
      depth[0]--;
    }
  }

  /** Moves the points to {@code newPositions} (same length as at build, copied); every level follows. */
  public void update(float[] newPositions) {
    checkOpen("update");
    if (listingPairs.get()[0] > 0) {
      throw new IllegalStateException("update: called from a forEachPair consumer of this map, whose pairs are still"
          + " being listed; update once forEachPair has returned");
    }
    float[] range = SpatialOp.checkUpdate(newPositions, dims, size);
    float[] own = newPositions.clone();
    reportKeyRange(range);
    synchronized (this) {
      checkOpen("update");
      positions = own;
      for (Level level : levels) {
        SpatialIndex index = level.index;
        try {
          index.update(own.clone());
        } catch (BackendException e) {
          replaceFailed("update", level, index, e);
        }
      }
    }
  }

  /**
   * Moves the points to {@code newPositions}, resident data of the same length as at build ({@code dims} floats per
   * point, e.g. positions a kernel integrates): a level on the backend holding it rebuilds from it there (on a GPU,
   * without a host round trip; the values are checked there too); other levels read it once. The map keeps no host
   * copy of such positions: should its device fail later, it reads them back from the device or, when they were lost
   * with it, throws {@link IllegalStateException}. No warning about coordinates beyond the cell keys' range is given
   * for them.
   *
   * @throws IllegalArgumentException if the length differs or a coordinate is not finite (nothing moves then)
   * @throws ArrayIndexOutOfBoundsException or {@link ArithmeticException} when a kernel that wrote the positions failed
   *     so, not reported yet (see {@link DeviceArray})
   */
  public void update(DeviceArray<float[]> newPositions) {
    checkOpen("update");
    if (listingPairs.get()[0] > 0) {
      throw new IllegalStateException("update: called from a forEachPair consumer of this map, whose pairs are still"
          + " being listed; update once forEachPair has returned");
    }
    java.util.Objects.requireNonNull(newPositions, "spatial: newPositions is null");
    if (newPositions.arrayType() != float[].class) {
      // Only a raw or unchecked DeviceArray gets here: a device reading it as floats would read past it.
      throw new IllegalArgumentException("spatial: update takes positions as a DeviceArray<float[]>, got a DeviceArray<"
          + newPositions.arrayType().getSimpleName() + ">");
    }
    Resident resident = ResidentHandles.resident(newPositions, "update");
    if (resident.length() != (long) size * dims) {
      throw new IllegalArgumentException("spatial: update has length " + resident.length() + ", wanted " + size
          + " points x " + dims + " = " + (long) size * dims);
    }
    try {
      synchronized (this) {
        checkOpen("update");
        float[] host = null;
        for (Level level : levels) {
          SpatialIndex index = level.index;
          if (level.backend.equals(resident.backend())) {
            try {
              index.update(resident);
              continue;
            } catch (BackendException e) {
              host = hostValues(resident, host);
              positions = host;
              replaceFailed("update", level, index, e);
              continue;
            }
          }
          host = hostValues(resident, host);
          try {
            level.index.update(host.clone());
          } catch (BackendException e) {
            positions = host;
            replaceFailed("update", level, level.index, e);
          }
        }
        positions = host;
      }
    } catch (dev.pincette.spi.KernelFault fault) {
      // A kernel that wrote the positions failed as the CPU would throw; reported here, once, as the CPU's exception.
      throw fault.toUserException();
    } finally {
      java.lang.ref.Reference.reachabilityFence(newPositions);
    }
  }

  /** {@code known}, or a checked copy of {@code resident}'s values read now. */
  private float[] hostValues(Resident resident, float[] known) {
    if (known != null) return known;
    float[] values = ((float[]) resident.hostArray()).clone();
    SpatialOp.checkPositions(values, dims);
    return values;
  }

  /**
   * The latest positions on the host: after an update from resident data, read back from the first level that can
   * give them; {@link IllegalStateException} when every level's device lost them.
   */
  private synchronized float[] hostPositions() {
    float[] known = positions;
    if (known != null) return known;
    BackendException last = null;
    for (Level level : levels) {
      try {
        return positions = level.index.positions();
      } catch (BackendException e) {
        last = e;
      }
    }
    throw new IllegalStateException("spatial: the map's positions came from resident data on a device that failed,"
        + " and cannot be read back: " + last.getMessage(), last);
  }

  /**
   * Runs {@code search} on {@code level}'s index. When the device fails, the level moves to the CPU and the search
   * runs there; a search whose index was replaced meanwhile by another thread (its device failed, and it was closed
   * under this one) runs again on the level's new index. A search the device refuses (its result would not fit the
   * device's memory) runs alone on a CPU index of the latest positions, and the level stays where it is.
   */
  private <T> T search(String op, Level level, java.util.function.Function<SpatialIndex, T> search) {
    checkOpen(op);
    for (;;) {
      SpatialIndex index = level.index;
      try {
        return search.apply(index);
      } catch (BackendRefusedException e) {
        LOG.log(System.Logger.Level.DEBUG, "pincette: spatial " + op + " refused by " + level.backend + ", ran on"
            + " cpu: " + e.getMessage());
        try (SpatialIndex cpu = Dispatcher.get().cpu().buildSpatial(hostPositions().clone(), dims,
            level.cellSize)) {
          return search.apply(cpu);
        }
      } catch (BackendException e) {
        replaceFailed(op, level, index, e);
      }
    }
  }

  private void checkOpen(String op) {
    if (closed) throw new IllegalStateException(op + ": the spatial map is closed");
  }

  /** Warns once per map when points reach beyond the cell keys' range at some level's cell size. */
  private void reportKeyRange(float[] range) {
    if (reportedKeyRange) return;
    for (Level level : levels) {
      if (SpatialOp.beyondKeyRange(range, dims, level.cellSize)) {
        reportedKeyRange = true;
        LOG.log(System.Logger.Level.WARNING, "pincette: spatial map of " + size + " points in " + dims + "D: with"
            + " cells of " + level.cellSize + ", coordinates from " + range[0] + " to " + range[1] + " reach beyond"
            + " the " + (CellKeys.maxCell(dims) + 1) + " cells per axis the keys hold; the points beyond share the"
            + " boundary cells (answers stay exact, searches near them slow down): use larger cells or coordinates"
            + " nearer the origin");
        return;
      }
    }
  }

  private Level levelFor(float radius) {
    return levels[levelIndexFor(radius)];
  }

  /** The mean spacing of the points, (volume of their box / points)^(1/dims), for the positions it was taken of. */
  private record Spacing(float[] of, double value) {}

  private volatile Spacing spacing;

  private double spacing() {
    float[] xyz = hostPositions();
    Spacing s = spacing;
    if (s == null || s.of != xyz) spacing = s = new Spacing(xyz, meanSpacing(xyz, dims));
    return s.value;
  }

  private static double meanSpacing(float[] xyz, int dims) {
    int n = xyz.length / dims;
    if (n == 0) return 0;
    double volume = 1;
    for (int d = 0; d < dims; d++) {
      float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
      for (int i = d; i < xyz.length; i += dims) {
        lo = Math.min(lo, xyz[i]);
        hi = Math.max(hi, xyz[i]);
      }
      volume *= (double) hi - lo;
    }
    return Math.pow(volume / n, 1.0 / dims);
  }

  /** The level with the smallest cells at least {@code radius}, else the coarsest. */
  private int levelIndexFor(double radius) {
    for (int l = 0; l < levels.length; l++) {
      if (levels[l].cellSize >= radius) return l;
    }
    return levels.length - 1;
  }

  /**
   * After {@code failed}, {@code level}'s index when {@code op} began, threw {@code cause}: when the level holds
   * another index already (another thread moved it), nothing, and the caller runs again on that one; else the device
   * failed, and the level moves to the CPU, rebuilt from the latest positions, and stays there.
   */
  private synchronized void replaceFailed(String op, Level level, SpatialIndex failed, BackendException cause) {
    checkOpen(op);
    if (level.index != failed) return;
    if (level.backend.equals("cpu")) throw cause;
    LOG.log(System.Logger.Level.WARNING, "pincette: spatial map on " + level.backend + " failed, moved to cpu: "
        + cause.getMessage());
    Dispatcher.get().reportFailure(level.backend, "spatial " + op, cause);
    level.index = Dispatcher.get().cpu().buildSpatial(hostPositions().clone(), dims, level.cellSize);
    level.backend = "cpu";
    try {
      failed.close();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.DEBUG, "pincette: closing the failed map: " + e);
    }
  }

  /**
   * Releases the map's memory (device memory for a GPU map), once searches running on it end; later searches and
   * updates throw {@link IllegalStateException}. Idempotent.
   */
  @Override
  public synchronized void close() {
    if (closed) return;
    closed = true;
    for (Level level : levels) level.index.close();
  }
}
