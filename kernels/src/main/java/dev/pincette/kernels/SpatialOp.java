package dev.pincette.kernels;

import java.util.Arrays;
import java.util.Objects;

/**
 * Radius search among points in 2 or 3 dimensions, interleaved {@code x,y[,z]} per point: validation, the distance test
 * every backend must use, and brute-force references.
 *
 * <p>A point is within radius {@code r} of a center when {@code Σ (p_d − c_d)² ≤ r²}, each term computed in float64
 * from the float32 inputs, so points exactly on the sphere count and every backend agrees on the boundary.
 */
public final class SpatialOp {
  private SpatialOp() {}

  /** Checks a build's arguments; returns the positions' range, as {@link #checkPositions} does. */
  public static float[] checkBuild(float[] positions, int dims, float cellSize) {
    Objects.requireNonNull(positions, "spatial: positions is null");
    checkDims(dims);
    if (!(cellSize > 0) || !Float.isFinite(cellSize)) {
      throw new IllegalArgumentException("spatial: cellSize must be positive and finite, got " + cellSize);
    }
    return checkPositions(positions, dims);
  }

  /** Checks that {@code dims} is 2 or 3. */
  public static void checkDims(int dims) {
    if (dims != 2 && dims != 3) throw new IllegalArgumentException("spatial: dims must be 2 or 3, got " + dims);
  }

  /**
   * Checks that {@code positions} holds whole points of finite coordinates, and returns the least and the greatest
   * coordinate of any point on any axis, {@code {min, max}} ({@code {0, 0}} for none), found in the same pass: a map
   * needs the range at every update (see {@link #beyondKeyRange}), where a pass of its own read every coordinate again
   * (9-13 ms per 30M floats).
   */
  public static float[] checkPositions(float[] positions, int dims) {
    if (positions.length % dims != 0) {
      throw new IllegalArgumentException("spatial: positions length " + positions.length
          + " is not a multiple of dims " + dims);
    }
    if (positions.length == 0) return new float[2];
    float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < positions.length; i++) {
      float v = positions[i];
      if (!Float.isFinite(v)) {
        throw new IllegalArgumentException("spatial: coordinate " + (i % dims) + " of point " + (i / dims)
            + " is not finite: " + v);
      }
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    return new float[] {lo, hi};
  }

  /** Checks an update's positions; returns their range, as {@link #checkPositions} does. */
  public static float[] checkUpdate(float[] newPositions, int dims, int size) {
    Objects.requireNonNull(newPositions, "spatial: newPositions is null");
    if (newPositions.length != size * dims) {
      throw new IllegalArgumentException("spatial: update has length " + newPositions.length + ", wanted "
          + size + " points x " + dims + " = " + size * dims);
    }
    return checkPositions(newPositions, dims);
  }

  /** Checks a query's center (finite, {@code dims} coordinates) and radius. */
  public static void checkQuery(float[] center, int dims, float radius) {
    Objects.requireNonNull(center, "spatial: center is null");
    if (center.length != dims) {
      throw new IllegalArgumentException("spatial: center has " + center.length + " coordinates, wanted " + dims);
    }
    for (float c : center) {
      if (!Float.isFinite(c)) throw new IllegalArgumentException("spatial: center is not finite: " + c);
    }
    checkRadius(radius);
  }

  /** Checks that {@code radius} is finite and not negative. */
  public static void checkRadius(float radius) {
    if (!(radius >= 0) || !Float.isFinite(radius)) {
      throw new IllegalArgumentException("spatial: radius must be finite and ≥ 0, got " + radius);
    }
  }

  /** Checks per-point radii: one finite, non-negative radius per point. */
  public static void checkRadii(float[] radii, int size) {
    Objects.requireNonNull(radii, "spatial: radii is null");
    if (radii.length != size) {
      throw new IllegalArgumentException("spatial: got " + radii.length + " radii for " + size + " points");
    }
    for (int i = 0; i < radii.length; i++) {
      if (!(radii[i] >= 0) || !Float.isFinite(radii[i])) {
        throw new IllegalArgumentException("spatial: radius " + i + " must be finite and ≥ 0, got " + radii[i]);
      }
    }
  }

