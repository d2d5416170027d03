package dev.pincette.cpu;

/**
 * Inner loops without the Vector API, for JVMs started without {@code --add-modules jdk.incubator.vector}. Written
 * so that C2's auto-vectoriser can still use SIMD for the innermost loops.
 */
final class ScalarKernels {
  static final int MR = 6;
  static final int NR = 16;
  /** Float terms per accumulator before spilling to float64 (see {@link VectorKernels}). */
  private static final int BLOCK_STEPS = 8;

  private ScalarKernels() {}

  static void directRows(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int i0, int i1, int k, int n) {
    for (int i = i0; i < i1; i++) {
      int cRow = cOff + i * n;
      int aRow = aOff + i * k;
      for (int p = 0; p < k; p++) {
        float aip = a[aRow + p];
        int bRow = bOff + p * n;
        for (int j = 0; j < n; j++) c[cRow + j] += aip * b[bRow + j];
      }
    }
  }

  static double sum(float[] x, int from, int to) {
    float[] acc = new float[8];
    double total = 0;
    int i = from;
    int block = acc.length * BLOCK_STEPS;
    for (; i + block <= to; ) {
      for (int s = 0; s < BLOCK_STEPS; s++, i += acc.length) {
        for (int l = 0; l < acc.length; l++) acc[l] += x[i + l];
      }
      for (int l = 0; l < acc.length; l++) {
        total += acc[l];
        acc[l] = 0;
      }
    }
    for (; i < to; i++) total += x[i];
    return total;
  }

  static double dot(float[] x, float[] y, int from, int to) {
    double total = 0;
    for (int i = from; i < to; i++) total += (double) x[i] * y[i];
    return total;
  }

  static float min(float[] x, int from, int to) {
    float r = Float.POSITIVE_INFINITY;
    for (int i = from; i < to; i++) r = Math.min(r, x[i]);
    return r;
  }

  static float max(float[] x, int from, int to) {
    float r = Float.NEGATIVE_INFINITY;
    for (int i = from; i < to; i++) r = Math.max(r, x[i]);
    return r;
  }
}
