package dev.pincette.examples.fuzz;

import dev.pincette.AsyncCompute;
import dev.pincette.BackendKind;
import dev.pincette.CallRecord;
import dev.pincette.Compute;
import dev.pincette.ComputeOn;
import dev.pincette.DeviceMatrix;
import dev.pincette.Explanation;
import dev.pincette.HostMatrix;
import dev.pincette.Matrix;
import dev.pincette.examples.check.Checks;
import dev.pincette.examples.fuzz.Target.Case;
import dev.pincette.kernels.ReduceOp;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The ops of {@link Compute}, each written once against its static signature; {@link ApiFuzzer} also runs each on
 * {@link ComputeOn} and {@link AsyncCompute} where they declare it. Also the methods only those two have.
 */
final class ComputeTargets {
  private ComputeTargets() {}

  static List<Target> all() {
    List<Target> t = new ArrayList<>();
    t.add(target("matmul", ComputeTargets::matmulArrays, float[].class, int.class, int.class, float[].class,
        int.class, int.class));
    t.add(target("matmul", ComputeTargets::matmulMatrices, Matrix.class, Matrix.class));
    t.add(target("batchedMatmul", ComputeTargets::batched, float[].class, float[].class, int.class, int.class,
        int.class, int.class));
    t.add(target("hostMatrix", ComputeTargets::hostMatrix, int.class, int.class));
    t.add(target("matmul", ComputeTargets::hostProduct, HostMatrix.class, HostMatrix.class, HostMatrix.class));
    t.add(target("upload", ComputeTargets::upload, Matrix.class));
    t.add(target("matmul", ComputeTargets::residentProduct, DeviceMatrix.class, DeviceMatrix.class));
    t.add(target("sum", ComputeTargets::residentSum, DeviceMatrix.class));
    for (ReduceOp op : List.of(ReduceOp.SUM, ReduceOp.MIN, ReduceOp.MAX, ReduceOp.ARGMIN, ReduceOp.ARGMAX)) {
      t.add(target(op.opName(), g -> reduction(g, op, false), float[].class));
    }
    t.add(target("mean", g -> reduction(g, null, false), float[].class));
    t.add(target("dot", ComputeTargets::dot, float[].class, float[].class));
    for (ReduceOp op : List.of(ReduceOp.SUM, ReduceOp.MIN, ReduceOp.MAX)) {
      t.add(target(op.opName(), g -> reduction(g, op, true), Matrix.class));
    }
    t.add(target("mean", g -> reduction(g, null, true), Matrix.class));
    t.add(target("async", g -> Case.of(returns(r -> r instanceof AsyncCompute ? null : "not an AsyncCompute"))));
    t.add(target("on", ComputeTargets::on, BackendKind.class));
    t.add(target("devices", g -> Case.of(returns(r -> ((List<?>) r).stream()
        .anyMatch(d -> ((dev.pincette.DeviceInfo) d).backend().equals("cpu")) ? null : "no cpu device listed"))));
    t.add(target("lastCall", g -> Case.of(returns(r -> r == null || r instanceof CallRecord ? null : "not a record"))));
    t.add(target("currentBackend", g -> Case.of(returns(r -> r != null ? null : "null backend"))));
    t.add(target("explain", ComputeTargets::explain, Runnable.class));
    t.add(new Target(ComputeOn.class, "kind", new Class<?>[0],
        g -> Case.on(Compute.on(kind(g)), returns(r -> r != null ? null : "null kind"))));
    t.add(new Target(ComputeOn.class, "run", new Class<?>[] {Runnable.class}, g -> scope(g, false)));
    t.add(new Target(ComputeOn.class, "call", new Class<?>[] {Supplier.class}, g -> scope(g, true)));
    t.add(new Target(ComputeOn.class, "async", new Class<?>[0],
        g -> Case.on(Compute.on(kind(g)), returns(r -> r instanceof AsyncCompute ? null : "not an AsyncCompute"))));
    return t;
  }

  private static Target target(String name, java.util.function.Function<Gen, Case> cases, Class<?>... params) {
    return new Target(Compute.class, name, params, cases);
  }

  static Expect returns(java.util.function.Function<Object, String> check) {
    return new Expect.Builder().returns(check);
  }

  /** A backend to force; OpenCL only where it is usable. */
  static BackendKind kind(Gen g) {
    List<BackendKind> kinds = new ArrayList<>(List.of(BackendKind.AUTO, BackendKind.CPU));
    if (ApiFuzzer.openclUsable()) kinds.add(BackendKind.OPENCL);
    return g.pick(kinds);
  }

