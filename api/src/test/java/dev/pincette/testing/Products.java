package dev.pincette.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.kernels.MatmulOp;
import java.util.SplittableRandom;

/** Operands and the check every product test shares: uniform values in [-1, 1), and the float64 reference's bound. */
public final class Products {
  private Products() {}

  /** {@code n} values uniform in [-1, 1) from {@code seed}. */
  public static float[] random(int n, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
    return x;
  }

  /** Every element of {@code c} within {@link MatmulOp#errorBound} of the float64 reference {@code a · b}. */
  public static void assertProduct(float[] a, float[] b, int m, int k, int n, float[] c) {
    double[] ref = MatmulOp.reference(a, b, m, k, n);
    double[] bound = MatmulOp.errorBound(a, b, m, k, n);
    assertEquals(ref.length, c.length);
    for (int i = 0; i < c.length; i++) {
      assertTrue(Math.abs(c[i] - ref[i]) <= bound[i], "element " + i + ": " + c[i] + " vs " + ref[i]);
    }
  }
}
