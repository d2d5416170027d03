package dev.pincette.spatial;

import dev.pincette.DeviceArray;

/**
 * A map's points grouped by cell, where the map lives: {@link #positions()} holds point {@code order()[k]}'s
 * coordinates at place {@code k}. The points of one cell are consecutive and neighbouring cells mostly near each
 * other (the order of the cells is the backend's own), so a kernel that walks places in order reads space in order;
 * {@code order} maps a place back to the point. A snapshot: a later {@link SpatialHashMap#update} does not change it.
 * The caller closes it (both arrays with it).
 */
public final class CellOrder implements AutoCloseable {
  private final DeviceArray<float[]> positions;
  private final DeviceArray<int[]> order;
  private final int dims;

  CellOrder(DeviceArray<float[]> positions, DeviceArray<int[]> order, int dims) {
    this.positions = positions;
    this.order = order;
    this.dims = dims;
  }

  /** Coordinates in cell order, {@code dims()} per place. */
  public DeviceArray<float[]> positions() {
    return positions;
  }

  /** The point at each place: a permutation of {@code [0, size)}. */
  public DeviceArray<int[]> order() {
    return order;
  }

  public int dims() {
    return dims;
  }

  /** Frees both arrays; idempotent. */
  @Override
  public void close() {
    try {
      positions.close();
    } finally {
      order.close();
    }
  }
}
