package dev.pincette.spatial;

import java.util.Arrays;

/**
 * Neighbour lists of every point in compressed sparse rows: the neighbours of point {@code i} are
 * {@code indices()[offsets()[i] .. offsets()[i+1])}, ascending. Immutable.
 */
public final class Neighbors {
  private final int[] offsets;
  private final int[] indices;

  Neighbors(int[] offsets, int[] indices) {
    this.offsets = offsets;
    this.indices = indices;
  }

  /** Number of points, i.e. {@code offsets().length - 1}. */
  public int size() {
    return offsets.length - 1;
  }

  /** A copy of the offsets, length {@code size()+1}. */
  public int[] offsets() {
    return offsets.clone();
  }

  /** A copy of all neighbour indices. */
  public int[] indices() {
    return indices.clone();
  }

  /** Total number of (ordered) neighbour pairs. */
  public int totalPairs() {
    return indices.length;
  }

  /** Number of neighbours of point {@code i}. */
  public int count(int i) {
    check("count", i);
    return offsets[i + 1] - offsets[i];
  }

  /** The neighbours of point {@code i}, ascending (a copy). */
  public int[] of(int i) {
    check("of", i);
    return Arrays.copyOfRange(indices, offsets[i], offsets[i + 1]);
  }

  private void check(String op, int i) {
    if (i < 0 || i >= size()) {
      throw new IndexOutOfBoundsException(op + ": point " + i + " is not in [0, " + size() + ")");
    }
  }
}
