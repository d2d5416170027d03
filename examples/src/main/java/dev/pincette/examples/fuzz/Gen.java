package dev.pincette.examples.fuzz;

import dev.pincette.Compute;
import dev.pincette.DeviceMatrix;
import dev.pincette.HostMatrix;
import dev.pincette.Matrix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Arguments for one generated call, biased to the extremes where bugs live: sizes of 0, 1, negative,
 * {@code Integer.MAX_VALUE}, sizes whose products land near 2^31 and 2^32; values of 0, ±0, NaN, ±Infinity, the
 * float limits; null, empty, wrong-length and large arrays; closed handles. What it opens, the case closes.
 */
final class Gen {
  /** Arrays are allocated up to this many elements; a longer one stands for "too long to allocate" (4M: 16 MB). */
  static final int ARRAY_LIMIT = 1 << 22;
  /** Valid products are kept below this many multiply-adds, so that the float64 reference stays quick. */
  static final long WORK_LIMIT = 30_000_000L;
  /** Most elements anything may hold (a Java array's limit, which every backend can fall back to). */
  static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

  private static final int[] EDGE_SIZES = {0, 1, 2, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129,
      255, 256, 257};
  /** Sizes whose products cross 2^31 - 8, 2^31 and 2^32 (46341² and 65536·65537 overflow an int). */
  private static final int[] EXTREME_SIZES = {-1, -2, -65536, Integer.MIN_VALUE, Integer.MAX_VALUE,
      Integer.MAX_VALUE - 8, 46340, 46341, 65535, 65536, 65537, 1 << 20, (1 << 20) + 1, 1 << 30, 1 << 24};
  private static final float[] SPECIAL_VALUES = {0f, -0f, 1f, -1f, Float.NaN, Float.POSITIVE_INFINITY,
      Float.NEGATIVE_INFINITY, Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE, Float.MIN_NORMAL, 1e-30f, 1e30f,
      65504f, 16777217f};

  final SplittableRandom rnd;
  /** Handles opened for the case, closed after it. */
  final List<AutoCloseable> owned = new ArrayList<>();

  Gen(SplittableRandom rnd) {
    this.rnd = rnd;
  }

  boolean chance(double p) {
    return rnd.nextDouble() < p;
  }

  <T> T pick(List<T> options) {
    return options.get(rnd.nextInt(options.size()));
  }

  /** A size: mostly small, often an edge of a block or vector width, sometimes extreme or negative. */
  int size() {
    double u = rnd.nextDouble();
    if (u < 0.55) return rnd.nextInt(81);
    if (u < 0.85) return EDGE_SIZES[rnd.nextInt(EDGE_SIZES.length)];
    return EXTREME_SIZES[rnd.nextInt(EXTREME_SIZES.length)];
  }

  /** A size that is valid and small: 0 to {@code max}. */
  int small(int max) {
    return rnd.nextInt(max + 1);
  }

  /** A value: mostly uniform in [-1, 1), sometimes one of the specials (NaN, infinities, limits, ±0). */
  float value() {
    return chance(0.9) ? (float) (rnd.nextDouble() * 2 - 1) : SPECIAL_VALUES[rnd.nextInt(SPECIAL_VALUES.length)];
  }

  /** {@code n} values; most arrays are all ordinary, some carry specials. */
  float[] values(int n) {
    float[] x = new float[n];
    boolean special = chance(0.2);
    for (int i = 0; i < n; i++) x[i] = special ? value() : (float) (rnd.nextDouble() * 2 - 1);
    return x;
  }

  /**
   * An array meant to hold {@code wanted} values: mostly exactly that many, sometimes null, one too many or too few,
   * or empty; a {@code wanted} beyond what can be allocated gets a short array.
   */
  float[] valuesFor(long wanted) {
    double u = rnd.nextDouble();
    if (u < 0.04) return null;
    if (wanted < 0 || wanted > ARRAY_LIMIT) return values(rnd.nextInt(4));
    if (u < 0.08) return values((int) Math.min(ARRAY_LIMIT, wanted + 1));
    if (u < 0.12 && wanted > 0) return values((int) wanted - 1);
    if (u < 0.14) return new float[0];
    return values((int) wanted);
  }

