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

  /** Checks the input of a map's build: 2 or 3 dimensions, finite coordinates, a positive finite cell size. */
  public static void checkBuild(float[] positions, int dims, float cellSize) {
    Objects.requireNonNull(positions, "spatial: positions is null");
    checkDims(dims);
    if (!(cellSize > 0) || !Float.isFinite(cellSize)) {
      throw new IllegalArgumentException("spatial: cellSize must be positive and finite, got " + cellSize);
    }
    checkPositions(positions, dims);
  }

  /** Checks that {@code dims} is 2 or 3. */
  public static void checkDims(int dims) {
    if (dims != 2 && dims != 3) throw new IllegalArgumentException("spatial: dims must be 2 or 3, got " + dims);
  }

  /** Checks that {@code positions} holds whole points of finite coordinates. */
  public static void checkPositions(float[] positions, int dims) {
    if (positions.length % dims != 0) {
      throw new IllegalArgumentException("spatial: positions length " + positions.length
          + " is not a multiple of dims " + dims);
    }
    for (int i = 0; i < positions.length; i++) {
      if (!Float.isFinite(positions[i])) {
        throw new IllegalArgumentException("spatial: coordinate " + (i % dims) + " of point " + (i / dims)
            + " is not finite: " + positions[i]);
      }
    }
  }

  /** Checks that an update moves each of the map's {@code size} points to finite coordinates. */
  public static void checkUpdate(float[] newPositions, int dims, int size) {
    Objects.requireNonNull(newPositions, "spatial: newPositions is null");
    if (newPositions.length != size * dims) {
      throw new IllegalArgumentException("spatial: update has length " + newPositions.length + ", wanted "
          + size + " points x " + dims + " = " + size * dims);
    }
    checkPositions(newPositions, dims);
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

  /** The least and the greatest coordinate of any point on any axis, {@code {min, max}}; {@code {0, 0}} for none. */
  public static float[] coordinateRange(float[] positions) {
    if (positions.length == 0) return new float[2];
    float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
    for (float v : positions) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    return new float[] {lo, hi};
  }

  /**
   * Whether coordinates in {@code range} (from {@link #coordinateRange}) reach cells beyond those the keys hold
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
