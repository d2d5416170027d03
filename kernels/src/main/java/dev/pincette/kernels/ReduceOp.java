package dev.pincette.kernels;

import java.util.Objects;

/**
 * Reductions over float32 arrays: validation, cost counts and float64 references. Semantics shared by every backend:
 * NaN propagates; sum and dot of nothing are 0; min, max, mean, argmin and argmax of nothing are errors; sum and dot
 * are within {@link #SUM_TOLERANCE}·Σ|terms| of the exact value.
 */
public enum ReduceOp {
  /** Σx. */
  SUM(1),
  /** The smallest element. */
  MIN(1),
  /** The largest element. */
  MAX(1),
  /** Σx·y of two arrays of one length. */
  DOT(2),
  /** The index of the first smallest element. */
  ARGMIN(1),
  /** The index of the first largest element. */
  ARGMAX(1);

  /** Relative accuracy contract of sum and dot, relative to the sum of absolute terms. */
  public static final double SUM_TOLERANCE = 1e-6;

  private final int inputs;

  ReduceOp(int inputs) {
    this.inputs = inputs;
  }

  /** The name users see in messages, e.g. {@code argmax}. */
  public String opName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /** Bytes read for {@code length} elements. */
  public long bytes(long length) {
    return 4L * inputs * length;
  }

  /** Arithmetic operations for {@code length} elements. */
  public double flops(long length) {
    return (double) inputs * length;
  }

  /** Checks the input of a one-array reduction; {@code min}, {@code max}, {@code argmin}, {@code argmax} need data. */
  public void check(float[] x) {
    Objects.requireNonNull(x, () -> opName() + ": x is null");
    if (x.length == 0 && this != SUM && this != DOT) {
      throw new IllegalArgumentException(opName() + ": the array is empty");
    }
  }

  /** Checks the inputs of {@code dot}. */
  public static void checkDot(float[] x, float[] y) {
    Objects.requireNonNull(x, "dot: x is null");
    Objects.requireNonNull(y, "dot: y is null");
    if (x.length != y.length) {
      throw new IllegalArgumentException("dot: lengths differ: " + x.length + " · " + y.length);
    }
  }

  /**
   * Compensated float64 sum, exact enough to be the oracle for the 1e-6 contract. With an infinity or NaN among the
   * terms it is their IEEE sum (an infinity, or NaN), which compensation would turn into NaN (Inf - Inf).
   */
  public static double referenceSum(float[] x) {
    double sum = 0, compensation = 0, plain = 0;
    for (float v : x) {
      double y = v - compensation;
      double t = sum + y;
      compensation = (t - sum) - y;
      sum = t;
      plain += v;
    }
    return Double.isFinite(plain) ? sum : plain;
  }

  /**
   * Compensated float64 dot product of exact float64 products; with an infinite or NaN product among the terms, their
   * IEEE sum (see {@link #referenceSum}). A float's square cannot overflow a double, so only such terms are not finite.
   */
  public static double referenceDot(float[] x, float[] y) {
    double sum = 0, compensation = 0, plain = 0;
    for (int i = 0; i < x.length; i++) {
      double product = (double) x[i] * y[i];
      double term = product - compensation;
      double t = sum + term;
      compensation = (t - sum) - term;
      sum = t;
      plain += product;
    }
    return Double.isFinite(plain) ? sum : plain;
  }

  /** Σ|x_i|, the scale of the sum contract. */
  public static double absSum(float[] x) {
    double s = 0;
    for (float v : x) s += Math.abs(v);
    return s;
  }

  /** Σ|x_i·y_i|, the scale of the dot contract. */
  public static double absDot(float[] x, float[] y) {
    double s = 0;
    for (int i = 0; i < x.length; i++) s += Math.abs((double) x[i] * y[i]);
    return s;
  }

  /** The smallest element by {@code Math.min} ({@code +∞} for no elements). */
  public static float referenceMin(float[] x) {
    float m = Float.POSITIVE_INFINITY;
    for (float v : x) m = Math.min(m, v);
    return m;
  }

  /** The largest element by {@code Math.max} ({@code −∞} for no elements). */
  public static float referenceMax(float[] x) {
    float m = Float.NEGATIVE_INFINITY;
    for (float v : x) m = Math.max(m, v);
    return m;
  }

  /** Index of the first smallest element, or of the first NaN if there is one. */
  public static int referenceArgmin(float[] x) {
    int best = 0;
    for (int i = 0; i < x.length; i++) {
      if (Float.isNaN(x[i])) return i;
      if (x[i] < x[best]) best = i;
    }
    return best;
  }

  /** Index of the first largest element, or of the first NaN if there is one. */
  public static int referenceArgmax(float[] x) {
    int best = 0;
    for (int i = 0; i < x.length; i++) {
      if (Float.isNaN(x[i])) return i;
      if (x[i] > x[best]) best = i;
    }
    return best;
  }
}