  /** Three sizes for {@code a[m×k] · b[k'×n]}, each mostly small, k' mostly k; a valid product stays cheap. */
  private static int[] productShape(Gen g) {
    int m = g.size(), k = g.size(), n = g.size();
    int bRows = g.chance(0.85) ? k : g.size();
    boolean valid = m >= 0 && k >= 0 && n >= 0 && k == bRows && (long) m * n <= Gen.MAX_ELEMENTS;
    if (valid && !Gen.cheap(m, k, n)) return productShape(g);
    return new int[] {m, k, bRows, n};
  }

  private static Expect.Builder shapeRules(int m, int k, int bRows, int n) {
    return new Expect.Builder().iae(m < 0 || k < 0 || bRows < 0 || n < 0, "negative")
        .iae(k != bRows, "inner dimensions").iae((long) m * n > Gen.MAX_ELEMENTS, "result");
  }

  private static Case matmulArrays(Gen g) {
    int[] s = productShape(g);
    int m = s[0], k = s[1], bRows = s[2], n = s[3];
    float[] a = g.valuesFor((long) m * k), b = g.valuesFor((long) bRows * n);
    Expect.Builder e = shapeRules(m, k, bRows, n).npe(a == null, "a").npe(b == null, "b");
    if (a != null && m >= 0 && k >= 0) e.iae((long) m * k != a.length, "length");
    if (b != null && bRows >= 0 && n >= 0) e.iae((long) bRows * n != b.length, "length");
    return Case.of(e.returns(r -> Checks.product(a, b, m, k, n, (float[]) r)), a, m, k, b, bRows, n);
  }

  private static Case matmulMatrices(Gen g) {
    int m = g.small(80), k = g.small(80), n = g.small(80);
    int bRows = g.chance(0.85) ? k : g.small(80);
    Matrix a = g.matrix(m, k, true), b = g.matrix(bRows, n, true);
    Expect.Builder e = new Expect.Builder().npe(a == null, "a").npe(b == null, "b").iae(k != bRows, "inner");
    return Case.of(e.returns(r -> Checks.product(a.toArray(), b.toArray(), m, k, n, ((Matrix) r).toArray())), a, b);
  }

  private static Case batched(Gen g) {
    int count = g.chance(0.8) ? g.small(40) : g.size();
    int m = g.chance(0.8) ? g.small(20) : g.size();
    int k = g.chance(0.8) ? g.small(20) : g.size();
    int n = g.chance(0.8) ? g.small(20) : g.size();
    long aLength = (long) count * m * k, bLength = (long) count * k * n;
    boolean valid = count >= 0 && m >= 0 && k >= 0 && n >= 0 && (long) count * m * n <= Gen.MAX_ELEMENTS;
    if (valid && (!Gen.cheap((long) count * m, k, n) || (long) count * m * n > Gen.ARRAY_LIMIT)) return batched(g);
    float[] a = g.valuesFor(aLength), b = g.valuesFor(bLength);
    Expect.Builder e = new Expect.Builder().npe(a == null, "a").npe(b == null, "b").iae(count < 0, "count")
        .iae(m < 0 || k < 0 || n < 0, "negative").iae((long) count * m * n > Gen.MAX_ELEMENTS, "result");
    if (a != null) e.iae(aLength != a.length, "length");
    if (b != null) e.iae(bLength != b.length, "length");
    return Case.of(e.returns(r -> {
      float[] c = (float[]) r;
      if (c.length != count * m * n) return "result has " + c.length + " values, wanted " + count * m * n;
      for (int i = 0; i < count; i++) {
        String wrong = Checks.product(java.util.Arrays.copyOfRange(a, i * m * k, (i + 1) * m * k),
            java.util.Arrays.copyOfRange(b, i * k * n, (i + 1) * k * n), m, k, n,
            java.util.Arrays.copyOfRange(c, i * m * n, (i + 1) * m * n));
        if (wrong != null) return "item " + i + ": " + wrong;
      }
      return null;
    }), a, b, count, m, k, n);
  }

  private static Case hostMatrix(Gen g) {
    int rows = g.size(), cols = g.size();
    boolean valid = rows >= 0 && cols >= 0 && (long) rows * cols <= Gen.MAX_ELEMENTS;
    if (valid && (long) rows * cols > Gen.ARRAY_LIMIT) return hostMatrix(g);
    Expect e = new Expect.Builder().iae(rows < 0 || cols < 0, "negative")
        .iae((long) rows * cols > Gen.MAX_ELEMENTS, "elements").returns(r -> {
          HostMatrix h = (HostMatrix) r;
          if (h.rows() != rows || h.cols() != cols) return "shape " + h.shape();
          for (float v : h.toArray()) {
            if (v != 0) return "not zeroed: " + v;
          }
          return null;
        });
    return Case.of(e, rows, cols);
  }

