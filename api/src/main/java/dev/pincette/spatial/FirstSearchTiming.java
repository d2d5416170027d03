package dev.pincette.spatial;

import dev.pincette.internal.CallCost;
import dev.pincette.internal.Dispatcher;
import dev.pincette.spi.Resident;
import dev.pincette.spi.SpatialIndex;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A level's index that reports its build and its first search of every point to the cost model, as one call of the
 * spatial family: the family's curve (and the placement of a map) covers a build and one such search, while the
 * dispatched call is the build alone. Only a search at a radius up to the cell size counts, as in the calibration.
 * Every method delegates to the index.
 */
final class FirstSearchTiming implements SpatialIndex {
  private final SpatialIndex index;
  private final String backend;
  private final CallCost cost;
  private final float cellSize;
  /** Nanoseconds the build took, until the first search reports them; then 0. */
  private final AtomicLong buildNanos;

  FirstSearchTiming(SpatialIndex index, String backend, CallCost cost, float cellSize, long buildNanos) {
    this.index = index;
    this.backend = backend;
    this.cost = cost;
    this.cellSize = cellSize;
    this.buildNanos = new AtomicLong(buildNanos);
  }

  @Override
  public Csr neighborsWithin(float radius) {
    if (buildNanos.get() == 0 || radius > cellSize) return index.neighborsWithin(radius);
    long start = System.nanoTime();
    Csr found = index.neighborsWithin(radius);
    long searched = System.nanoTime() - start;
    long built = buildNanos.getAndSet(0);
    if (built > 0) Dispatcher.get().observed(backend, cost, (built + searched) * 1e-9);
    return found;
  }

  @Override
  public int size() {
    return index.size();
  }

  @Override
  public int dims() {
    return index.dims();
  }

  @Override
  public int[] query(float[] center, float radius) {
    return index.query(center, radius);
  }

  @Override
  public Csr neighborsWithin(int[] points, float[] radii) {
    return index.neighborsWithin(points, radii);
  }

  @Override
  public int[] neighborCounts(float radius) {
    return index.neighborCounts(radius);
  }

  @Override
  public void forEachPair(float radius, PairConsumer consumer) {
    index.forEachPair(radius, consumer);
  }

  @Override
  public void update(float[] newPositions) {
    buildNanos.set(0);
    index.update(newPositions);
  }

  @Override
  public void update(Resident newPositions) {
    buildNanos.set(0);
    index.update(newPositions);
  }

  @Override
  public float[] positions() {
    return index.positions();
  }

  @Override
  public ResidentCsr neighborsWithinResident(float radius) {
    return index.neighborsWithinResident(radius);
  }

  @Override
  public ResidentCellOrder cellOrder() {
    return index.cellOrder();
  }

  @Override
  public void close() {
    index.close();
  }
}
