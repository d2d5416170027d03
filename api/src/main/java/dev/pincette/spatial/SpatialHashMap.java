package dev.pincette.spatial;

import dev.pincette.internal.CallCost;
import dev.pincette.internal.Dispatcher;
import dev.pincette.kernels.SpatialOp;
import dev.pincette.spi.BackendException;
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
 *   map.update(movedXyz);
 * }
 * }</pre>
 *
 * A cell size near the typical query radius is fastest.
 */
public final class SpatialHashMap implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("dev.pincette");
  /** Replaced by a CPU index if the device holding the map fails; guarded by {@code this} when replaced. */
  private volatile SpatialIndex index;
  private volatile String backend;
  /** The latest positions (a private copy), to rebuild on the CPU if the device fails. */
  private volatile float[] positions;
  private final float cellSize;

  private SpatialHashMap(SpatialIndex index, String backend, float[] positions, float cellSize) {
    this.index = index;
    this.backend = backend;
    this.positions = positions;
    this.cellSize = cellSize;
  }

  /**
   * Builds a map over {@code positions}, interleaved {@code x,y} or {@code x,y,z} per point (copied), with cubic cells
   * of edge {@code cellSize}.
   */
  public static SpatialHashMap build(float[] positions, int dims, float cellSize) {
    SpatialOp.checkBuild(positions, dims, cellSize);
    float[] own = positions.clone();
    String shape = (positions.length / dims) + " points, " + dims + "D";
    String[] placed = new String[1];
    int points = positions.length / dims;
    CallCost cost = new CallCost(CallCost.SPATIAL, points, 4L * positions.length, 0);
    SpatialIndex index = Dispatcher.get().run("spatial.build", shape, cost, be -> {
      placed[0] = be.name();
      return be.buildSpatial(own, dims, cellSize);
    });
    return new SpatialHashMap(index, placed[0], own, cellSize);
  }

  /** Number of points. */
  public int size() {
    return index.size();
  }

  public int dims() {
    return index.dims();
  }

  /** The backend holding the map, e.g. {@code cpu}. */
  public String backend() {
    return backend;
  }

  /** Indices of the points within {@code radius} of {@code center} (inclusive), ascending. */
  public int[] query(float[] center, float radius) {
    SpatialOp.checkQuery(center, index.dims(), radius);
    try {
      return index.query(center.clone(), radius);
    } catch (BackendException e) {
      return moveToCpu(e).query(center.clone(), radius);
    }
  }

  /** For every point, the other points within {@code radius} (inclusive), each list ascending. */
  public Neighbors neighborsWithin(float radius) {
    SpatialOp.checkRadius(radius);
    SpatialIndex.Csr csr;
    try {
      csr = index.neighborsWithin(radius);
    } catch (BackendException e) {
      csr = moveToCpu(e).neighborsWithin(radius);
    }
    return new Neighbors(csr.offsets(), csr.indices());
  }

  /** Moves the points to {@code newPositions} (same length as at build, copied). */
  public void update(float[] newPositions) {
    SpatialOp.checkUpdate(newPositions, index.dims(), index.size());
    float[] own = newPositions.clone();
    synchronized (this) {
      positions = own;
      try {
        index.update(own.clone());
      } catch (BackendException e) {
        moveToCpu(e);
      }
    }
  }

  /** The device failed: the map moves to the CPU, rebuilt from the latest positions, and stays there. */
  private synchronized SpatialIndex moveToCpu(BackendException cause) {
    SpatialIndex failed = index;
    if (backend.equals("cpu")) throw cause;
    LOG.log(System.Logger.Level.WARNING, "pincette: spatial map on " + backend + " failed, moved to cpu: "
        + cause.getMessage());
    index = Dispatcher.get().cpu().buildSpatial(positions.clone(), failed.dims(), cellSize);
    backend = "cpu";
    try {
      failed.close();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.DEBUG, "pincette: closing the failed map: " + e);
    }
    return index;
  }

  /** Releases the map's memory (device memory for a GPU map). */
  @Override
  public void close() {
    index.close();
  }
}
