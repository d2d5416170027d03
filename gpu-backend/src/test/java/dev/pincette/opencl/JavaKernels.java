package dev.pincette.opencl;

import dev.pincette.Atomics;

/**
 * Kernels covering every construct the translator takes, for {@link ClKernelSemanticsTest}. Each work item takes its
 * operands from the edge-value tables by its index (all pairs) and writes one result per construct, so that one
 * program (one PoCL build) covers a whole family.
 */
final class JavaKernels {
  private JavaKernels() {}

  static final int[] INTS = {0, 1, -1, 2, -2, 7, -7, 31, 32, 33, 63, 64, 65, 0x7fff, 0x8000, 0xff, 0x80, -129,
      Integer.MAX_VALUE, Integer.MIN_VALUE, Integer.MAX_VALUE - 1, Integer.MIN_VALUE + 1, 123456789, -987654321};
  static final long[] LONGS = {0, 1, -1, 2, -2, 7, -7, 31, 32, 63, 64, 65, Integer.MAX_VALUE, Integer.MIN_VALUE,
      0xffffffffL, 1L << 32, Long.MAX_VALUE, Long.MIN_VALUE, Long.MAX_VALUE - 1, Long.MIN_VALUE + 1,
      1234567890123456789L, -987654321987654321L};
  static final float[] FLOATS = {0f, -0f, 1f, -1f, 0.5f, -0.5f, 1.5f, 2.5f, -2.5f, 0.49999997f, 3.7f, -3.7f,
      Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_VALUE,
      Float.MIN_NORMAL, 1e-40f, Float.MAX_VALUE, -Float.MAX_VALUE, 2147483648f, -2147483648f, 2147483520f,
      9.223372e18f, 1e10f, -1e10f, 16777217f, 0.1f, 1e-5f, 100f, (float) Math.PI};
  static final double[] DOUBLES = {0d, -0d, 1d, -1d, 0.5, -0.5, 1.5, 2.5, -2.5, 0.49999999999999994, 3.7, -3.7,
      Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.MIN_VALUE, -Double.MIN_VALUE,
      Double.MIN_NORMAL, 1e-310, Double.MAX_VALUE, 2147483648d, -2147483649d, 9.223372036854776e18,
      -9.223372036854776e18, 1e300, 0.1, 1e-5, 100, Math.PI, -Math.E, 1e15 + 0.5};

  static final int INT_RESULTS = 26;

  /** Integer arithmetic with Java's wrapping, truncation, shifts and narrowing, for each pair of {@link #INTS}. */
  static void intOps(int i, int[] values, int[] out) {
    int n = values.length;
    int a = values[i % n];
    int b = values[i / n % n];
    int o = i * INT_RESULTS;
    out[o] = a + b;
    out[o + 1] = a - b;
    out[o + 2] = a * b;
    out[o + 3] = b == 0 ? 0 : a / b;
    out[o + 4] = b == 0 ? 0 : a % b;
    out[o + 5] = -a;
    out[o + 6] = a << b;
    out[o + 7] = a >> b;
    out[o + 8] = a >>> b;
    out[o + 9] = a & b;
    out[o + 10] = a | b;
    out[o + 11] = a ^ b;
    out[o + 12] = ~a;
    out[o + 13] = (byte) a;
    out[o + 14] = (short) a;
    out[o + 15] = (char) a;
    out[o + 16] = a < b ? 1 : a == b ? 2 : 3;
    out[o + 17] = a >= b ? 4 : a != b ? 5 : 6;
    out[o + 18] = Math.abs(a) + Math.min(a, b) * 3 + Math.max(a, b);
    out[o + 19] = b == 0 ? 0 : Math.floorDiv(a, b);
    out[o + 20] = b == 0 ? 0 : Math.floorMod(a, b);
    out[o + 21] = Integer.bitCount(a) + 64 * Integer.numberOfLeadingZeros(b) + 4096 * Integer.numberOfTrailingZeros(a);
    out[o + 22] = Integer.rotateLeft(a, b) ^ Integer.rotateRight(b, a);
    out[o + 23] = Integer.highestOneBit(a) + Integer.lowestOneBit(b);
    out[o + 24] = Integer.signum(a) + 3 * Integer.compare(a, b);
    int acc = a;
    acc += b;
    acc *= 31;
    acc >>>= 3;
    acc++;
    out[o + 25] = acc;
  }

  static final int LONG_RESULTS = 22;

