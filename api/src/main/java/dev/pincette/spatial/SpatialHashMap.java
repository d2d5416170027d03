package dev.pincette.spatial;

import dev.pincette.internal.CallCost;
import dev.pincette.internal.Dispatcher;
import dev.pincette.kernels.SpatialOp;
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
  private final SpatialIndex index;
  private final String backend;

  private SpatialHashMap(SpatialIndex index, String backend) {
    this.index = index;
    this.backend = backend;
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
    return new SpatialHashMap(index, placed[0]);
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
    return index.query(center.clone(), radius);
  }

  /** For every point, the other points within {@code radius} (inclusive), each list ascending. */
  public Neighbors neighborsWithin(float radius) {
    SpatialOp.checkRadius(radius);
    SpatialIndex.Csr csr = index.neighborsWithin(radius);
    return new Neighbors(csr.offsets(), csr.indices());
  }

  /** Moves the points to {@code newPositions} (same length as at build, copied). */
  public void update(float[] newPositions) {
    SpatialOp.checkUpdate(newPositions, index.dims(), index.size());
    index.update(newPositions.clone());
  }

  /** Releases the map's memory (device memory for a GPU map). */
  @Override
  public void close() {
    index.close();
  }
}
