package dev.pincette.kernels;

import java.util.Objects;

/**
 * Dense float32 matrix multiply {@code C[m×n] = A[m×k] · B[k×n]}, all row-major: validation, cost counts, the float64
 * reference that every backend is tested against, and the error bound of each precision a product may be computed in.
 */
public final class MatmulOp {
  /** Unit roundoff of float32. */
  public static final double FLOAT_EPS = 0x1p-24;
  /** Unit roundoff of TF32 inputs: 10 stored mantissa bits, rounded to nearest (ties away from zero). */
  public static final double TF32_EPS = 0x1p-11;
  /** Unit roundoff of BF16 inputs: 7 stored mantissa bits, rounded to nearest (ties to even). */
  public static final double BF16_EPS = 0x1p-8;
  /**
   * Accumulation error per step of products computed on matrix units: float32 sums, but aligned by truncation rather
   * than rounded to nearest (NVIDIA's tensor cores do so), so twice float32's unit roundoff.
   */
  static final double UNIT_ACCUMULATION_EPS = 0x1p-23;

  private MatmulOp() {}

  /** Checks shapes and lengths; messages use the user's terms, e.g. {@code matmul: inner dimensions differ: 3x4 · 5x6}. */
  public static void check(float[] a, int aRows, int aCols, float[] b, int bRows, int bCols) {
    Objects.requireNonNull(a, "matmul: a is null");
    Objects.requireNonNull(b, "matmul: b is null");
    checkShape("a", aRows, aCols);
    checkShape("b", bRows, bCols);
    if (aCols != bRows) {
      throw new IllegalArgumentException(
          "matmul: inner dimensions differ: " + aRows + "x" + aCols + " · " + bRows + "x" + bCols);
    }
    checkLength("a", a, aRows, aCols);
    checkLength("b", b, bRows, bCols);
    Elements.of("matmul", "result", aRows, bCols);
  }

  /**
   * Checks the shapes of a product of resident matrices (their lengths are their shapes'): inner dimensions equal,
   * the result within {@link Elements#MAX}. Runs before anything reaches a device.
   */
  public static void checkShapes(String aShape, int aRows, int aCols, String bShape, int bRows, int bCols) {
    if (aCols != bRows) {
      throw new IllegalArgumentException("matmul: inner dimensions differ: " + aShape + " · " + bShape);
    }
    Elements.of("matmul", "result", aRows, bCols);
  }

  /** Checks a batch of {@code count} independent products stored back to back. */
  public static void checkBatched(float[] a, float[] b, int count, int m, int k, int n) {
    Objects.requireNonNull(a, "batchedMatmul: a is null");
    Objects.requireNonNull(b, "batchedMatmul: b is null");
    if (count < 0) throw new IllegalArgumentException("batchedMatmul: count is negative: " + count);
    checkShape("a", m, k);
    checkShape("b", k, n);
    if (Elements.product(count, m, k) != a.length) {
      throw new IllegalArgumentException("batchedMatmul: a has length " + a.length + ", wanted " + count + "·" + m
          + "x" + k + " = " + (long) count * m * k);
    }
    if (Elements.product(count, k, n) != b.length) {
      throw new IllegalArgumentException("batchedMatmul: b has length " + b.length + ", wanted " + count + "·" + k
          + "x" + n + " = " + (long) count * k * n);
    }
    Elements.checked("batchedMatmul", "result " + count + " × " + m + "x" + n, Elements.product(count, m, n));
  }

  private static void checkShape(String name, int rows, int cols) {
    if (rows < 0 || cols < 0) {
      throw new IllegalArgumentException("matmul: " + name + " has a negative shape " + rows + "x" + cols);
    }
  }

  private static void checkLength(String name, float[] x, int rows, int cols) {
    if ((long) rows * cols != x.length) {
      throw new IllegalArgumentException("matmul: " + name + " has length " + x.length + ", wanted " + rows + "x"
          + cols + " = " + (long) rows * cols);
    }
  }

  /** Floating-point operations of one product: a multiply and an add per inner step. */
  public static double flops(int m, int k, int n) {
    return 2.0 * m * k * n;
  }

  /** Bytes read and written once each: A, B and C. */
  public static long bytes(int m, int k, int n) {
    return 4L * ((long) m * k + (long) k * n + (long) m * n);
  }

  /** The exact-as-float64 product. */
  public static double[] reference(float[] a, float[] b, int m, int k, int n) {
    double[] c = new double[m * n];
    for (int i = 0; i < m; i++) {
      for (int p = 0; p < k; p++) {
        double aip = a[i * k + p];
        for (int j = 0; j < n; j++) c[i * n + j] += aip * b[p * n + j];
      }
    }
    return c;
  }

  /**
   * Per-element error bound of a float32 product: {@code (k+2)·2^-24·Σ|a_ip·b_pj| + (k+2)·2^-149}. The second term is
   * the rounding of results among float's subnormals, whose spacing is absolute (2^-149): there a correctly rounded
   * product of 1.5·2^-149 is off by 2^-150, far beyond any relative bound.
   */
  public static double[] errorBound(float[] a, float[] b, int m, int k, int n) {
    return errorBound(a, b, m, k, n, 0);
  }

  /**
   * Per-element error bound of a product whose inputs are first rounded to a format of unit roundoff {@code u}, then
   * multiplied exactly and summed in float32: {@code (2u + u² + (k+2)·2^-23·(1+u)²)·Σ|a_ip·b_pj|}. Rounding moves each
   * product by at most {@code (2u + u²)·|a·b|}; the float32 sum of the rounded products, aligned by truncation on
   * matrix units, adds at most {@code (k+2)·2^-23} of their absolute sum, which rounding grew by {@code (1+u)²} at most.
   * {@code u = 0} is the float32 product's bound, {@code (k+2)·2^-24·Σ|a·b|}. It holds for finite inputs whose rounding
   * stays finite and normal (matrix units may flush subnormal inputs to zero). Both add {@code (k+2)·2^-149} for the
   * float32 rounding of results among the subnormals.
   */
  public static double[] errorBound(float[] a, float[] b, int m, int k, int n, double inputRoundoff) {
    double[] bound = new double[m * n];
    for (int i = 0; i < m; i++) {
      for (int p = 0; p < k; p++) {
        double aip = Math.abs((double) a[i * k + p]);
        for (int j = 0; j < n; j++) bound[i * n + j] += aip * Math.abs((double) b[p * n + j]);
      }
    }
    double scale = boundScale(k, inputRoundoff);
    double subnormal = (k + 2) * 0x1p-149;
    for (int i = 0; i < bound.length; i++) bound[i] = bound[i] * scale + subnormal;
    return bound;
  }

  /** The factor of {@code Σ|a·b|} in {@link #errorBound(float[], float[], int, int, int, double)}. */
  public static double boundScale(int k, double inputRoundoff) {
    if (!(inputRoundoff >= 0) || inputRoundoff >= 1) {
      throw new IllegalArgumentException("matmul: input roundoff must be in [0, 1): " + inputRoundoff);
    }
    if (inputRoundoff == 0) return (k + 2) * FLOAT_EPS;
    double u = inputRoundoff;
    return 2 * u + u * u + (k + 2) * UNIT_ACCUMULATION_EPS * (1 + u) * (1 + u);
  }
}