  static void longOps(int i, long[] values, int[] shifts, long[] out) {
    int n = values.length;
    long a = values[i % n];
    long b = values[i / n % n];
    int s = shifts[i % shifts.length];
    int o = i * LONG_RESULTS;
    out[o] = a + b;
    out[o + 1] = a - b;
    out[o + 2] = a * b;
    out[o + 3] = b == 0 ? 0 : a / b;
    out[o + 4] = b == 0 ? 0 : a % b;
    out[o + 5] = -a;
    out[o + 6] = a << s;
    out[o + 7] = a >> s;
    out[o + 8] = a >>> s;
    out[o + 9] = a & b | ~a ^ b;
    out[o + 10] = a < b ? 1 : a == b ? 2 : 3;
    out[o + 11] = (int) a;
    out[o + 12] = (long) (int) b;
    out[o + 13] = Math.abs(a) + Math.min(a, b) - Math.max(a, b);
    out[o + 14] = b == 0 ? 0 : Math.floorDiv(a, b);
    out[o + 15] = b == 0 ? 0 : Math.floorMod(a, b);
    out[o + 16] = Long.bitCount(a) + 128L * Long.numberOfLeadingZeros(b) + 16384L * Long.numberOfTrailingZeros(a);
    out[o + 17] = Long.rotateLeft(a, s) ^ Long.rotateRight(b, s);
    out[o + 18] = Long.highestOneBit(a) + Long.lowestOneBit(b);
    out[o + 19] = Long.signum(a) + 3L * Long.compare(a, b);
    out[o + 20] = a << 40 >> 40;
    out[o + 21] = (a ^ (a >>> 33)) * 0xff51afd7ed558ccdL;
  }

  static final int FLOAT_RESULTS = 28;

  /** Float arithmetic, comparisons with NaN and signed zeros, and conversions, for each pair of {@link #FLOATS}. */
  static void floatOps(int i, float[] values, int[] ints, float[] out, int[] intOut, long[] longOut) {
    int n = values.length;
    float a = values[i % n];
    float b = values[i / n % n];
    int k = ints[i % ints.length];
    int o = i * FLOAT_RESULTS;
    out[o] = a + b;
    out[o + 1] = a - b;
    out[o + 2] = a * b;
    out[o + 3] = a / b;
    out[o + 4] = a % b;
    out[o + 5] = -a;
    out[o + 6] = a * b + a;
    out[o + 7] = k;
    out[o + 8] = (float) (long) k * 1024L * 1024L * 1024L;
    out[o + 9] = Math.abs(a);
    out[o + 10] = Math.min(a, b);
    out[o + 11] = Math.max(a, b);
    out[o + 12] = Math.fma(a, b, 1f);
    out[o + 13] = (float) Math.sqrt(a);
    out[o + 14] = (float) Math.floor(a) + (float) Math.ceil(b);
    out[o + 15] = (float) Math.rint(a);
    out[o + 16] = Math.signum(a);
    out[o + 17] = Math.copySign(a, b);
    out[o + 18] = Float.intBitsToFloat(Float.floatToRawIntBits(a) ^ 0x80000000);
    out[o + 19] = Float.min(a, b) + Float.max(b, a);
    out[o + 20] = Float.sum(a, b);
    out[o + 21] = (float) (double) a;
    out[o + 22] = a > b ? a : b;
    out[o + 23] = a <= b ? 1f : 2f;
    out[o + 24] = a == b ? 3f : a != a ? 4f : 5f;
    out[o + 25] = a < b || b >= a ? 6f : 7f;
    out[o + 26] = a * 1e-30f * 1e-10f;
    out[o + 27] = Float.MIN_VALUE * a;
    int io = i * 8;
    intOut[io] = (int) a;
    intOut[io + 1] = Math.round(a);
    intOut[io + 2] = Float.floatToIntBits(a);
    intOut[io + 3] = Float.compare(a, b);
    intOut[io + 4] = (Float.isNaN(a) ? 1 : 0) + (Float.isInfinite(a) ? 2 : 0) + (Float.isFinite(b) ? 4 : 0);
    intOut[io + 5] = (int) (char) a + (int) (byte) a;
    intOut[io + 6] = (int) (a * 1000f);
    intOut[io + 7] = a < b ? -1 : a > b ? 1 : 0;
    longOut[i * 2] = (long) a;
    longOut[i * 2 + 1] = (long) (a * b);
  }

  static final int DOUBLE_RESULTS = 26;

