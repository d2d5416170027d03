package dev.pincette.examples.soak;

import dev.pincette.Compute;
import dev.pincette.DeviceMatrix;
import dev.pincette.HostMatrix;
import dev.pincette.Matrix;
import dev.pincette.examples.check.Checks;
import dev.pincette.kernels.ReduceOp;
import dev.pincette.kernels.SpatialOp;
import dev.pincette.spatial.Neighbors;
import dev.pincette.spatial.SpatialHashMap;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The soak's mix: every op of the public API on random shapes, each result checked against the float64 reference
 * (kernels and resident arrays: {@link KernelOps}).
 * A wrong result is counted, never thrown; an exception a valid call should not throw is counted as unexpected by the
 * caller. Sizes stay small enough for 64 threads on two cores.
 */
final class SoakOps {
  /** One op of the mix: runs a random case and counts it. */
  interface Op {
    void run(SplittableRandom rnd, Tally tally);
  }

  /** The ops and their weights (how often each is drawn). */
  record Weighted(String name, int weight, Op op) {}

  private final SharedMap shared;

  SoakOps(SharedMap shared) {
    this.shared = shared;
  }

  List<Weighted> mix() {
    List<Weighted> mix = new ArrayList<>(List.of(new Weighted("matmul", 6, this::matmulArrays),
        new Weighted("matmul.matrix", 3, this::matmulMatrix),
        new Weighted("batchedMatmul", 3, this::batched), new Weighted("matmul.async", 2, this::asyncGathered),
        new Weighted("matmul.host", 3, this::hostProduct), new Weighted("matmul.resident", 4, this::residentChain),
        new Weighted("reduce", 6, this::reductions), new Weighted("sum.resident", 2, this::residentSum),
        new Weighted("spatial", 3, this::spatialMap), new Weighted("spatial.shared", 4, shared::query),
        new Weighted("spatial.update", 1, shared::update)));
    mix.addAll(KernelOps.mix());
    return mix;
  }

  private static int side(SplittableRandom rnd) {
    return rnd.nextInt(10) == 0 ? 1 + rnd.nextInt(320) : 1 + rnd.nextInt(96);
  }

  static float[] values(SplittableRandom rnd, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
    return x;
  }

  private void matmulArrays(SplittableRandom rnd, Tally tally) {
    int m = side(rnd), k = side(rnd), n = side(rnd);
    float[] a = values(rnd, m * k), b = values(rnd, k * n);
    float[] c = Compute.matmul(a, m, k, b, k, n);
    tally.call("matmul");
    report(tally, "matmul", Checks.product(a, b, m, k, n, c));
  }

  private void matmulMatrix(SplittableRandom rnd, Tally tally) {
    int m = side(rnd), k = side(rnd), n = side(rnd);
    float[] a = values(rnd, m * k), b = values(rnd, k * n);
    Matrix c = Compute.matmul(Matrix.of(m, k, a), Matrix.of(k, n, b));
    tally.call("matmul.matrix");
    report(tally, "matmul.matrix", Checks.product(a, b, m, k, n, c.toArray()));
  }

  private void batched(SplittableRandom rnd, Tally tally) {
    int count = 1 + rnd.nextInt(64), m = 1 + rnd.nextInt(16), k = 1 + rnd.nextInt(16), n = 1 + rnd.nextInt(16);
    float[] a = values(rnd, count * m * k), b = values(rnd, count * k * n);
    float[] c = Compute.batchedMatmul(a, b, count, m, k, n);
    tally.call("batchedMatmul");
    for (int i = 0; i < count; i++) {
      String wrong = Checks.product(java.util.Arrays.copyOfRange(a, i * m * k, (i + 1) * m * k),
          java.util.Arrays.copyOfRange(b, i * k * n, (i + 1) * k * n), m, k, n,
          java.util.Arrays.copyOfRange(c, i * m * n, (i + 1) * m * n));
      if (wrong != null) {
        report(tally, "batchedMatmul", "item " + i + " of " + count + ": " + wrong);
        return;
      }
    }
  }

