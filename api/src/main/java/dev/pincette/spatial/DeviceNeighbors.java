package dev.pincette.spatial;

import dev.pincette.DeviceArray;

/**
 * {@link Neighbors} kept where the map lives, as resident arrays that kernels read in place: on a GPU the lists never
 * cross the bus. The neighbours of point {@code i} are {@code indices[offsets[i] .. offsets[i+1])}, ascending, as in
 * {@link Neighbors}. The caller closes it (both arrays with it).
 *
 * <pre>{@code
 * static void density(int i, float h, float[] xy, int[] offsets, int[] indices, float[] rho) { ... }
 *
 * try (DeviceNeighbors nb = map.neighborsWithinResident(h)) {
 *   Compute.forEach(n, Fluid::density, h, xy, nb.offsets(), nb.indices(), rho);
 * }
 * }</pre>
 */
public final class DeviceNeighbors implements AutoCloseable {
  private final DeviceArray<int[]> offsets;
  private final DeviceArray<int[]> indices;

  DeviceNeighbors(DeviceArray<int[]> offsets, DeviceArray<int[]> indices) {
    this.offsets = offsets;
    this.indices = indices;
  }

  /** Number of points: {@code offsets().length() - 1}. */
  public int size() {
    return offsets.length() - 1;
  }

  /** Total number of (ordered) neighbour pairs: {@code indices().length()}. */
  public int totalPairs() {
    return indices.length();
  }

  /** Where each point's list starts, and one more entry: the end of the last. */
  public DeviceArray<int[]> offsets() {
    return offsets;
  }

  /** Every list, one after another. */
  public DeviceArray<int[]> indices() {
    return indices;
  }

  /** The backend holding the lists, e.g. {@code opencl}. */
  public String backend() {
    return offsets.backend();
  }

  /** The lists on the host, as {@link Neighbors}. */
  public Neighbors download() {
    return new Neighbors(offsets.download(), indices.download());
  }

  /** Frees both arrays; idempotent. */
  @Override
  public void close() {
    try {
      offsets.close();
    } finally {
      indices.close();
    }
  }
}