  /** Checks the cell sizes of a map's levels: at least one, each positive and finite, strictly ascending. */
  public static void checkCellSizes(float[] cellSizes) {
    Objects.requireNonNull(cellSizes, "spatial: cellSizes is null");
    if (cellSizes.length == 0) throw new IllegalArgumentException("spatial: no cell sizes given");
    for (int i = 0; i < cellSizes.length; i++) {
      if (!(cellSizes[i] > 0) || !Float.isFinite(cellSizes[i])) {
        throw new IllegalArgumentException("spatial: cellSize must be positive and finite, got " + cellSizes[i]);
      }
      if (i > 0 && !(cellSizes[i] > cellSizes[i - 1])) {
        throw new IllegalArgumentException("spatial: cell sizes must ascend, got " + cellSizes[i - 1] + " then "
            + cellSizes[i]);
      }
    }
  }

  /**
   * The offsets of neighbour lists of {@code counts[i]} pairs each ({@code offsets[i + 1] = offsets[i] + counts[i]},
   * summed in long): more pairs than one list holds are an {@link ArithmeticException} (see {@link #checkPairs}).
   */
  public static int[] offsets(int[] counts) {
    int[] offsets = new int[counts.length + 1];
    long total = 0;
    for (int i = 0; i < counts.length; i++) {
      total += counts[i];
      offsets[i + 1] = checkPairs(total);
    }
    return offsets;
  }

  /**
   * {@code total} neighbour pairs as an int, or an {@link ArithmeticException} when one list cannot hold them: more
   * than {@link Elements#MAX}, the largest Java array, on every backend (a total between that and 2^31 − 1 once
   * became an OutOfMemoryError, and a sum in int past it a negative array size).
   */
  public static int checkPairs(long total) {
    if (total < 0 || total > Elements.MAX) {
      throw new ArithmeticException("spatial: more than " + Elements.MAX + " neighbour pairs do not fit one list");
    }
    return (int) total;
  }

  /**
   * Whether coordinates in {@code range} (from {@link #checkPositions}) reach cells beyond those the keys hold
   * (2^21 per axis in 3D, 2^31 in 2D, around the origin; see {@link CellKeys}): such points share the boundary cells,
   * so answers stay exact but searches near them visit many more points.
   */
  public static boolean beyondKeyRange(float[] range, int dims, float cellSize) {
    return CellKeys.cell(range[0], cellSize, dims) == 0
        || CellKeys.cell(range[1], cellSize, dims) == CellKeys.maxCell(dims);
  }

  /** Brute force: for every point the other points within its own radius, ascending, as lists. */
  public static int[][] neighborsReference(float[] positions, int dims, float[] radii) {
    int n = positions.length / dims;
    int[][] out = new int[n][];
    int[] scratch = new int[n];
    for (int i = 0; i < n; i++) {
      double r2 = (double) radii[i] * radii[i];
      int count = 0;
      for (int j = 0; j < n; j++) {
        if (j != i && distanceSquared(positions, dims, i, j) <= r2) scratch[count++] = j;
      }
      out[i] = Arrays.copyOf(scratch, count);
    }
    return out;
  }

  /** The one distance test: squared float64 distance between point {@code i} and {@code center}. */
  public static double distanceSquared(float[] positions, int dims, int i, float[] center) {
    double s = 0;
    for (int d = 0; d < dims; d++) {
      double diff = (double) positions[i * dims + d] - center[d];
      s += diff * diff;
    }
    return s;
  }

  /** Squared float64 distance between points {@code i} and {@code j}. */
  public static double distanceSquared(float[] positions, int dims, int i, int j) {
    double s = 0;
    for (int d = 0; d < dims; d++) {
      double diff = (double) positions[i * dims + d] - positions[j * dims + d];
      s += diff * diff;
    }
    return s;
  }

  /** Brute force: indices within {@code radius} of {@code center}, ascending. */
  public static int[] queryReference(float[] positions, int dims, float[] center, float radius) {
    double r2 = (double) radius * radius;
    int n = positions.length / dims;
    int[] out = new int[n];
    int count = 0;
    for (int i = 0; i < n; i++) {
      if (distanceSquared(positions, dims, i, center) <= r2) out[count++] = i;
    }
    return Arrays.copyOf(out, count);
  }

  /** Brute force: for every point the other points within {@code radius}, ascending, as lists. */
  public static int[][] neighborsReference(float[] positions, int dims, float radius) {
    double r2 = (double) radius * radius;
    int n = positions.length / dims;
    int[][] out = new int[n][];
    int[] scratch = new int[n];
    for (int i = 0; i < n; i++) {
      int count = 0;
      for (int j = 0; j < n; j++) {
        if (j != i && distanceSquared(positions, dims, i, j) <= r2) scratch[count++] = j;
      }
      out[i] = Arrays.copyOf(scratch, count);
    }
    return out;
  }
}
