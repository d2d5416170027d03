package dev.pincette.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** SIMD inner loops; loaded only when {@link VectorSupport#ENABLED}. */
final class VectorKernels {
  static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
  static final int LANES = F.length();
  /** Micro-tile: 6 rows × 2 vectors keeps 12 accumulators, 2 B vectors and a broadcast in registers. */
  static final int MR = 6;
  static final int NR = 2 * LANES;
  /**
   * Float iterations per lane before spilling to float64: 8 terms per lane bound the float rounding of sum and dot by
   * 8·2^-24 ≈ 4.8e-7 of Σ|terms|, inside the 1e-6 contract.
   */
  private static final int BLOCK_STEPS = 8;

  private VectorKernels() {}

  static String describeSpecies() {
    return F.vectorBitSize() + "-bit, " + LANES + " float lanes";
  }

  /**
   * {@code c[6×NR] = a · b} (or {@code +=} when not {@code overwrite}) over {@code k} steps, with A's six rows read in
   * place ({@code lda} apart) and B's rows {@code ldb} apart: {@code ldb = NR} for a packed panel, B's row length for
   * B read in place (small products, where packing would cost more than the strided loads it saves).
   */
  static void tileDirect(float[] a, int aOff, int lda, float[] b, int bOff, int ldb, int k, float[] c, int cOff,
      int ldc, boolean overwrite) {
    FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    int a0 = aOff, a1 = aOff + lda, a2 = aOff + 2 * lda, a3 = aOff + 3 * lda, a4 = aOff + 4 * lda;
    int a5 = aOff + 5 * lda;
    for (int p = 0; p < k; p++) {
      int bo = bOff + p * ldb;
      FloatVector b0 = FloatVector.fromArray(F, b, bo);
      FloatVector b1 = FloatVector.fromArray(F, b, bo + LANES);
      FloatVector av = FloatVector.broadcast(F, a[a0 + p]);
      c00 = av.fma(b0, c00);
      c01 = av.fma(b1, c01);
      av = FloatVector.broadcast(F, a[a1 + p]);
      c10 = av.fma(b0, c10);
      c11 = av.fma(b1, c11);
      av = FloatVector.broadcast(F, a[a2 + p]);
      c20 = av.fma(b0, c20);
      c21 = av.fma(b1, c21);
      av = FloatVector.broadcast(F, a[a3 + p]);
      c30 = av.fma(b0, c30);
      c31 = av.fma(b1, c31);
      av = FloatVector.broadcast(F, a[a4 + p]);
      c40 = av.fma(b0, c40);
      c41 = av.fma(b1, c41);
      av = FloatVector.broadcast(F, a[a5 + p]);
      c50 = av.fma(b0, c50);
      c51 = av.fma(b1, c51);
    }
    storeRow(c, cOff, c00, c01, overwrite);
    storeRow(c, cOff + ldc, c10, c11, overwrite);
    storeRow(c, cOff + 2 * ldc, c20, c21, overwrite);
    storeRow(c, cOff + 3 * ldc, c30, c31, overwrite);
    storeRow(c, cOff + 4 * ldc, c40, c41, overwrite);
    storeRow(c, cOff + 5 * ldc, c50, c51, overwrite);
  }

  /** {@code c[i0..i1) × [j0..j1) += a · b} on unpacked operands, masked at the column edge; for tile remainders. */
  static void directBlock(float[] a, float[] b, float[] c, int i0, int i1, int j0, int j1, int k, int n) {
    for (int i = i0; i < i1; i++) {
      int cRow = i * n;
      for (int p = 0; p < k; p++) {
        FloatVector av = FloatVector.broadcast(F, a[i * k + p]);
        int bRow = p * n;
        for (int j = j0; j < j1; j += LANES) {
          VectorMask<Float> m = F.indexInRange(j, j1);
          av.fma(FloatVector.fromArray(F, b, bRow + j, m), FloatVector.fromArray(F, c, cRow + j, m))
              .intoArray(c, cRow + j, m);
        }
      }
    }
  }

  /** NR floats from native memory at byte offset {@code from} into {@code to[off..off+NR)}. */
  static void copyRow(java.lang.foreign.MemorySegment segment, long from, float[] to, int off) {
    java.nio.ByteOrder order = java.nio.ByteOrder.nativeOrder();
    FloatVector.fromMemorySegment(F, segment, from, order).intoArray(to, off);
    FloatVector.fromMemorySegment(F, segment, from + 4L * LANES, order).intoArray(to, off + LANES);
  }

  /** The first depth block overwrites C (one write, as BLAS's beta=0); later blocks add to it. */
  private static void storeRow(float[] c, int off, FloatVector v0, FloatVector v1, boolean overwrite) {
    if (!overwrite) {
      v0 = FloatVector.fromArray(F, c, off).add(v0);
      v1 = FloatVector.fromArray(F, c, off + LANES).add(v1);
    }
    v0.intoArray(c, off);
    v1.intoArray(c, off + LANES);
  }

  /**
   * Unpacked {@code c[rows i0..i1) = a · b} for small shapes, where packing costs more than it saves; {@code c} is a
   * fresh (zeroed) result.
   */
  static void directRows(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int i0, int i1, int k, int n) {
    if (n <= 2 * LANES) {
      narrowRows(a, aOff, b, bOff, c, cOff, i0, i1, k, n);
      return;
    }
    int vecEnd = F.loopBound(n);
    for (int i = i0; i < i1; i++) {
      int cRow = cOff + i * n;
      int aRow = aOff + i * k;
      for (int p = 0; p < k; p++) {
        float aip = a[aRow + p];
        FloatVector av = FloatVector.broadcast(F, aip);
        int bRow = bOff + p * n;
        int j = 0;
        for (; j < vecEnd; j += LANES) {
          av.fma(FloatVector.fromArray(F, b, bRow + j), FloatVector.fromArray(F, c, cRow + j)).intoArray(c, cRow + j);
        }
        if (j < n) {
          VectorMask<Float> m = F.indexInRange(j, n);
          av.fma(FloatVector.fromArray(F, b, bRow + j, m), FloatVector.fromArray(F, c, cRow + j, m))
              .intoArray(c, cRow + j, m);
        }
      }
    }
  }

  /**
   * Items {@code [from, to)} of a batch of {@code m×k · k×n} products with {@code n} at most one vector: the row mask
   * is made once for the whole range rather than per product.
   */
  static void batchedNarrow(float[] a, float[] b, float[] c, int from, int to, int m, int k, int n) {
    VectorMask<Float> m0 = F.indexInRange(0, n);
    for (int item = from; item < to; item++) {
      int aOff = item * m * k, bOff = item * k * n, cOff = item * m * n;
      int i = fourRows(a, aOff, b, bOff, c, cOff, 0, m, k, n, m0);
      for (; i < m; i++) {
        FloatVector acc = FloatVector.zero(F);
        for (int p = 0; p < k; p++) {
          acc = FloatVector.broadcast(F, a[aOff + i * k + p]).fma(FloatVector.fromArray(F, b, bOff + p * n, m0), acc);
        }
        acc.intoArray(c, cOff + i * n, m0);
      }
    }
  }

  /**
   * Rows of at most two vectors: the row of C stays in registers across the whole inner dimension and is stored once
   * (the batched 16x16 case).
   */
  private static void narrowRows(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int i0, int i1,
      int k, int n) {
    VectorMask<Float> m0 = F.indexInRange(0, n);
    VectorMask<Float> m1 = F.indexInRange(LANES, n);
    boolean two = n > LANES;
    int i = i0;
    if (!two) {
      i = fourRows(a, aOff, b, bOff, c, cOff, i0, i1, k, n, m0);
    }
    for (; i < i1; i++) {
      int aRow = aOff + i * k;
      FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
      for (int p = 0; p < k; p++) {
        FloatVector av = FloatVector.broadcast(F, a[aRow + p]);
        int bRow = bOff + p * n;
        acc0 = av.fma(FloatVector.fromArray(F, b, bRow, m0), acc0);
        if (two) acc1 = av.fma(FloatVector.fromArray(F, b, bRow + LANES, m1), acc1);
      }
      int cRow = cOff + i * n;
      acc0.intoArray(c, cRow, m0);
      if (two) acc1.intoArray(c, cRow + LANES, m1);
    }
  }

  /**
   * Rows of one vector, four at a time so they share each load of B; returns the first row not done. Its own method:
   * inlined into {@link #narrowRows}, the vector ops exceeded C2's inlining budget and ran boxed (20x slower).
   */
  private static int fourRows(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int i0, int i1, int k,
      int n, VectorMask<Float> m0) {
    int i = i0;
    for (; i + 4 <= i1; i += 4) {
      int a0 = aOff + i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
      FloatVector r0 = FloatVector.zero(F), r1 = r0, r2 = r0, r3 = r0;
      for (int p = 0; p < k; p++) {
        FloatVector bv = FloatVector.fromArray(F, b, bOff + p * n, m0);
        r0 = FloatVector.broadcast(F, a[a0 + p]).fma(bv, r0);
        r1 = FloatVector.broadcast(F, a[a1 + p]).fma(bv, r1);
        r2 = FloatVector.broadcast(F, a[a2 + p]).fma(bv, r2);
        r3 = FloatVector.broadcast(F, a[a3 + p]).fma(bv, r3);
      }
      int cRow = cOff + i * n;
      r0.intoArray(c, cRow, m0);
      r1.intoArray(c, cRow + n, m0);
      r2.intoArray(c, cRow + 2 * n, m0);
      r3.intoArray(c, cRow + 3 * n, m0);
    }
    return i;
  }

  static double sum(float[] x, int from, int to) {
    FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
    DoubleVector total = DoubleVector.zero(D);
    int block = 4 * LANES * BLOCK_STEPS;
    int i = from;
    for (; i + block <= to; ) {
      for (int s = 0; s < BLOCK_STEPS; s++, i += 4 * LANES) {
        a0 = a0.add(FloatVector.fromArray(F, x, i));
        a1 = a1.add(FloatVector.fromArray(F, x, i + LANES));
        a2 = a2.add(FloatVector.fromArray(F, x, i + 2 * LANES));
        a3 = a3.add(FloatVector.fromArray(F, x, i + 3 * LANES));
      }
      total = total.add(widen(a0.add(a1))).add(widen(a2.add(a3)));
      a0 = a1 = a2 = a3 = FloatVector.zero(F);
    }
    double s = total.reduceLanes(VectorOperators.ADD);
    for (; i < to; i++) s += x[i];
    return s;
  }

  static double dot(float[] x, float[] y, int from, int to) {
    FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
    DoubleVector total = DoubleVector.zero(D);
    int block = 4 * LANES * BLOCK_STEPS;
    int i = from;
    for (; i + block <= to; ) {
      for (int s = 0; s < BLOCK_STEPS; s++, i += 4 * LANES) {
        a0 = FloatVector.fromArray(F, x, i).fma(FloatVector.fromArray(F, y, i), a0);
        a1 = FloatVector.fromArray(F, x, i + LANES).fma(FloatVector.fromArray(F, y, i + LANES), a1);
        a2 = FloatVector.fromArray(F, x, i + 2 * LANES).fma(FloatVector.fromArray(F, y, i + 2 * LANES), a2);
        a3 = FloatVector.fromArray(F, x, i + 3 * LANES).fma(FloatVector.fromArray(F, y, i + 3 * LANES), a3);
      }
      total = total.add(widen(a0)).add(widen(a1)).add(widen(a2)).add(widen(a3));
      a0 = a1 = a2 = a3 = FloatVector.zero(F);
    }
    double s = total.reduceLanes(VectorOperators.ADD);
    for (; i < to; i++) s += (double) x[i] * y[i];
    return s;
  }

  /** Adds both halves of a float vector as float64 lanes (exact: every float is a double). */
  private static DoubleVector widen(FloatVector v) {
    DoubleVector sum = (DoubleVector) v.convertShape(VectorOperators.F2D, D, 0);
    for (int part = 1; part < LANES / D.length(); part++) {
      sum = sum.add((DoubleVector) v.convertShape(VectorOperators.F2D, D, part));
    }
    return sum;
  }

  // min and max are spelled out rather than sharing a loop with the operator as a parameter: the Vector API
  // intrinsifies lanewise ops only for constant operators (measured: 7.5 GB/s shared, bandwidth-bound spelled out).

  /** Lanewise MIN follows {@code Math.min}: NaN propagates, −0 is below +0. */
  static float min(float[] x, int from, int to) {
    FloatVector a0 = FloatVector.broadcast(F, Float.POSITIVE_INFINITY), a1 = a0, a2 = a0, a3 = a0;
    int i = from;
    for (; i + 4 * LANES <= to; i += 4 * LANES) {
      a0 = a0.min(FloatVector.fromArray(F, x, i));
      a1 = a1.min(FloatVector.fromArray(F, x, i + LANES));
      a2 = a2.min(FloatVector.fromArray(F, x, i + 2 * LANES));
      a3 = a3.min(FloatVector.fromArray(F, x, i + 3 * LANES));
    }
    float r = a0.min(a1).min(a2.min(a3)).reduceLanes(VectorOperators.MIN);
    for (; i < to; i++) r = Math.min(r, x[i]);
    return r;
  }

  /** Lanewise MAX follows {@code Math.max}: NaN propagates, +0 is above −0. */
  static float max(float[] x, int from, int to) {
    FloatVector a0 = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY), a1 = a0, a2 = a0, a3 = a0;
    int i = from;
    for (; i + 4 * LANES <= to; i += 4 * LANES) {
      a0 = a0.max(FloatVector.fromArray(F, x, i));
      a1 = a1.max(FloatVector.fromArray(F, x, i + LANES));
      a2 = a2.max(FloatVector.fromArray(F, x, i + 2 * LANES));
      a3 = a3.max(FloatVector.fromArray(F, x, i + 3 * LANES));
    }
    float r = a0.max(a1).max(a2.max(a3)).reduceLanes(VectorOperators.MAX);
    for (; i < to; i++) r = Math.max(r, x[i]);
    return r;
  }
}