  private static Case hostProduct(Gen g) {
    int m = g.small(70), k = g.small(70), n = g.small(70);
    int bRows = g.chance(0.9) ? k : g.small(70);
    int outRows = g.chance(0.9) ? m : g.small(70), outCols = g.chance(0.9) ? n : g.small(70);
    float[] av = g.values(m * k), bv = g.values(bRows * n);
    HostMatrix a = g.chance(0.03) ? null : g.host(m, k, av);
    HostMatrix b = g.chance(0.03) ? null : g.host(bRows, n, bv);
    HostMatrix out = g.chance(0.03) ? null : g.chance(0.03) ? a : g.host(outRows, outCols, g.values(outRows * outCols));
    Expect.Builder e = new Expect.Builder().npe(a == null, "a").npe(b == null, "b").npe(out == null, "out");
    if (!e.broken()) {
      e.iae(k != bRows, "inner").iae(out.rows() != m || out.cols() != n, "out")
          .iae(out == a || out == b, "out").ise(Gen.closed(a) || Gen.closed(b) || Gen.closed(out), "closed");
    }
    return Case.of(e.returns(r -> r != out ? "did not return out"
        : Checks.product(av, bv, m, k, n, out.toArray())), a, b, out);
  }

  private static Case upload(Gen g) {
    Matrix m = g.matrix(g.small(100), g.small(100), true);
    Expect e = new Expect.Builder().npe(m == null, "m").returns(r -> {
      DeviceMatrix d = (DeviceMatrix) r;
      return d.download().equals(m) ? null : "downloaded values differ from the uploaded ones";
    });
    return Case.of(e, m);
  }

  /**
   * Products of resident matrices, some whose result is past 2^31 elements (65536×1 · 1×65537, 46341×1 · 1×46341)
   * or empty inside (k = 0); operands are uploaded where the case's scope puts them.
   */
  private static Case residentProduct(Gen g) {
    int[][] extremes = {{65536, 1, 1, 65537}, {46341, 1, 1, 46341}, {65536, 0, 0, 65536}, {300, 0, 0, 200}};
    int m, k, bRows, n;
    if (g.chance(0.1)) {
      int[] s = extremes[g.rnd.nextInt(extremes.length)];
      m = s[0]; k = s[1]; bRows = s[2]; n = s[3];
    } else {
      m = g.small(80); k = g.small(80); n = g.small(80);
      bRows = g.chance(0.9) ? k : g.small(80);
    }
    Matrix ha = g.matrix(m, k, false), hb = g.matrix(bRows, n, false);
    DeviceMatrix a = g.chance(0.03) ? null : g.device(ha);
    DeviceMatrix b = g.chance(0.03) ? null : g.device(hb);
    Expect.Builder e = new Expect.Builder().npe(a == null, "a").npe(b == null, "b").iae(k != bRows, "inner")
        .ise(Gen.closed(a) || Gen.closed(b), "closed").iae((long) m * n > Gen.MAX_ELEMENTS, "result");
    return Case.of(e.returns(r -> {
      DeviceMatrix c = (DeviceMatrix) r;
      if (c.rows() != m || c.cols() != n) return "shape " + c.shape();
      return Checks.product(ha.toArray(), hb.toArray(), m, k, n, c.download().toArray());
    }), a, b);
  }

  private static Case residentSum(Gen g) {
    Matrix hx = g.matrix(g.small(100), g.small(100), false);
    DeviceMatrix x = g.chance(0.05) ? null : g.device(hx);
    float[] v = hx.toArray();
    Expect e = new Expect.Builder().npe(x == null, "x").ise(Gen.closed(x), "closed")
        .returns(r -> Checks.sum("sum", ReduceOp.referenceSum(v), ReduceOp.absSum(v), (Double) r));
    return Case.of(e, x);
  }

