package dev.pincette.examples.check;

import dev.pincette.kernels.MatmulOp;
import dev.pincette.kernels.ReduceOp;
import java.util.Arrays;

/**
 * Results compared with the float64 references of {@code kernels}, within the accuracy Pincette documents: each
 * returns null when the result is right, else one line saying where it is not.
 */
public final class Checks {
  private Checks() {}

  /** {@code c} against {@code a · b} within {@link MatmulOp#errorBound}; NaN and infinities where the reference has. */
  public static String product(float[] a, float[] b, int m, int k, int n, float[] c) {
    if (c.length != m * n) return "result has " + c.length + " values, wanted " + m * n;
    double[] ref = MatmulOp.reference(a, b, m, k, n);
    double[] bound = MatmulOp.errorBound(a, b, m, k, n);
    double unit = (k + 2) * MatmulOp.FLOAT_EPS;
    for (int i = 0; i < c.length; i++) {
      // Terms summing past the float range may overflow in float32 where the float64 reference does not.
      boolean overflows = bound[i] / unit >= Float.MAX_VALUE && !Float.isFinite(c[i]);
      if (!overflows && !close(c[i], ref[i], bound[i])) {
        return m + "x" + k + " · " + k + "x" + n + ": element (" + i / n + "," + i % n + ") = " + c[i]
            + ", reference " + ref[i] + " ± " + bound[i];
      }
    }
    return null;
  }

  /**
   * {@code d = (a · b) · e} computed on a device from its own float32 {@code a · b}: the float32 product's error
   * carried through {@code e}, plus the second product's own bound.
   */
  public static String chain(float[] a, float[] b, float[] e, int m, int k, int n, int p, float[] d) {
    double[] c = MatmulOp.reference(a, b, m, k, n);
    double[] cError = MatmulOp.errorBound(a, b, m, k, n);
    double[] ref = new double[m * p];
    double[] bound = new double[m * p];
    double unit = (n + 2) * MatmulOp.FLOAT_EPS;
    for (int i = 0; i < m; i++) {
      for (int q = 0; q < n; q++) {
        double ciq = c[i * n + q];
        double reach = Math.abs(ciq) + cError[i * n + q];
        for (int j = 0; j < p; j++) {
          double eqj = e[q * p + j];
          ref[i * p + j] += ciq * eqj;
          bound[i * p + j] += cError[i * n + q] * Math.abs(eqj) + unit * reach * Math.abs(eqj);
        }
      }
    }
    for (int i = 0; i < d.length; i++) {
      bound[i] += (n + 2) * 0x1p-149;   // the second product's rounding among the subnormals (see MatmulOp.errorBound)
      if (!close(d[i], ref[i], bound[i])) {
        return "chain " + m + "x" + k + " · " + k + "x" + n + " · " + n + "x" + p + ": element " + i + " = " + d[i]
            + ", reference " + ref[i] + " ± " + bound[i];
      }
    }
    return null;
  }

  /** A sum or dot product within 1e-6 of the sum of absolute terms (the documented contract). */
  public static String sum(String op, double reference, double scale, double got) {
    if (Double.isNaN(reference)) return Double.isNaN(got) ? null : op + " = " + got + ", reference NaN";
    if (Double.isInfinite(reference)) return got == reference ? null : op + " = " + got + ", reference " + reference;
    return Math.abs(got - reference) <= ReduceOp.SUM_TOLERANCE * scale ? null
        : op + " = " + got + ", reference " + reference + " ± " + ReduceOp.SUM_TOLERANCE * scale;
  }

  public static String same(String op, Object reference, Object got) {
    return reference.equals(got) ? null : op + " = " + got + ", reference " + reference;
  }

  public static String sameIndices(String op, int[] reference, int[] got) {
    return Arrays.equals(reference, got) ? null : op + ": " + abbreviate(got) + ", reference " + abbreviate(reference);
  }

  private static String abbreviate(int[] values) {
    String s = Arrays.toString(values);
    return s.length() > 200 ? s.substring(0, 200) + "…" : s;
  }

  /** Within {@code bound} of {@code reference}, or NaN where it is NaN, or the same infinity. */
  public static boolean close(float got, double reference, double bound) {
    if (Double.isNaN(reference)) return Float.isNaN(got);
    if (Double.isInfinite(reference)) return got == reference;
    return Math.abs(got - reference) <= bound;
  }
}
