package dev.pincette.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;

/** Reductions on the CPU: SIMD chunks with several accumulators, ForkJoin over chunks above a measured size. */
final class CpuReduce {
  private final ForkJoinPool pool;
  /** Elements below which the reduction runs on the caller's thread. */
  private final int serialBelow;
  private final boolean vector;

  CpuReduce(ForkJoinPool pool, int serialBelow, boolean vector) {
    this.pool = pool;
    this.serialBelow = serialBelow;
    this.vector = vector;
  }

  double sum(float[] x) {
    return sumOfChunks(x.length, (from, to) -> vector ? VectorKernels.sum(x, from, to) : ScalarKernels.sum(x, from, to));
  }

  double dot(float[] x, float[] y) {
    return sumOfChunks(x.length,
        (from, to) -> vector ? VectorKernels.dot(x, y, from, to) : ScalarKernels.dot(x, y, from, to));
  }

  float min(float[] x) {
    int chunks = chunks(x.length);
    if (chunks == 1) return vector ? VectorKernels.min(x, 0, x.length) : ScalarKernels.min(x, 0, x.length);
    return pool.submit(() -> IntStream.range(0, chunks).parallel()
        .mapToObj(c -> vector ? VectorKernels.min(x, from(c, chunks, x.length), from(c + 1, chunks, x.length))
            : ScalarKernels.min(x, from(c, chunks, x.length), from(c + 1, chunks, x.length)))
        .reduce(Float.POSITIVE_INFINITY, Math::min)).join();
  }

  float max(float[] x) {
    int chunks = chunks(x.length);
    if (chunks == 1) return vector ? VectorKernels.max(x, 0, x.length) : ScalarKernels.max(x, 0, x.length);
    return pool.submit(() -> IntStream.range(0, chunks).parallel()
        .mapToObj(c -> vector ? VectorKernels.max(x, from(c, chunks, x.length), from(c + 1, chunks, x.length))
            : ScalarKernels.max(x, from(c, chunks, x.length), from(c + 1, chunks, x.length)))
        .reduce(Float.NEGATIVE_INFINITY, Math::max)).join();
  }

  int argmin(float[] x) {
    return argExtreme(x, true);
  }

  int argmax(float[] x) {
    return argExtreme(x, false);
  }

  /** First NaN wins; otherwise the extreme value, the lower index on ties, as in the reference. */
  private int argExtreme(float[] x, boolean min) {
    int chunks = chunks(x.length);
    if (chunks == 1) return argRange(x, 0, x.length, min);
    int[] best = pool.submit(() -> IntStream.range(0, chunks).parallel()
        .map(c -> argRange(x, from(c, chunks, x.length), from(c + 1, chunks, x.length), min)).toArray()).join();
    int winner = best[0];
    for (int c = 1; c < chunks; c++) {
      if (Float.isNaN(x[winner])) break;
      int i = best[c];
      if (Float.isNaN(x[i]) || (min ? x[i] < x[winner] : x[i] > x[winner])) winner = i;
    }
    return winner;
  }

  private static int argRange(float[] x, int from, int to, boolean min) {
    int best = from;
    for (int i = from; i < to; i++) {
      float v = x[i];
      if (v != v) return i;
      if (min ? v < x[best] : v > x[best]) best = i;
    }
    return best;
  }

  private interface RangeSum {
    double apply(int from, int to);
  }

  private double sumOfChunks(int length, RangeSum body) {
    int chunks = chunks(length);
    if (chunks == 1) return body.apply(0, length);
    double[] partial = pool.submit(() -> IntStream.range(0, chunks).parallel()
        .mapToDouble(c -> body.apply(from(c, chunks, length), from(c + 1, chunks, length))).toArray()).join();
    double s = 0;
    for (double p : partial) s += p;
    return s;
  }

  private int chunks(int length) {
    if (length < serialBelow) return 1;
    return (int) Math.min(4L * pool.getParallelism(), Math.max(1, length / Math.max(1, serialBelow / 2)));
  }

  /** Start of chunk {@code c} of {@code chunks}, aligned to 64 elements so chunks share no cache line. */
  private static int from(int c, int chunks, int length) {
    if (c == chunks) return length;
    long start = (long) length * c / chunks;
    return (int) Math.min(length, start & ~63L);
  }
}