  /** Products of one shape issued together, which the async pool gathers into one call. */
  private void asyncGathered(SplittableRandom rnd, Tally tally) {
    int m = 8 + rnd.nextInt(40), k = 8 + rnd.nextInt(40), n = 8 + rnd.nextInt(40);
    int count = 2 + rnd.nextInt(8);
    List<float[]> as = new ArrayList<>(), bs = new ArrayList<>();
    List<CompletableFuture<float[]>> products = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      as.add(values(rnd, m * k));
      bs.add(values(rnd, k * n));
      products.add(Compute.async().matmul(as.get(i), m, k, bs.get(i), k, n));
    }
    for (int i = 0; i < count; i++) {
      float[] c = products.get(i).join();
      tally.call("matmul.async");
      String wrong = Checks.product(as.get(i), bs.get(i), m, k, n, c);
      if (wrong != null) report(tally, "matmul.async", wrong);
    }
  }

  private void hostProduct(SplittableRandom rnd, Tally tally) {
    int m = side(rnd), k = side(rnd), n = side(rnd);
    float[] a = values(rnd, m * k), b = values(rnd, k * n);
    try (HostMatrix ha = Compute.hostMatrix(m, k); HostMatrix hb = Compute.hostMatrix(k, n);
        HostMatrix hc = Compute.hostMatrix(m, n)) {
      ha.copyFrom(a);
      hb.copyFrom(b);
      Compute.matmul(ha, hb, hc);
      tally.call("matmul.host");
      report(tally, "matmul.host", Checks.product(a, b, m, k, n, hc.toArray()));
    }
  }

  /**
   * {@code (a · b) · e} on resident matrices, the first product closed before the second is read half of the time (it
   * must stay until the second has read it), read back by download, into a host matrix, or as a sum.
   */
  private void residentChain(SplittableRandom rnd, Tally tally) {
    int m = side(rnd), k = side(rnd), n = side(rnd), p = side(rnd);
    float[] a = values(rnd, m * k), b = values(rnd, k * n), e = values(rnd, n * p);
    try (DeviceMatrix da = Compute.upload(Matrix.of(m, k, a)); DeviceMatrix db = Compute.upload(Matrix.of(k, n, b));
        DeviceMatrix de = Compute.upload(Matrix.of(n, p, e))) {
      DeviceMatrix c = Compute.matmul(da, db);
      tally.dispatched(Compute.lastCall());
      DeviceMatrix d;
      try {
        d = Compute.matmul(c, de);
      } finally {
        if (rnd.nextBoolean()) c.close();
      }
      try (d; c) {
        tally.call("matmul.resident");
        float[] got;
        switch (rnd.nextInt(3)) {
          case 0 -> got = d.download().toArray();
          case 1 -> {
            try (HostMatrix into = Compute.hostMatrix(m, p)) {
              got = d.downloadInto(into).toArray();
            }
          }
          default -> {
            double sum = Compute.sum(d);
            got = null;
            checkChainSum(tally, a, b, e, m, k, n, p, sum);
          }
        }
        if (got != null) report(tally, "matmul.resident", Checks.chain(a, b, e, m, k, n, p, got));
      }
    } catch (IllegalStateException lost) {
      if (!String.valueOf(lost.getMessage()).contains("could not be")) throw lost;
      tally.lost("matmul.resident", lost);
    }
  }

  /** The sum of a chain's result against the reference, within the chain's bounds summed plus the sum contract. */
  private static void checkChainSum(Tally tally, float[] a, float[] b, float[] e, int m, int k, int n, int p,
      double sum) {
    double[] c = dev.pincette.kernels.MatmulOp.reference(a, b, m, k, n);
    double reference = 0, scale = 0;
    for (int i = 0; i < m; i++) {
      for (int q = 0; q < n; q++) {
        for (int j = 0; j < p; j++) {
          reference += c[i * n + q] * e[q * p + j];
          scale += Math.abs(c[i * n + q] * e[q * p + j]);
        }
      }
    }
    // Each element within (k+n+4)·2^-24 of its absolute terms, and the sum within 1e-6 of them.
    double bound = ((k + n + 4) * 0x1p-24 + ReduceOp.SUM_TOLERANCE) * scale * 1.01;
    if (!(Math.abs(sum - reference) <= bound)) {
      tally.wrong("sum.resident", "sum of a chain = " + sum + ", reference " + reference + " ± " + bound);
    }
  }

  private void reductions(SplittableRandom rnd, Tally tally) {
    int n = rnd.nextInt(20) == 0 ? rnd.nextInt(1 << 21) : 1 + rnd.nextInt(5000);
    float[] x = values(rnd, n), y = values(rnd, n);
    if (n > 0 && rnd.nextInt(8) == 0) x[rnd.nextInt(n)] = rnd.nextBoolean() ? Float.NaN : Float.POSITIVE_INFINITY;
    report(tally, "sum", Checks.sum("sum", ReduceOp.referenceSum(x), ReduceOp.absSum(x), Compute.sum(x)));
    tally.call("sum");
    report(tally, "dot", Checks.sum("dot", ReduceOp.referenceDot(x, y), ReduceOp.absDot(x, y), Compute.dot(x, y)));
    tally.call("dot");
    if (n == 0) return;
    report(tally, "min", Checks.same("min", ReduceOp.referenceMin(x), Compute.min(x)));
    tally.call("min");
    report(tally, "max", Checks.same("max", ReduceOp.referenceMax(x), Compute.max(x)));
    tally.call("max");
    report(tally, "argmin", Checks.same("argmin", ReduceOp.referenceArgmin(x), Compute.argmin(x)));
    tally.call("argmin");
    report(tally, "argmax", Checks.same("argmax", ReduceOp.referenceArgmax(x), Compute.argmax(x)));
    tally.call("argmax");
  }

  private void residentSum(SplittableRandom rnd, Tally tally) {
    int rows = side(rnd), cols = side(rnd);
    float[] x = values(rnd, rows * cols);
    try (DeviceMatrix d = Compute.upload(Matrix.of(rows, cols, x))) {
      double sum = Compute.sum(d);
      tally.call("sum.resident");
      report(tally, "sum.resident", Checks.sum("sum", ReduceOp.referenceSum(x), ReduceOp.absSum(x), sum));
    }
  }

  /** A map of its own: built, searched every way, moved, searched again, closed. */
  private void spatialMap(SplittableRandom rnd, Tally tally) {
    int dims = 2 + rnd.nextInt(2);
    int n = 1 + rnd.nextInt(rnd.nextInt(10) == 0 ? 4000 : 800);
    float[] xyz = values(rnd, n * dims);
    float cell = 0.02f + (float) rnd.nextDouble() * 0.3f;
    try (SpatialHashMap map = rnd.nextInt(4) == 0 ? SpatialHashMap.forRadii(xyz, dims, cell / 4, cell * 2)
        : SpatialHashMap.build(xyz, dims, cell)) {
      tally.call("spatial");
      for (int round = 0; round < 2; round++) {
        float radius = (float) rnd.nextDouble() * cell;
        float[] center = values(rnd, dims);
        report(tally, "spatial.query", Checks.sameIndices("query", SpatialOp.queryReference(xyz, dims, center, radius),
            map.query(center, radius)));
        int[][] reference = SpatialOp.neighborsReference(xyz, dims, radius);
        Neighbors all = map.neighborsWithin(radius);
        int[] counts = map.neighborCounts(radius);
        AtomicLong pairs = new AtomicLong();
        map.forEachPair(radius, (i, j) -> pairs.incrementAndGet());
        long referencePairs = 0;
        for (int i = 0; i < n; i++) {
          referencePairs += reference[i].length;
          String wrong = Checks.sameIndices("neighbours of " + i, reference[i], all.of(i));
          if (wrong == null && counts[i] != reference[i].length) wrong = "count of " + i + " = " + counts[i];
          if (wrong != null) {
            report(tally, "spatial", wrong);
            break;
          }
        }
        report(tally, "spatial.pairs", Checks.same("pairs", referencePairs / 2, pairs.get()));
        float[] radii = new float[n];
        for (int i = 0; i < n; i++) radii[i] = (float) rnd.nextDouble() * cell * 2;
        Neighbors each = map.neighborsWithin(radii);
        int[][] eachReference = SpatialOp.neighborsReference(xyz, dims, radii);
        for (int i = 0; i < n; i++) {
          String wrong = Checks.sameIndices("neighbours of " + i + " within its radius", eachReference[i], each.of(i));
          if (wrong != null) {
            report(tally, "spatial", wrong);
            break;
          }
        }
        for (int i = 0; i < xyz.length; i++) xyz[i] += (float) (rnd.nextDouble() - 0.5) * cell;
        map.update(xyz);
        tally.call("spatial");
      }
    }
  }

  private static void report(Tally tally, String op, String wrong) {
    if (wrong != null) tally.wrong(op, wrong);
  }
}