  static void doubleOps(int i, double[] values, long[] longs, double[] out, long[] longOut, float[] floatOut) {
    int n = values.length;
    double a = values[i % n];
    double b = values[i / n % n];
    long k = longs[i % longs.length];
    int o = i * DOUBLE_RESULTS;
    out[o] = a + b;
    out[o + 1] = a - b;
    out[o + 2] = a * b;
    out[o + 3] = a / b;
    out[o + 4] = a % b;
    out[o + 5] = -a;
    out[o + 6] = k;
    out[o + 7] = (int) k;
    out[o + 8] = Math.sqrt(a);
    out[o + 9] = Math.abs(a) + Math.floor(b);
    out[o + 10] = Math.min(a, b);
    out[o + 11] = Math.max(a, b);
    out[o + 12] = Math.fma(a, b, -1);
    out[o + 13] = Math.ceil(a) - Math.rint(b);
    out[o + 14] = Math.signum(a);
    out[o + 15] = Math.copySign(b, a);
    out[o + 16] = Math.toRadians(a) + Math.toDegrees(b);
    out[o + 17] = Double.longBitsToDouble(Double.doubleToRawLongBits(a) + 1);
    out[o + 18] = (float) a;
    out[o + 19] = Math.pow(a, b);
    out[o + 20] = a > b ? a : b;
    out[o + 21] = a * Double.MIN_VALUE;
    out[o + 22] = Double.min(a, b) * Double.max(a, b);
    out[o + 23] = (double) (float) b;
    out[o + 24] = Math.pow(a, 2);
    out[o + 25] = Math.pow(b, 0.5);
    longOut[i * 6] = (long) a;
    longOut[i * 6 + 1] = (int) a;
    longOut[i * 6 + 2] = Math.round(a);
    longOut[i * 6 + 3] = Double.doubleToLongBits(a);
    longOut[i * 6 + 4] = Double.compare(a, b) + 3L * (Double.isNaN(a) ? 1 : 0) + 7L * (Double.isInfinite(b) ? 1 : 0);
    longOut[i * 6 + 5] = (long) (char) a;
    floatOut[i] = (float) (a * b);
  }

  static final int TRANSCENDENTALS = 19;

  /** Math's transcendental functions of doubles: compared within their bounds, not bit for bit. */
  static void transcendentals(int i, double[] values, double[] out) {
    int n = values.length;
    double a = values[i % n];
    double b = values[i / n % n];
    int o = i * TRANSCENDENTALS;
    out[o] = Math.exp(a);
    out[o + 1] = Math.log(a);
    out[o + 2] = Math.log10(a);
    out[o + 3] = Math.sin(a);
    out[o + 4] = Math.cos(a);
    out[o + 5] = Math.tan(a);
    out[o + 6] = Math.asin(b);
    out[o + 7] = Math.acos(b);
    out[o + 8] = Math.atan(a);
    out[o + 9] = Math.sinh(a);
    out[o + 10] = Math.cosh(a);
    out[o + 11] = Math.tanh(a);
    out[o + 12] = Math.atan2(a, b);
    out[o + 13] = Math.pow(a, b);
    out[o + 14] = Math.hypot(a, b);
    out[o + 15] = Math.cbrt(a);
    out[o + 16] = Math.expm1(a);
    out[o + 17] = Math.log1p(a);
    out[o + 18] = StrictMath.exp(b);
  }

  static final double SCALE = Math.sqrt(3.0);
  static final int LIMIT = 17;

  /** Loops with break and continue, both kinds of switch, ternaries, a callee, a static final, byte arrays. */
  static void control(int i, int[] values, byte[] bytes, long[] out) {
    int a = values[i % values.length];
    long s = 0;
    for (int k = 0; k < 40; k++) {
      if (k % 3 == 0) continue;
      if (k > LIMIT) break;
      s += (long) a * k;
    }
    int j = 0;
    while (j < 5 && a != j) j++;
    do {
      s ^= j;
      j--;
    } while (j > 0);
    switch (a & 7) {
      case 0 -> s += 11;
      case 1 -> s -= 13;
      case 2, 3 -> s *= 5;
      case 5 -> s = -s;
      default -> s += 1;
    }
    switch (a) {
      case Integer.MIN_VALUE -> s += 1;
      case -129 -> s += 2;
      case 123456789 -> s += 3;
      case 65536 -> s += 4;
      default -> { }
    }
    byte b = bytes[i % bytes.length];
    bytes[i % bytes.length] = (byte) (b + 1);
    s += b;
    s += helper(a, (float) SCALE);
    out[i] = s;
  }

  private static long helper(int a, float scale) {
    float x = a * scale;
    return x > 0 ? (long) x : twice((long) -x);
  }

  private static long twice(long v) {
    return v + v;
  }

  /** A histogram and a float sum of exactly representable terms, through Atomics. */
  static void atomics(int i, int[] values, int[] bins, float[] total, int[] extremes) {
    int v = values[i % values.length];
    Atomics.add(bins, v & 7, 1);
    Atomics.add(total, 0, 0.25f);
    Atomics.min(extremes, 0, v);
    Atomics.max(extremes, 1, v);
  }

  static float energy(int i, float[] v, float[] m) {
    return 0.5f * m[i] * v[i] * v[i];
  }

  static int parity(int i, int[] x) {
    return x[i] & 1;
  }
}
