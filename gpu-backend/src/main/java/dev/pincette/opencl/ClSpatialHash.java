package dev.pincette.opencl;

import dev.pincette.kernels.CellKeys;
import dev.pincette.kernels.SpatialOp;
import dev.pincette.spi.BackendException;
import dev.pincette.spi.BackendRefusedException;
import dev.pincette.spi.SpatialIndex;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Spatial hash held on the device ({@code spatial.cl}). Build and {@link #update}: the points grouped into one run
 * per cell, in key order. When the box of the occupied cells holds few more cells than there are points (see
 * {@link #dense}), each point's cell in the box is counted, the counts prefix-summed and the points scattered: no
 * keys, no sort and no table, and a search reads each row of cells as one range. Other clouds use a hash table from
 * cell to run: cell keys, then the points counted into its slots with only the occupied cells sorted (see
 * {@link #counting}), or a bitonic sort of all (key, point) pairs. Searches visit only the cells a radius touches (on
 * the hash table, they scan every point when the radius spans more cells than are occupied, like the CPU backend),
 * taking the points in cell order.
 * {@link #neighborsWithin} is one search that counts every point's neighbours and keeps the first 32 in a slot per
 * point, a prefix sum of the counts on the device, a pass that sorts each slot into its place, and a second search
 * for the few points with more than 32 neighbours.
 *
 * <p>Queries hold the read lock, {@code update} the write lock; the device buffers belong to this index until
 * {@link #close()}.
 */
final class ClSpatialHash implements SpatialIndex {
  private static final String SOURCE = "spatial.cl";
  /** Points beyond which the sort network and the table would outgrow int indexing; larger maps stay on the CPU. */
  static final int MAX_POINTS = 1 << 28;
  /** Hits a query collects before it has to run again with room for all of them. */
  private static final int QUERY_CAPACITY = 4096;

  private final ClContext context;
  private final int dims;
  private final int size;
  private final float cellSize;
  private final String options;
  private final int sortGroup;
  /** Work-group size of the list-writing search pass, whose slots fill in local memory. */
  private final int fillGroup;
  /**
   * Whether builds count points into cells and sort only the cells, instead of sorting every point: on devices with
   * 64-bit atomics, unless {@code pincette.opencl.spatialCount=false}. On the H100 with 10M points the points were
   * grouped in 9.5 ms against 24.6 ms for the sort of all points and its table, with the same search times.
   */
  private final boolean counting;
  /**
   * Whether builds use a dense grid when the box of the occupied cells holds at most {@link #DENSE_CELLS_PER_POINT}
   * cells per point (see {@code grid_count_in_box} in spatial.cl), unless {@code pincette.opencl.spatialDense=false};
   * other clouds use the hash table.
   */
  private final boolean dense;
  private static final int DENSE_CELLS_PER_POINT = 2;
  /**
   * Whether a rebuild first tries the box of the last dense build (grown by a cell on each side when it was made), so
   * that nothing is read back before the grouping and no keys are written: a point outside it costs a second,
   * ordinary build. {@code pincette.opencl.spatialReuseBox=false} turns it off.
   */
  private final boolean reuseBox;
  /** Power of two ≥ size and ≥ one local sort block. */
  private final int padded;
  private final int tableMask;
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

  // Guarded by lock. Device buffers: 0 when the index is empty or closed.
  private long positions;
  /** The positions in the order of {@link #order}: the searches read each run from one place. */
  private long sortedPositions;
  /** Each point's place in {@link #order}. */
  private long placeOf;
  /** The hash table's: each place's cell key, the table, and each run's end; 0 until a build needs them. */
  private long keys;
  /** {@code pincette.opencl.spatialTrace=true}: each build prints the time of its phases to standard error. */
  private static final boolean TRACE = Boolean.getBoolean("pincette.opencl.spatialTrace");

  private long order;
  private long table;
  private long cellEnd;
  private int occupied;
  private boolean closed;
  /**
   * The dense grid of the last build, when it had one ({@link #gridCells} &gt; 0): the first cell and the cells per
   * axis of the box holding every point's cell, and each cell's start in {@link #order} (one more entry than cells).
   */
  private final long[] gridOrigin = new long[3];
  private final int[] gridSize = new int[3];
  private long gridCells;
  private long gridStart;
  private long gridStartBytes;

  ClSpatialHash(ClContext context, float[] points, int dims, float cellSize) {
    if (points.length / dims > MAX_POINTS) {
      throw new BackendRefusedException("the OpenCL spatial hash holds at most " + MAX_POINTS + " points, got "
          + points.length / dims);
    }
    this.context = context;
    this.dims = dims;
    this.size = points.length / dims;
    this.cellSize = cellSize;
    this.sortGroup = (int) Math.min(256, Long.highestOneBit(context.device.maxWorkGroupSize()));
    this.counting = context.device.extensions().contains("cl_khr_int64_base_atomics")
        && Boolean.parseBoolean(System.getProperty("pincette.opencl.spatialCount", "true"));
    this.dense = Boolean.parseBoolean(System.getProperty("pincette.opencl.spatialDense", "true"));
    this.reuseBox = Boolean.parseBoolean(System.getProperty("pincette.opencl.spatialReuseBox", "true"));
    this.fillGroup = (int) Math.min(64, Long.highestOneBit(context.device.maxWorkGroupSize()));
    this.options = "-DSORT_GROUP=" + sortGroup + " -DFILL_GROUP=" + fillGroup + " -DNETWORK_SORT=" + LIST_SLOT
        + (counting ? " -DCOUNTING_BUILD" : "");
    this.padded = Math.max(2 * sortGroup, Integer.highestOneBit(Math.max(1, size - 1)) << 1);
    this.tableMask = (Integer.highestOneBit(Math.max(16, size) * 2 - 1) << 1) - 1;
    if (size == 0) return;
    runOrClose("spatial.build", call -> {
      positions = call.lease(4L * points.length);
      sortedPositions = call.lease(4L * points.length);
      placeOf = call.lease(4L * size);
      order = call.lease(4L * padded);
      rebuild(call, points, 0);
    });
  }

  /**
   * Runs {@code work} (a build) in a call of its own. Should it fail, or should its commands not be known complete
   * when the call ends (the queue could not be drained), the index closes and gives up its buffers: back to the pool
   * when the queue drained, else freed, since a command still running could write into a buffer handed to another
   * call. Held under the write lock (or in the constructor).
   */
  private void runOrClose(String op, java.util.function.Consumer<ClCall> work) {
    ClCall call = context.begin(op);
    Throwable failure = null;
    try {
      work.accept(call);
    } catch (RuntimeException | Error e) {
      failure = e;
    }
    try {
      call.close();
    } catch (RuntimeException | Error e) {
      if (failure == null) failure = e;
      else failure.addSuppressed(e);
    }
    if (failure == null && !call.completed()) {
      failure = new BackendException("the commands of " + op + " did not complete: the OpenCL queue could not be"
          + " drained");
    }
    if (failure == null) return;
    closed = true;
    if (call.completed()) {
      releaseBuffers();
    } else {
      context.discardBuffers(buffersHeld());
      positions = sortedPositions = placeOf = keys = order = table = cellEnd = gridStart = 0;
    }
    if (failure instanceof Error error) throw error;
    throw (RuntimeException) failure;
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public int dims() {
    return dims;
  }

  /** Groups the points anew from {@code points}, or (when null) from the device buffer {@code from}. */
  private void rebuild(ClCall call, float[] points, long from) {
    long start = System.nanoTime();
    if (points != null) call.queue.write(positions, points, 0, points.length, call.op);
    else call.queue.copy(from, positions, 4L * size * dims, call.op);
    long uploaded = phase(call);
    // Every REFIT_AFTER rebuilds on one box, an ordinary build fits the box again (points that gathered in a corner
    // would otherwise leave the grid mostly empty).
    if (dense && reuseBox && gridCells > 0 && reusedSinceFit < REFIT_AFTER) {
      long outside = call.buffer(4);
      call.fill(outside, 0, 4);
      groupOnGrid(call, outside);
      gatherPositions(call);
      if (call.readInt(outside, 0) == 0) {
        reusedBoxes++;
        reusedSinceFit++;
        if (TRACE) {
          System.err.printf(java.util.Locale.ROOT, "spatial build of %d points: upload %.2f ms, dense grid of %d"
              + " cells (the last build's box) %.2f ms%n", size, (uploaded - start) * 1e-6, gridCells,
              (phase(call) - uploaded) * 1e-6);
        }
        return;
      }
    }
    gridCells = 0;
    reusedSinceFit = 0;
    boolean grid = dense && denseGrid(call);
    long pointKeys = 0;
    if (!grid) {
      // A cloud too sparse for the grid reads its positions once more here, for keys the box pass did not write:
      // dense clouds, the common case, are spared writing 8 bytes per point and reading them back.
      if (keys == 0) {
        // The hash table's buffers, leased the first time a build needs them.
        keys = call.lease(8L * padded);
        table = call.lease(4L * (tableMask + 1L));
        cellEnd = call.lease(4L * size);
      }
      // The counting build needs each point's key; the sort needs them padded, with each point's index beside it.
      pointKeys = counting ? call.buffer(8L * size) : keys;
      ClKernel cellKeys = call.kernel(SOURCE, options, "cell_keys").mem(0, positions).i32(1, size).i32(2, dims)
          .f64(3, cellSize).i32(4, counting ? size : padded).mem(5, pointKeys).mem(6, order);
      launch(call, cellKeys, counting ? size : padded);
    }
    long keyed = phase(call);
    String grouping;
    if (grid) {
      grouping = "dense grid of " + gridCells + " cells";
      // The box was just fitted to every point's cell (the same cell_of in both kernels), so this flag stays 0.
      long inside = call.buffer(4);
      call.fill(inside, 0, 4);
      groupOnGrid(call, inside);
    } else {
      long counter = call.buffer(4);
      call.fill(counter, 0, 4);
      if (counting) {
        grouping = "points counted into cells";
        countIntoCells(call, pointKeys, counter);
      } else {
        grouping = "sort and cell table";
        sort(call);
        call.fill(table, -1, 4L * (tableMask + 1L));
        ClKernel starts = call.kernel(SOURCE, options, "cell_starts").mem(0, keys).i32(1, size).mem(2, table)
            .i32(3, tableMask).mem(4, cellEnd).mem(5, counter);
        launch(call, starts, size);
        launch(call, call.kernel(SOURCE, options, "place_of").i32(0, size).mem(1, order).mem(2, placeOf), size);
      }
      occupied = call.readInt(counter, 0);
    }
    gatherPositions(call);
    long grouped = phase(call);
    if (TRACE) {
      System.err.printf(java.util.Locale.ROOT, "spatial build of %d points: upload %.2f ms, %s %.2f ms, %s"
          + " %.2f ms%n", size, (uploaded - start) * 1e-6, grid ? "the box" : dense ? "the box and cell keys"
          : "cell keys",
          (keyed - uploaded) * 1e-6, grouping,
          (grouped - keyed) * 1e-6);
    }
  }

  /** Rebuilds that kept the last box, in all and since the box was fitted. Guarded by lock. */
  private int reusedBoxes;
  private int reusedSinceFit;
  private static final int REFIT_AFTER = 32;

  int reusedBoxes() {
    return reusedBoxes;
  }

  /** Copies the positions into the order of the cells' runs, which the searches read. */
  private void gatherPositions(ClCall call) {
    launch(call, call.kernel(SOURCE, options, "sort_positions").mem(0, positions).i32(1, size).i32(2, dims)
        .mem(3, order).mem(4, sortedPositions), size);
  }

  /**
   * Finds the box of the occupied cells (one small read back: the least cell and minus the greatest per axis); when
   * it holds at most {@link #DENSE_CELLS_PER_POINT} cells per point, records it as the grid and returns true. No keys
   * are written: on 10M points the H100 took 0.36-0.91 ms for the keys and the box (and the grid's count read the
   * keys back); an H200 takes 0.19-0.29 ms for the box alone, and 1.28-1.42 ms for a whole new map.
   */
  private boolean denseGrid(ClCall call) {
    int group = (int) Math.min(256, Long.highestOneBit(call.device().maxWorkGroupSize()));
    int groups = (int) Math.min(1024, (size + group - 1) / group);
    long bounds = call.buffer(4 * 6);
    call.fill(bounds, Integer.MAX_VALUE, 4 * 6);
    call.launch(call.kernel(SOURCE, options, "cell_bounds").mem(0, positions).i32(1, size).i32(2, dims)
        .f64(3, cellSize).mem(4, bounds).local(5, 4L * 6 * group),
        new long[] {(long) groups * group}, new long[] {group});
    int[] box = call.downloadInts(bounds, 6);
    long cells = 1;
    for (int d = 0; d < 3; d++) {
      // A cell of margin on each side of the occupied box, so that later rebuilds can keep the box while points
      // move (see reuseBox); none along z in 2D, where every key's z is 0.
      int margin = reuseBox && d < dims ? 1 : 0;
      long extent = -(long) box[3 + d] - box[d] + 1 + 2L * margin;
      cells *= extent;
      if (cells > DENSE_CELLS_PER_POINT * (long) size + 1024 || cells >= Integer.MAX_VALUE) return false;
      gridOrigin[d] = (long) box[d] - margin;
      gridSize[d] = (int) extent;
    }
    gridCells = cells;
    return true;
  }

  /**
   * Counts the points of each grid cell, straight from the positions, places the cells' runs by a prefix sum, and
   * scatters the points. A point outside the box sets {@code outside}.
   */
  private void groupOnGrid(ClCall call, long outside) {
    int cells = (int) gridCells;
    long count = call.buffer(4L * (cells + 1));
    call.fill(count, 0, 4L * (cells + 1));
    long cellOf = call.buffer(4L * size);
    long rank = call.buffer(4L * size);
    launch(call, call.kernel(SOURCE, options, "grid_count_in_box").mem(0, positions).i32(1, size).i32(2, dims)
        .f64(3, cellSize).i64(4, gridOrigin[0]).i64(5, gridOrigin[1]).i64(6, gridOrigin[2]).i32(7, gridSize[0])
        .i32(8, gridSize[1]).i32(9, gridSize[2]).mem(10, count).mem(11, cellOf).mem(12, rank).mem(13, outside),
        size);
    long bytes = 4L * (cells + 1);
    if (gridStartBytes < bytes) {
      context.releaseBuffers(gridStart);
      gridStart = 0;
      gridStartBytes = 0;
      gridStart = call.lease(bytes);
      gridStartBytes = bytes;
    }
    scan(call, count, cells + 1, gridStart);
    launch(call, call.kernel(SOURCE, options, "grid_scatter").i32(0, size).mem(1, cellOf).mem(2, rank)
        .mem(3, gridStart).mem(4, order).mem(5, placeOf), size);
    occupied = cells;
  }

  /**
   * Groups the points by cell without sorting them: keys into a table, counts per slot; then only the occupied cells
   * are sorted (a few per point fewer than the points), so that the runs lie in key order, i.e. in space, which the
   * searches' locality needs; a prefix sum of the counts in that order places the runs, and the points are scattered.
   */
  private void countIntoCells(ClCall call, long pointKeys, long counter) {
    int slots = tableMask + 1;
    long tableKeys = call.buffer(8L * slots);
    call.fill(tableKeys, -1, 8L * slots);
    long slotCount = call.buffer(4L * slots);
    call.fill(slotCount, 0, 4L * slots);
    long slotOf = call.buffer(4L * size);
    launch(call, call.kernel(SOURCE, options, "cell_insert").mem(0, pointKeys).i32(1, size).mem(2, tableKeys)
        .i32(3, tableMask).mem(4, slotOf).mem(5, slotCount).mem(6, counter), size);
    int cells = call.readInt(counter, 0);
    int paddedCells = Math.max(2 * sortGroup, Integer.highestOneBit(Math.max(1, cells - 1)) << 1);
    long cellKeys = call.buffer(8L * paddedCells);
    long cellSlots = call.buffer(4L * paddedCells);
    long collected = call.buffer(4);
    call.fill(collected, 0, 4);
    launch(call, call.kernel(SOURCE, options, "cell_collect").mem(0, tableKeys).mem(1, slotCount).i32(2, slots)
        .mem(3, collected).i32(4, cells).i32(5, paddedCells).mem(6, cellKeys).mem(7, cellSlots),
        Math.max(slots, paddedCells));
    sort(call, cellKeys, cellSlots, paddedCells);
    long cellCounts = call.buffer(4L * cells);
    launch(call, call.kernel(SOURCE, options, "cell_counts").mem(0, cellSlots).mem(1, slotCount).i32(2, cells)
        .mem(3, cellCounts), cells);
    long cellStarts = scan(call, cellCounts, cells);
    long slotStart = call.buffer(4L * slots);
    launch(call, call.kernel(SOURCE, options, "slot_starts").mem(0, cellSlots).mem(1, cellStarts).i32(2, cells)
        .mem(3, slotStart), cells);
    long cursor = call.buffer(4L * slots);
    call.fill(cursor, 0, 4L * slots);
    launch(call, call.kernel(SOURCE, options, "cell_scatter").mem(0, pointKeys).i32(1, size).mem(2, slotOf)
        .mem(3, slotStart).mem(4, cursor).mem(5, keys).mem(6, order).mem(7, placeOf), size);
    launch(call, call.kernel(SOURCE, options, "cell_runs").mem(0, slotCount).mem(1, slotStart).i32(2, slots)
        .mem(3, table).mem(4, cellEnd), slots);
  }

  /** With {@link #TRACE}, waits for the queue and returns the time: the build's phases, one by one. */
  private static long phase(ClCall call) {
    if (TRACE) call.queue.finish();
    return System.nanoTime();
  }

  /** The exclusive prefix sums of {@code count} ints in {@code in}, in a new buffer of the call, on the device. */
  private long scan(ClCall call, long in, int count) {
    long out = call.buffer(4L * count);
    scan(call, in, count, out);
    return out;
  }

  /** The exclusive prefix sums of {@code count} ints in {@code in}, into {@code out}, on the device. */
  private void scan(ClCall call, long in, int count, long out) {
    int group = (int) Math.min(256, Long.highestOneBit(call.device().maxWorkGroupSize()));
    int block = 2 * group;
    int groups = (count + block - 1) / block;
    long sums = call.buffer(4L * groups);
    call.launch(call.kernel(SOURCE, options, "scan_blocks").mem(0, in).i32(1, count).mem(2, out).mem(3, sums)
        .local(4, 4L * block), new long[] {(long) groups * group}, new long[] {group});
    if (groups > 1) {
      long sumOffsets = scan(call, sums, groups);
      launch(call, call.kernel(SOURCE, options, "scan_add").mem(0, out).i32(1, count).mem(2, sumOffsets)
          .i32(3, block), count);
    }
  }

  /** The bitonic network: blocks sorted in local memory, then for each larger stage global steps and a local merge. */
  private void sort(ClCall call) {
    sort(call, keys, order, padded);
  }

  /** Sorts {@code count} (a power of two, at least one block) (key, int) pairs by key, then by the int. */
  private void sort(ClCall call, long sortKeys, long values, int count) {
    int block = 2 * sortGroup;
    long[] local = {sortGroup};
    call.launch(call.kernel(SOURCE, options, "bitonic_sort_block").mem(0, sortKeys).mem(1, values),
        new long[] {count / 2}, local);
    for (int k = 2 * block; k <= count; k <<= 1) {
      for (int j = k / 2; j >= block; j >>= 1) {
        ClKernel step = call.kernel(SOURCE, options, "bitonic_step").mem(0, sortKeys).mem(1, values).i32(2, j)
            .i32(3, k);
        launch(call, step, count);
      }
      call.launch(call.kernel(SOURCE, options, "bitonic_merge_block").mem(0, sortKeys).mem(1, values).i32(2, k),
          new long[] {count / 2}, local);
    }
  }

  private static void launch(ClCall call, ClKernel kernel, long items) {
    long group = Math.min(64, call.device().maxWorkGroupSize());
    call.launch(kernel, new long[] {(items + group - 1) / group * group}, new long[] {group});
  }

  /**
   * Neighbours each point's slot holds in the single search pass of {@link #neighborsWithin} (the sort network's
   * size, {@code NETWORK_SORT} in spatial.cl); 0, so that every list is written at its offset by a second search,
   * when slots for every point would take more than an eighth of the device's memory or one allocation (or
   * {@code pincette.opencl.spatialListSlots=false}).
   */
  private int listSlot() {
    long bytes = 4L * LIST_SLOT * size;
    boolean fits = bytes <= Math.min(context.device.globalMemory() / 8, context.device.maxAllocation());
    return fits && Boolean.parseBoolean(System.getProperty("pincette.opencl.spatialListSlots", "true")) ? LIST_SLOT
        : 0;
  }

  /** Slot size, also the sort network's ({@code NETWORK_SORT} in spatial.cl, passed in the program options). */
  private static final int LIST_SLOT = 32;

  /** Program options of the search kernels: on a dense grid, without the hash table's paths. */
  private String searchOptions() {
    return gridCells > 0 ? options + " -DGRID_ONLY" : options;
  }

  /**
   * Registers per work-item of the count kernel on NVIDIA's OpenCL ({@code -cl-nv-maxrregcount};
   * {@code pincette.opencl.spatialCountRegisters}, 0 leaves it to the compiler). More work-items in flight hide the
   * latency of the candidate loads. On the H100, 10M points counted in 2.13-2.34 ms with 32, 2.26-2.40 with 24 or
   * 28, 2.28-2.44 with 36 or 40, and 2.40-2.66 ms without a cap, over three runs. The lists' pass and the builds did
   * not gain, so only the count kernel is capped.
   */
  private static final int COUNT_REGISTERS = Integer.getInteger("pincette.opencl.spatialCountRegisters", 32);

  /** Program options of the count kernel: the search options, with the register cap where the driver takes it. */
  private String countOptions() {
    boolean nvidia = context.device.platformName().contains("NVIDIA");
    return nvidia && COUNT_REGISTERS > 0 ? searchOptions() + " -cl-nv-maxrregcount=" + COUNT_REGISTERS
        : searchOptions();
  }

  /** Binds the built structure to the first {@link #STRUCTURE_ARGS} arguments of a search kernel. */
  private ClKernel structure(ClKernel kernel) {
    boolean grid = gridCells > 0;
    return kernel.mem(0, positions).i32(1, size).i32(2, dims).f64(3, cellSize).i32(4, occupied)
        .mem(5, grid ? order : table).i32(6, tableMask).mem(7, keys).mem(8, order).mem(9, grid ? order : cellEnd)
        .mem(10, grid ? gridStart : order).i64(11, gridOrigin[0]).i64(12, gridOrigin[1]).i64(13, gridOrigin[2])
        .i32(14, grid ? gridSize[0] : 0).i32(15, gridSize[1]).i32(16, gridSize[2]).mem(17, sortedPositions);
  }

  /** Arguments {@link #structure} binds; a search kernel's own come after them. */
  private static final int STRUCTURE_ARGS = 18;

  @Override
  public int[] query(float[] center, float radius) {
    lock.readLock().lock();
    try {
      checkOpen();
      if (size == 0) return new int[0];
      float cx = center[0], cy = center[1], cz = dims == 3 ? center[2] : 0f;
      long[] lo = new long[3];
      long[] span = {1, 1, 1};
      long cells = 1;
      for (int d = 0; d < dims; d++) {
        lo[d] = CellKeys.cell(Math.nextDown((double) center[d] - radius), cellSize, dims);
        long hi = CellKeys.cell(Math.nextUp((double) center[d] + radius), cellSize, dims);
        span[d] = hi - lo[d] + 1;
        cells = span[d] > Integer.MAX_VALUE || cells > Integer.MAX_VALUE ? Long.MAX_VALUE : cells * span[d];
      }
      int a = STRUCTURE_ARGS;
      try (ClCall call = context.begin("spatial.query")) {
        long found = call.buffer(4);
        for (int capacity = Math.min(size, QUERY_CAPACITY); ; ) {
          long out = call.buffer(4L * capacity);
          call.fill(found, 0, 4);
          if (cells > occupied) {
            ClKernel all = structure(call.kernel(SOURCE, searchOptions(), "query_all")).f32(a, cx).f32(a + 1, cy)
                .f32(a + 2, cz).f32(a + 3, radius).mem(a + 4, out).i32(a + 5, capacity).mem(a + 6, found);
            launch(call, all, size);
          } else {
            ClKernel box = structure(call.kernel(SOURCE, searchOptions(), "query_cells")).f32(a, cx).f32(a + 1, cy)
                .f32(a + 2, cz).f32(a + 3, radius).i64(a + 4, lo[0]).i64(a + 5, lo[1]).i64(a + 6, lo[2])
                .i32(a + 7, (int) span[0]).i32(a + 8, (int) span[1]).i32(a + 9, (int) cells).mem(a + 10, out)
                .i32(a + 11, capacity).mem(a + 12, found);
            launch(call, box, cells);
          }
          int count = call.readInt(found, 0);
          if (count <= capacity) {
            int[] hits = new int[count];
            call.queue.read(out, hits, 0, count, call.op);
            Arrays.sort(hits);
            return hits;
          }
          capacity = count;
        }
      }
    } finally {
      lock.readLock().unlock();
    }
  }

  @Override
  public Csr neighborsWithin(float radius) {
    lock.readLock().lock();
    try {
      checkOpen();
      if (size == 0) return new Csr(new int[1], new int[0]);
      int a = STRUCTURE_ARGS;
      try (ClCall call = context.begin("spatial.neighbors")) {
        long start = System.nanoTime();
        // One more count than points, left 0: its exclusive prefix sum is the total.
        long counts = call.buffer(4L * (size + 1));
        call.fill(counts, 0, 4L * (size + 1));
        int cap = listSlot();
        long lists = call.buffer(4L * size * cap);
        long overflow = call.buffer(4L * size);
        long overflowCount = call.buffer(4);
        call.fill(overflowCount, 0, 4);
        call.launch(structure(call.kernel(SOURCE, searchOptions(), "neighbors_fill")).f32(a, radius).i32(a + 1, cap)
            .mem(a + 2, counts).mem(a + 3, lists).mem(a + 4, overflow).mem(a + 5, overflowCount),
            new long[] {(size + fillGroup - 1L) / fillGroup * fillGroup}, new long[] {fillGroup});
        long counted = phase(call);
        long offsetBuffer = scan(call, counts, size + 1);
        long scanned = phase(call);
        int[] offsets = call.downloadInts(offsetBuffer, size + 1);
        checkOffsets(offsets);
        int total = offsets[size];
        int overflowed = call.readInt(overflowCount, 0);
        long summed = phase(call);
        long indices = call.buffer(4L * total);
        if (cap > 0) {
          call.launch(call.kernel(SOURCE, options, "sort_lists").i32(0, size).mem(1, placeOf).mem(2, lists)
              .mem(3, offsetBuffer).mem(4, indices), new long[] {(size + fillGroup - 1L) / fillGroup * fillGroup},
              new long[] {fillGroup});
        }
        long sorted = phase(call);
        if (overflowed > 0) {
          launch(call, structure(call.kernel(SOURCE, searchOptions(), "neighbors_overflow")).f32(a, radius)
              .mem(a + 1, overflow).i32(a + 2, overflowed).mem(a + 3, offsetBuffer).mem(a + 4, indices), overflowed);
        }
        long filled = phase(call);
        Csr csr = new Csr(offsets, call.downloadInts(indices, total));
        if (TRACE) {
          System.err.printf(java.util.Locale.ROOT, "spatial search of %d points: search and count kernel %.2f ms,"
              + " offsets scan %.2f ms, offsets down %.2f ms, sort kernel %.2f ms, %d overflowing lists %.2f ms, %d"
              + " indices down %.2f ms%n", size, (counted - start) * 1e-6, (scanned - counted) * 1e-6,
              (summed - scanned) * 1e-6, (sorted - summed) * 1e-6, overflowed, (filled - sorted) * 1e-6, total,
              (System.nanoTime() - filled) * 1e-6);
        }
        return csr;
      }
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Each row searched at its own radius: a count pass, the rows' offsets by a prefix sum on the device, and a pass
   * that writes and sorts each row at its offset. The work follows each radius (one large radius among small ones
   * costs only its own point's search).
   */
  @Override
  public Csr neighborsWithin(int[] points, float[] radii) {
    lock.readLock().lock();
    try {
      checkOpen();
      int rows = points.length;
      if (rows == 0) return new Csr(new int[1], new int[0]);
      int a = STRUCTURE_ARGS;
      try (ClCall call = context.begin("spatial.neighborsEach")) {
        long pointBuffer = call.upload(points);
        long radiusBuffer = call.upload(radii);
        // One more count than rows, left 0: its exclusive prefix sum is the total.
        long counts = call.buffer(4L * (rows + 1));
        call.fill(counts, 0, 4L * (rows + 1));
        launch(call, structure(call.kernel(SOURCE, searchOptions(), "neighbors_each_count")).mem(a, placeOf)
            .mem(a + 1, pointBuffer).mem(a + 2, radiusBuffer).i32(a + 3, rows).mem(a + 4, counts), rows);
        long offsetBuffer = scan(call, counts, rows + 1);
        int[] offsets = call.downloadInts(offsetBuffer, rows + 1);
        checkOffsets(offsets);
        int total = offsets[rows];
        long indices = call.buffer(4L * total);
        launch(call, structure(call.kernel(SOURCE, searchOptions(), "neighbors_each_list")).mem(a, placeOf)
            .mem(a + 1, pointBuffer).mem(a + 2, radiusBuffer).i32(a + 3, rows).mem(a + 4, offsetBuffer)
            .mem(a + 5, indices), rows);
        return new Csr(offsets, call.downloadInts(indices, total));
      }
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Offsets summed in int on the device wrap past 2^31 − 1 pairs (each count is below 2^28, so a wrap shows as a
   * decrease), and a total past the largest Java array cannot be one list: either is an error of the request, as on
   * the CPU ({@link ArithmeticException}, from {@link SpatialOp#checkPairs}), not of the device.
   */
  static void checkOffsets(int[] offsets) {
    for (int i = 0; i + 1 < offsets.length; i++) {
      if (offsets[i + 1] < offsets[i]) SpatialOp.checkPairs(-1);
    }
    SpatialOp.checkPairs(offsets[offsets.length - 1]);
  }

  /** The search of {@link #neighborsWithin} counting only: no lists are built or moved, only a count per point. */
  @Override
  public int[] neighborCounts(float radius) {
    lock.readLock().lock();
    try {
      checkOpen();
      if (size == 0) return new int[0];
      int a = STRUCTURE_ARGS;
      try (ClCall call = context.begin("spatial.counts")) {
        long start = System.nanoTime();
        long counts = call.buffer(4L * size);
        launch(call, structure(call.kernel(SOURCE, countOptions(), "neighbors_count")).f32(a, radius)
            .mem(a + 1, counts), size);
        long counted = phase(call);
        int[] result = call.downloadInts(counts, size);
        if (TRACE) {
          System.err.printf(java.util.Locale.ROOT, "spatial counts of %d points: count kernel %.2f ms, counts down %.2f"
              + " ms%n", size, (counted - start) * 1e-6, (System.nanoTime() - counted) * 1e-6);
        }
        return result;
      }
    } finally {
      lock.readLock().unlock();
    }
  }

  @Override
  public float[] positions() {
    lock.readLock().lock();
    try {
      checkOpen();
      if (size == 0) return new float[0];
      try (ClCall call = context.begin("spatial.positions")) {
        return call.downloadFloats(positions, size * dims);
      }
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * The positions in cell order and the permutation, copied on the device into resident arrays of this context's store
   * (nothing crosses the bus); the caller owns them.
   */
  @Override
  public ResidentCellOrder cellOrder() {
    lock.readLock().lock();
    try {
      checkOpen();
      ClResidentStore store = context.residents;
      // Placed before the copy's call takes a queue: placing may evict, which takes one.
      ClResident sorted = store.allocateArrayFor(dev.pincette.spi.KernelArg.Type.FLOAT, size * dims);
      ClResident places;
      try {
        places = store.allocateArrayFor(dev.pincette.spi.KernelArg.Type.INT, size);
      } catch (RuntimeException e) {
        abandon(sorted, true);
        throw e;
      }
      boolean drained = false;
      try {
        drained = runDrained("spatial.cellOrder", call -> {
          call.queue.copy(sortedPositions, sorted.buffer, 4L * size * dims, call.op);
          call.queue.copy(order, places.buffer, 4L * size, call.op);
        });
      } catch (RuntimeException e) {
        abandon(sorted, drained);
        abandon(places, drained);
        throw e;
      }
      store.unpin(sorted);
      store.unpin(places);
      return new ResidentCellOrder(sorted, places);
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * {@link #neighborsWithin(float)} into resident arrays of this context's store: the offsets are summed into one and
   * the lists sorted into the other, on the device, and only the total, the count of long lists and a flag for a sum
   * past 2^31 - 1 come back. The caller owns them.
   */
  @Override
  public ResidentCsr neighborsWithinResident(float radius) {
    lock.readLock().lock();
    try {
      checkOpen();
      ClResidentStore store = context.residents;
      if (size == 0) return new ResidentCsr(store.uploadArray(new int[1]), store.uploadArray(new int[0]));
      ClResident offsets = store.allocateArrayFor(dev.pincette.spi.KernelArg.Type.INT, size + 1);
      ClResident indices = null;
      int cap = listSlot();
      long[] leased = new long[3];
      boolean drained = true;
      try {
        int a = STRUCTURE_ARGS;
        int[] found = new int[2];
        drained = false;
        drained = runDrained("spatial.neighborsResident", call -> {
          long counts = call.buffer(4L * (size + 1));
          call.fill(counts, 0, 4L * (size + 1));
          long lists = leased[0] = call.lease(4L * size * cap);
          long overflow = leased[1] = call.lease(4L * size);
          long overflowCount = leased[2] = call.lease(4);
          call.fill(overflowCount, 0, 4);
          call.launch(structure(call.kernel(SOURCE, searchOptions(), "neighbors_fill")).f32(a, radius).i32(a + 1, cap)
              .mem(a + 2, counts).mem(a + 3, lists).mem(a + 4, overflow).mem(a + 5, overflowCount),
              new long[] {(size + fillGroup - 1L) / fillGroup * fillGroup}, new long[] {fillGroup});
          scan(call, counts, size + 1, offsets.buffer);
          long decreased = call.buffer(4);
          call.fill(decreased, 0, 4);
          launch(call, call.kernel(SOURCE, options, "offsets_decrease").i32(0, size + 1).mem(1, offsets.buffer)
              .mem(2, decreased), size + 1);
          if (call.readInt(decreased, 0) != 0) SpatialOp.checkPairs(-1);
          found[0] = call.readInt(offsets.buffer, size);
          found[1] = call.readInt(overflowCount, 0);
        });
        int total = found[0];
        int overflowed = found[1];
        SpatialOp.checkPairs(total);
        indices = store.allocateArrayFor(dev.pincette.spi.KernelArg.Type.INT, total);
        long into = indices.buffer;
        drained = false;
        drained = runDrained("spatial.neighborsResident", call -> {
          if (cap > 0) {
            call.launch(call.kernel(SOURCE, options, "sort_lists").i32(0, size).mem(1, placeOf).mem(2, leased[0])
                .mem(3, offsets.buffer).mem(4, into), new long[] {(size + fillGroup - 1L) / fillGroup * fillGroup},
                new long[] {fillGroup});
          }
          if (overflowed > 0) {
            launch(call, structure(call.kernel(SOURCE, searchOptions(), "neighbors_overflow")).f32(a, radius)
                .mem(a + 1, leased[1]).i32(a + 2, overflowed).mem(a + 3, offsets.buffer).mem(a + 4, into),
                overflowed);
          }
        });
        store.unpin(offsets);
        store.unpin(indices);
        return new ResidentCsr(offsets, indices);
      } catch (RuntimeException e) {
        abandon(offsets, drained);
        if (indices != null) abandon(indices, drained);
        throw e;
      } finally {
        // A queue that could not be drained may still write the lists: those buffers are freed, not reused.
        if (drained) context.releaseBuffers(leased);
        else context.discardBuffers(leased);
      }
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Runs {@code work} in a call of its own; whether its commands were all known complete when it ended. Throws what
   * {@code work} threw, or {@link BackendException} when the queue could not be drained.
   */
  private boolean runDrained(String op, java.util.function.Consumer<ClCall> work) {
    ClCall call = context.begin(op);
    try {
      work.accept(call);
    } finally {
      call.close();
    }
    if (!call.completed()) {
      throw new BackendException("the commands of " + op + " did not complete: the OpenCL queue could not be drained");
    }
    return true;
  }

  /**
   * Gives up a resident this index was writing (pinned once for it). Unless its call was {@code drained}, commands
   * may still write its buffer, which is then freed rather than reused.
   */
  private void abandon(ClResident r, boolean drained) {
    if (drained) {
      context.residents.unpin(r);
      r.close();
    } else {
      context.residents.abandonUndrained(r);
    }
  }

  /**
   * Rebuilds from {@code newPositions}: when it is a resident array of this context, from its device copy (checked for
   * finite values there first, so that nothing moves when one is not), else from its host array.
   */
  @Override
  public void update(dev.pincette.spi.Resident newPositions) {
    if (!(newPositions instanceof ClResident r) || r.store != context.residents) {
      SpatialIndex.super.update(newPositions);
      return;
    }
    ClResidentStore store = context.residents;
    store.settle(r);
    long from = store.pin(r);
    try {
      lock.writeLock().lock();
      try {
        checkOpen();
        if (size == 0) return;
        checkFinite(from);
        runOrClose("spatial.update", call -> rebuild(call, null, from));
      } finally {
        lock.writeLock().unlock();
      }
    } finally {
      store.unpin(r);
    }
  }

  /** Throws {@link IllegalArgumentException} naming the first coordinate in {@code buffer} that is not finite. */
  private void checkFinite(long buffer) {
    int values = size * dims;
    try (ClCall call = context.begin("spatial.check")) {
      long first = call.buffer(4);
      call.fill(first, Integer.MAX_VALUE, 4);
      launch(call, call.kernel(SOURCE, options, "first_not_finite").i32(0, values).mem(1, buffer).mem(2, first),
          values);
      int bad = call.readInt(first, 0);
      if (bad != Integer.MAX_VALUE) {
        float value = call.readSmall(buffer, 4L * bad, 4).getFloat(0);
        throw new IllegalArgumentException("spatial: coordinate " + (bad % dims) + " of point " + (bad / dims)
            + " is not finite: " + value);
      }
    }
  }

  /**
   * Rebuilds on the device. One that fails midway leaves a half-built structure (new positions, old runs): the index
   * closes before it gives up the write lock, so that readers waiting for it fail (and their map runs them again on
   * the index that replaces this one) instead of reading it.
   */
  @Override
  public void update(float[] newPositions) {
    lock.writeLock().lock();
    try {
      checkOpen();
      if (size > 0) runOrClose("spatial.update", call -> rebuild(call, newPositions, 0));
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** The device buffers the index holds now (0 for those it has not leased), for tests. */
  long[] buffers() {
    lock.readLock().lock();
    try {
      return buffersHeld();
    } finally {
      lock.readLock().unlock();
    }
  }

  private void checkOpen() {
    if (closed) throw new BackendException("the OpenCL spatial index is closed");
  }

  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      if (closed) return;
      closed = true;
      releaseBuffers();
    } finally {
      lock.writeLock().unlock();
    }
  }

  private void releaseBuffers() {
    context.releaseBuffers(buffersHeld());
    positions = sortedPositions = placeOf = keys = order = table = cellEnd = gridStart = 0;
  }

  private long[] buffersHeld() {
    return new long[] {positions, sortedPositions, placeOf, keys, order, table, cellEnd, gridStart};
  }
}
