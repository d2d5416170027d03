package dev.pincette.benchmarks;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * The textbook uniform grid, as a baseline for per-point radii: one level of cells as wide as the largest radius over
 * the points' box, points counted into cells (a counting sort), and every query scanning the 3×3×3 cells around its
 * point whatever its own radius. Lists are sorted and exact (squared float64 distances, radius inclusive), like
 * Pincette's, so the two outputs compare element for element.
 */
final class ClassicGrid {
  private final float[] xyz;
  private final double cell;
  private final double[] origin = new double[3];
  private final int[] size = new int[3];
  private final int[] cellStart;
  private final int[] members;
  /** Coordinates in member order, so that a cell's candidates are read from one place, as Pincette reads them. */
  private final float[] sorted;

  ClassicGrid(float[] xyz, float largestRadius) {
    this.xyz = xyz;
    this.cell = largestRadius;
    int n = xyz.length / 3;
    double[] hi = new double[3];
    Arrays.fill(origin, Double.POSITIVE_INFINITY);
    Arrays.fill(hi, Double.NEGATIVE_INFINITY);
    for (int i = 0; i < n; i++) {
      for (int d = 0; d < 3; d++) {
        origin[d] = Math.min(origin[d], xyz[3 * i + d]);
        hi[d] = Math.max(hi[d], xyz[3 * i + d]);
      }
    }
    for (int d = 0; d < 3; d++) size[d] = (int) Math.floor((hi[d] - origin[d]) / cell) + 1;
    int cells = size[0] * size[1] * size[2];
    int[] cellOf = new int[n];
    cellStart = new int[cells + 1];
    for (int i = 0; i < n; i++) {
      cellOf[i] = cellIndex(i);
      cellStart[cellOf[i] + 1]++;
    }
    for (int c = 0; c < cells; c++) cellStart[c + 1] += cellStart[c];
    int[] next = Arrays.copyOf(cellStart, cells);
    members = new int[n];
    for (int i = 0; i < n; i++) members[next[cellOf[i]]++] = i;
    sorted = new float[3 * n];
    for (int m = 0; m < n; m++) System.arraycopy(xyz, 3 * members[m], sorted, 3 * m, 3);
  }

  private int axisCell(int i, int d) {
    return (int) Math.floor((xyz[3 * i + d] - origin[d]) / cell);
  }

  private int cellIndex(int i) {
    return axisCell(i, 0) + size[0] * (axisCell(i, 1) + size[1] * axisCell(i, 2));
  }

  /** Every point's neighbours within its own radius (itself excluded): CSR offsets and indices, lists ascending. */
  int[][] neighborsWithin(float[] radii) {
    int n = radii.length;
    int[] counts = new int[n + 1];
    IntStream.range(0, n).parallel().forEach(i -> counts[i + 1] = visit(i, radii[i], null, 0));
    for (int i = 0; i < n; i++) counts[i + 1] += counts[i];
    int[] indices = new int[counts[n]];
    IntStream.range(0, n).parallel().forEach(i -> {
      visit(i, radii[i], indices, counts[i]);
      Arrays.sort(indices, counts[i], counts[i + 1]);
    });
    return new int[][] {counts, indices};
  }

  /** Counts point i's neighbours in the 27 cells around it, writing them from {@code at} when {@code out} is given. */
  private int visit(int i, float radius, int[] out, int at) {
    double r2 = (double) radius * radius;
    int cx = axisCell(i, 0);
    int cy = axisCell(i, 1);
    int cz = axisCell(i, 2);
    float px = xyz[3 * i];
    float py = xyz[3 * i + 1];
    float pz = xyz[3 * i + 2];
    int found = 0;
    for (int z = Math.max(cz - 1, 0); z <= Math.min(cz + 1, size[2] - 1); z++) {
      for (int y = Math.max(cy - 1, 0); y <= Math.min(cy + 1, size[1] - 1); y++) {
        for (int x = Math.max(cx - 1, 0); x <= Math.min(cx + 1, size[0] - 1); x++) {
          int c = x + size[0] * (y + size[1] * z);
          for (int m = cellStart[c]; m < cellStart[c + 1]; m++) {
            double dx = (double) sorted[3 * m] - px;
            double dy = (double) sorted[3 * m + 1] - py;
            double dz = (double) sorted[3 * m + 2] - pz;
            if (dx * dx + dy * dy + dz * dz <= r2 && members[m] != i) {
              if (out != null) out[at + found] = members[m];
              found++;
            }
          }
        }
      }
    }
    return found;
  }
}
