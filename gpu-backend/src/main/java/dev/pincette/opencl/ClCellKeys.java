package dev.pincette.opencl;

/**
 * The host half of the cell keys in {@code spatial.cl}, identical to the CPU backend's {@code CellKeys}: the biased
 * integer cell of a coordinate, clamped so that keys stay monotone in each coordinate.
 */
final class ClCellKeys {
  private static final long BIAS_3D = 1L << 20;
  private static final long BIAS_2D = 1L << 30;

  private ClCellKeys() {}

  static long cell(double v, double cellSize, int dims) {
    long bias = dims == 3 ? BIAS_3D : BIAS_2D;
    double c = Math.floor(v / cellSize);
    if (c < -bias) return 0;
    if (c >= bias - 1) return 2 * bias - 1;
    return (long) c + bias;
  }
}
