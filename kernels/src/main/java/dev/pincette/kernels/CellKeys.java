package dev.pincette.kernels;

/**
 * Cell keys of the spatial hash, the same on every backend (the OpenCL kernels in {@code spatial.cl} mirror them): the integer cell of each coordinate, clamped and packed into one non-negative long.
 * Clamping keeps the key monotone in each coordinate, so a query's cell range still covers every point within its
 * radius; points beyond the clamp (about 10^6 cells from the origin in 3D) only share boundary cells.
 */
public final class CellKeys {
  /** The key of no cell: an empty slot of a hash table. */
  public static final long EMPTY = -1L;
  private static final long BIAS_3D = 1L << 20;
  private static final long BIAS_2D = 1L << 30;

  private CellKeys() {}

  /** Biased cell index of coordinate {@code v}: monotone non-decreasing in {@code v}. */
  public static long cell(double v, double cellSize, int dims) {
    long bias = dims == 3 ? BIAS_3D : BIAS_2D;
    double c = Math.floor(v / cellSize);
    if (c < -bias) return 0;
    if (c >= bias - 1) return 2 * bias - 1;
    return (long) c + bias;
  }

  /** Largest biased cell index per dimension. */
  public static long maxCell(int dims) {
    return dims == 3 ? 2 * BIAS_3D - 1 : 2 * BIAS_2D - 1;
  }

  /** Biased cell index of dimension {@code d} in {@code key}. */
  public static long coord(long key, int d, int dims) {
    int bits = dims == 3 ? 21 : 31;
    return (key >>> (bits * d)) & ((1L << bits) - 1);
  }

  /** The key of the cell with biased indices {@code cx, cy[, cz]}. */
  public static long pack(long cx, long cy, long cz, int dims) {
    return dims == 3 ? cx | (cy << 21) | (cz << 42) : cx | (cy << 31);
  }

  /** The key of the cell holding point {@code i} of {@code positions}. */
  public static long keyOf(float[] positions, int dims, int i, double cellSize) {
    int o = i * dims;
    long cx = cell(positions[o], cellSize, dims);
    long cy = cell(positions[o + 1], cellSize, dims);
    long cz = dims == 3 ? cell(positions[o + 2], cellSize, dims) : 0;
    return pack(cx, cy, cz, dims);
  }

  /** Murmur3's 64-bit finaliser: neighbouring cells land far apart in the table. */
  public static int hash(long key) {
    key ^= key >>> 33;
    key *= 0xff51afd7ed558ccdL;
    key ^= key >>> 33;
    key *= 0xc4ceb9fe1a85ec53L;
    key ^= key >>> 33;
    return (int) key;
  }
}
