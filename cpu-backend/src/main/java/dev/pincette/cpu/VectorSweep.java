package dev.pincette.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The candidate scan of {@link CellSweep} with the Vector API: a float32 distance test decides unless the sum lies
 * within 1e-5 of r² (relative), where the float64 test of the scalar scan decides, so the result is the same bit for
 * bit. The float sum is the exact one to within six roundings of 2^-24, all its terms being non-negative (the OpenCL
 * kernels use the same test). Loaded only when {@link VectorSupport#ENABLED}.
 */
final class VectorSweep {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());

  private VectorSweep() {}

  /**
   * Writes to {@code found} the {@code sorted} index of every candidate within {@code r2} of (px, py, pz), in order;
   * returns how many. {@code found} needs room for {@code n}: a vector's compressed store ends at most at its lane
   * {@code i + lanes ≤ n}.
   */
  static int scan(float[] x, float[] y, float[] z, int n, float px, float py, float pz, double r2, int[] sorted,
      int[] found) {
    // Outside [1e-30, 1e30] float underflow or overflow could matter: every candidate takes the exact test.
    boolean fast = r2 >= 1e-30 && r2 <= 1e30;
    float inside = fast ? (float) (r2 * (1 - 1e-5)) : -1f;
    float outside = fast ? (float) (r2 * (1 + 1e-5)) : Float.POSITIVE_INFINITY;
    FloatVector vx = FloatVector.broadcast(F, px);
    FloatVector vy = FloatVector.broadcast(F, py);
    FloatVector vz = FloatVector.broadcast(F, pz);
    int lanes = F.length();
    int count = 0;
    int i = 0;
    for (; i <= n - lanes; i += lanes) {
      FloatVector dx = FloatVector.fromArray(F, x, i).sub(vx);
      FloatVector dy = FloatVector.fromArray(F, y, i).sub(vy);
      FloatVector dz = FloatVector.fromArray(F, z, i).sub(vz);
      FloatVector sum = dx.mul(dx).add(dy.mul(dy)).add(dz.mul(dz));
      VectorMask<Float> notOutside = sum.compare(VectorOperators.LE, outside);
      if (!notOutside.anyTrue()) continue;
      long in = sum.compare(VectorOperators.LT, inside).toLong();
      for (long unsure = notOutside.toLong() & ~in; unsure != 0; unsure &= unsure - 1) {
        int lane = Long.numberOfTrailingZeros(unsure);
        if (exact(x, y, z, i + lane, px, py, pz, r2)) in |= 1L << lane;
      }
      if (in == 0) continue;
      IntVector.fromArray(I, sorted, i).compress(VectorMask.fromLong(I, in)).intoArray(found, count);
      count += Long.bitCount(in);
    }
    for (; i < n; i++) {
      found[count] = sorted[i];
      count += exact(x, y, z, i, px, py, pz, r2) ? 1 : 0;
    }
    return count;
  }

  /** The scalar scan's test: float64 differences of the float32 coordinates, summed in x, y, z order. */
  private static boolean exact(float[] x, float[] y, float[] z, int i, float px, float py, float pz, double r2) {
    double dx = (double) px - x[i], dy = (double) py - y[i], dz = (double) pz - z[i];
    return dx * dx + dy * dy + dz * dz <= r2;
  }
}
