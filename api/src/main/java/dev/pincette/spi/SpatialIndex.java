package dev.pincette.spi;

/**
 * A backend's spatial hash over points it owns. Inputs arrive validated. Implementations must allow concurrent
 * queries and serialise {@link #update} against them.
 */
public interface SpatialIndex extends AutoCloseable {
  /** Number of points. */
  int size();

  /** Dimensions of the points: 2 or 3. */
  int dims();

  /** Indices within {@code radius} (inclusive) of {@code center}, ascending. */
  int[] query(float[] center, float radius);

  /**
   * For every point the other points within {@code radius}, ascending per point.
   *
   * @throws ArithmeticException when the pairs are more than one list holds ({@code SpatialOp.checkPairs}), on every
   *     backend alike
   */
  Csr neighborsWithin(float radius);

  /**
   * For each point {@code points[q]} (each point at most once), the other points within {@code radii[q]}, ascending:
   * row {@code q} of the result. Each row is searched at its own radius, so that one large radius costs only its
   * own point's search.
   */
  Csr neighborsWithin(int[] points, float[] radii);

  /**
   * How many other points lie within {@code radius} of each point. The default lists every pair with
   * {@link #neighborsWithin(float)} and counts the lists: memory for every pair, and its {@link ArithmeticException}
   * past one list's worth; an index that can count without listing overrides it.
   */
  default int[] neighborCounts(float radius) {
    int[] offsets = neighborsWithin(radius).offsets();
    int[] counts = new int[size()];
    for (int i = 0; i < counts.length; i++) counts[i] = offsets[i + 1] - offsets[i];
    return counts;
  }

  /**
   * Calls {@code consumer} once for every pair {@code i < j} within {@code radius}, on the calling thread, {@code i}
   * ascending and {@code j} ascending per {@code i}. The default lists every pair first with
   * {@link #neighborsWithin(float)} (memory for every pair, and its {@link ArithmeticException} past one list's worth);
   * indexes that can stream pairs override it and hold one point's list at a time.
   */
  default void forEachPair(float radius, dev.pincette.spatial.PairConsumer consumer) {
    Csr csr = neighborsWithin(radius);
    for (int i = 0; i < size(); i++) {
      for (int p = csr.offsets()[i]; p < csr.offsets()[i + 1]; p++) {
        int j = csr.indices()[p];
        if (j > i) consumer.accept(i, j);
      }
    }
  }

  /** Moves every point; {@code newPositions} is a private copy the index may keep. */
  void update(float[] newPositions);

  /**
   * Moves every point to {@code newPositions}, a resident of {@code size()·dims()} floats (validated but for its
   * values): where the index lives on the backend holding it, without bringing it to the host. The default reads its
   * host array, which must then be finite ({@link IllegalArgumentException} otherwise), as an index on host memory
   * does; a device checks the values there.
   */
  default void update(Resident newPositions) {
    float[] values = ((float[]) newPositions.hostArray()).clone();
    dev.pincette.kernels.SpatialOp.checkPositions(values, dims());
    update(values);
  }

  /** The points' current positions, a copy (from a device, a download). */
  float[] positions();

  /**
   * {@link #neighborsWithin(float)} as resident arrays on the backend holding the index, for kernels to read in place:
   * on a device the lists never leave it. The default wraps the lists as the CPU's residents (for indexes on host
   * memory). The caller owns (and closes) both.
   */
  default ResidentCsr neighborsWithinResident(float radius) {
    Csr csr = neighborsWithin(radius);
    return new ResidentCsr(new HostResident("cpu", csr.offsets()), new HostResident("cpu", csr.indices()));
  }

  /**
   * The points grouped by cell as the index holds them, as residents on its backend: {@code positions} holds point
   * {@code order[k]}'s coordinates at place {@code k}. Points of one cell are consecutive, and neighbouring cells
   * mostly near each other, so a kernel walking places in order reads space in order. The caller owns both.
   */
  ResidentCellOrder cellOrder();

  @Override
  void close();

  /** Compressed sparse rows: the neighbours of point {@code i} are {@code indices[offsets[i] .. offsets[i+1])}. */
  record Csr(int[] offsets, int[] indices) {}

  /** {@link Csr} as residents of ints: {@code offsets} has one entry more than there are points. */
  record ResidentCsr(Resident offsets, Resident indices) {}

  /** Positions in cell order ({@code dims} floats per point) and the permutation: place to point. */
  record ResidentCellOrder(Resident positions, Resident order) {}
}