  /** A reduction of an array (or of a matrix's elements); {@code op} null is {@code mean}. */
  private static Case reduction(Gen g, ReduceOp op, boolean matrix) {
    int n = g.chance(0.02) ? 1 << 24 : g.chance(0.1) ? 0 : g.small(g.chance(0.5) ? 40 : 100_000);
    float[] x = g.chance(0.05) ? null : g.values(n);
    Object arg = x;
    if (matrix && x != null) arg = Matrix.of(1, n, x);
    boolean needsData = op != ReduceOp.SUM;
    Expect e = new Expect.Builder().npe(x == null, matrix ? "m" : "x").iae(x != null && needsData && n == 0, "empty")
        .returns(r -> reductionCheck(op, x, r));
    return Case.of(e, arg);
  }

  private static String reductionCheck(ReduceOp op, float[] x, Object r) {
    if (op == null) {
      double mean = ReduceOp.referenceSum(x) / x.length;
      return Checks.sum("mean", mean, ReduceOp.absSum(x) / x.length, (Double) r);
    }
    return switch (op) {
      case SUM -> Checks.sum("sum", ReduceOp.referenceSum(x), ReduceOp.absSum(x), (Double) r);
      case MIN -> sameFloat("min", ReduceOp.referenceMin(x), (Float) r);
      case MAX -> sameFloat("max", ReduceOp.referenceMax(x), (Float) r);
      case ARGMIN -> Checks.same("argmin", ReduceOp.referenceArgmin(x), r);
      case ARGMAX -> Checks.same("argmax", ReduceOp.referenceArgmax(x), r);
      default -> throw new IllegalArgumentException(op.toString());
    };
  }

  /** Equal as numbers (0 and -0 alike), or both NaN. */
  private static String sameFloat(String op, float reference, float got) {
    return got == reference || Float.isNaN(got) && Float.isNaN(reference) ? null
        : op + " = " + got + ", reference " + reference;
  }

  private static Case dot(Gen g) {
    int n = g.chance(0.1) ? 0 : g.small(g.chance(0.5) ? 40 : 100_000);
    float[] x = g.chance(0.04) ? null : g.values(n);
    float[] y = g.chance(0.04) ? null : g.values(g.chance(0.9) ? n : g.small(50));
    Expect e = new Expect.Builder().npe(x == null, "x").npe(y == null, "y")
        .iae(x != null && y != null && x.length != y.length, "lengths")
        .returns(r -> Checks.sum("dot", ReduceOp.referenceDot(x, y), ReduceOp.absDot(x, y), (Double) r));
    return Case.of(e, x, y);
  }

  private static Case on(Gen g) {
    BackendKind kind = g.chance(0.1) ? null : g.pick(List.of(BackendKind.values()));
    Expect e = new Expect.Builder().npe(kind == null, "kind")
        .returns(r -> ((ComputeOn) r).kind() == kind ? null : "kind " + ((ComputeOn) r).kind());
    return Case.of(e, kind);
  }

  /** {@code explain} of nothing, of no call, of a valid call and of a call with a bad argument. */
  private static Case explain(Gen g) {
    float[] x = g.values(g.small(1000));
    return switch (g.rnd.nextInt(4)) {
      case 0 -> Case.of(new Expect.Builder().npe(true, "call").fails(), (Object) null);
      case 1 -> Case.of(new Expect.Builder().iae(true, "no Pincette call").fails(), (Runnable) () -> {});
      case 2 -> Case.of(returns(r -> ((Explanation) r).op().equals("sum") ? null : "explained " + r),
          (Runnable) () -> Compute.sum(x));
      default -> Case.of(new Expect.Builder().iae(true, "inner").fails(),
          (Runnable) () -> Compute.matmul(x, 1, x.length, x, x.length + 1, 1));
    };
  }

  /** {@code ComputeOn.run} and {@code call}: a null body, a body making a call, a body whose call is refused. */
  private static Case scope(Gen g, boolean withResult) {
    ComputeOn on = Compute.on(kind(g));
    float[] x = g.values(g.small(1000));
    double sum = ReduceOp.referenceSum(x);
    return switch (g.rnd.nextInt(3)) {
      case 0 -> Case.on(on, new Expect.Builder().npe(true, "body").fails(), (Object) null);
      case 1 -> withResult
          ? Case.on(on, returns(r -> Checks.sum("sum", sum, ReduceOp.absSum(x), (Double) r)),
              (Supplier<Double>) () -> Compute.sum(x))
          : Case.on(on, returns(r -> null), (Runnable) () -> Compute.sum(x));
      default -> withResult
          ? Case.on(on, new Expect.Builder().iae(true, "empty").fails(), (Supplier<Float>) () -> Compute.max(new float[0]))
          : Case.on(on, new Expect.Builder().iae(true, "empty").fails(), (Runnable) () -> Compute.max(new float[0]));
    };
  }
}