  /** Whether a product of these sizes is small enough to check against the float64 reference. */
  static boolean cheap(long m, long k, long n) {
    return m >= 0 && k >= 0 && n >= 0 && m * n <= ARRAY_LIMIT && m * k <= ARRAY_LIMIT && k * n <= ARRAY_LIMIT
        && m * k * n <= WORK_LIMIT;
  }

  /** A rows×cols matrix of random values, or null now and then (when {@code nullable}). */
  Matrix matrix(int rows, int cols, boolean nullable) {
    if (nullable && chance(0.05)) return null;
    return Matrix.of(rows, cols, values(rows * cols));
  }

  /** A host matrix holding {@code values}, closed now and then; the case closes it. */
  HostMatrix host(int rows, int cols, float[] values) {
    HostMatrix h = Compute.hostMatrix(rows, cols);
    owned.add(h);
    h.copyFrom(values);
    if (chance(0.06)) h.close();
    return h;
  }

  /** {@code m} uploaded wherever the case's scope puts it, closed now and then; the case closes it. */
  DeviceMatrix device(Matrix m) {
    DeviceMatrix d = Compute.upload(m);
    owned.add(d);
    if (chance(0.06)) d.close();
    return d;
  }

  /** Positions of {@code n} points in {@code dims} dimensions: mostly in the unit box, sometimes far out or clustered. */
  float[] positions(int n, int dims) {
    float[] xyz = new float[n * dims];
    double scale = chance(0.1) ? Math.pow(10, rnd.nextInt(-6, 31)) : 1;
    boolean grid = chance(0.15);
    for (int i = 0; i < xyz.length; i++) {
      xyz[i] = grid ? rnd.nextInt(5) * 0.25f : (float) ((rnd.nextDouble() * 2 - 1) * scale);
    }
    return xyz;
  }

  /** A radius or cell size: mostly a fraction of the box, sometimes 0, tiny, huge, negative or not finite. */
  float radius() {
    double u = rnd.nextDouble();
    if (u < 0.8) return (float) (rnd.nextDouble() * 0.4);
    float[] extremes = {0f, -0.1f, Float.NaN, Float.POSITIVE_INFINITY, Float.MIN_VALUE, 1e-30f, 1e30f,
        Float.MAX_VALUE, -0f};
    return extremes[rnd.nextInt(extremes.length)];
  }

  static boolean closed(HostMatrix h) {
    return h != null && h.isClosed();
  }

  static boolean closed(DeviceMatrix d) {
    return d != null && d.isClosed();
  }

  /** The start of a value's text, for reports. */
  static String abbreviate(Object value) {
    String s = switch (value) {
      case null -> "null";
      case float[] f -> "float[" + f.length + "]" + Arrays.toString(Arrays.copyOf(f, Math.min(4, f.length)));
      case int[] i -> "int[" + i.length + "]" + Arrays.toString(Arrays.copyOf(i, Math.min(4, i.length)));
      case float[][] f -> "float[" + f.length + "][]";
      default -> String.valueOf(value);
    };
    return s.length() > 120 ? s.substring(0, 120) + "…" : s;
  }

  /** Closes what the case opened, last first; null, or what a close() threw (closing never fails). */
  String closeOwned() {
    String failure = null;
    for (int i = owned.size() - 1; i >= 0; i--) {
      try {
        owned.get(i).close();
      } catch (Exception | Error e) {
        if (failure == null) failure = "closing " + owned.get(i).getClass().getSimpleName() + " threw "
            + Expect.describe(e);
      }
    }
    owned.clear();
    return failure;
  }
}
