package dev.pincette.spi;

/**
 * A backend's spatial hash over points it owns. Inputs arrive validated. Implementations must allow concurrent
 * queries and serialise {@link #update} against them.
 */
public interface SpatialIndex extends AutoCloseable {
  int size();

  int dims();

  /** Indices within {@code radius} (inclusive) of {@code center}, ascending. */
  int[] query(float[] center, float radius);

  /** For every point the other points within {@code radius}, ascending per point. */
  Csr neighborsWithin(float radius);

  /** Moves every point; {@code newPositions} is a private copy the index may keep. */
  void update(float[] newPositions);

  @Override
  void close();

  /** Compressed sparse rows: the neighbours of point {@code i} are {@code indices[offsets[i] .. offsets[i+1])}. */
  record Csr(int[] offsets, int[] indices) {}
}
