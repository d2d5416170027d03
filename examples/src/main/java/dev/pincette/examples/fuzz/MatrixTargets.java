package dev.pincette.examples.fuzz;

import dev.pincette.DeviceMatrix;
import dev.pincette.HostMatrix;
import dev.pincette.Matrix;
import dev.pincette.examples.fuzz.Target.Case;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The methods of {@link Matrix}, {@link HostMatrix} and {@link DeviceMatrix}, on open and closed handles. */
final class MatrixTargets {
  private MatrixTargets() {}

  static List<Target> all() {
    List<Target> t = new ArrayList<>();
    t.add(new Target(Matrix.class, "of", new Class<?>[] {int.class, int.class, float[].class}, MatrixTargets::of));
    t.add(new Target(Matrix.class, "of", new Class<?>[] {float[][].class}, MatrixTargets::ofRows));
    t.add(new Target(Matrix.class, "zeros", new Class<?>[] {int.class, int.class}, MatrixTargets::zeros));
    t.add(matrix("rows", (g, m) -> Case.on(m, same(m.rows()))));
    t.add(matrix("cols", (g, m) -> Case.on(m, same(m.cols()))));
    t.add(matrix("shape", (g, m) -> Case.on(m, same(m.rows() + "x" + m.cols()))));
    t.add(matrix("toArray", (g, m) -> Case.on(m, ComputeTargets.returns(r -> r != m.toArray() && Arrays.equals(
        (float[]) r, m.toArray()) ? null : "not an equal copy"))));
    t.add(matrix("transpose", (g, m) -> Case.on(m, ComputeTargets.returns(r -> transposed(m, (Matrix) r)))));
    t.add(matrix("hashCode", (g, m) -> Case.on(m, same(m.hashCode()))));
    t.add(matrix("toString", (g, m) -> Case.on(m, ComputeTargets.returns(r -> ((String) r).contains(m.shape()) ? null
        : "does not name the shape"))));
    t.add(new Target(Matrix.class, "equals", new Class<?>[] {Object.class}, g -> {
      Matrix m = g.matrix(g.small(5), g.small(5), false);
      Object other = switch (g.rnd.nextInt(4)) {
        case 0 -> null;
        case 1 -> Matrix.of(m.rows(), m.cols(), m.toArray());
        case 2 -> "not a matrix";
        default -> g.matrix(g.small(5), g.small(5), false);
      };
      boolean equal = other instanceof Matrix o && o.rows() == m.rows() && o.cols() == m.cols()
          && Arrays.equals(o.toArray(), m.toArray());
      return Case.on(m, same(equal), other);
    }));
    t.add(new Target(Matrix.class, "get", new Class<?>[] {int.class, int.class}, g -> {
      Matrix m = g.matrix(g.small(6), g.small(6), false);
      int row = index(g, m.rows()), col = index(g, m.cols());
      Expect e = new Expect.Builder().index(row < 0 || row >= m.rows(), "row").index(col < 0 || col >= m.cols(), "col")
          .returns(r -> Float.compare((Float) r, m.toArray()[row * m.cols() + col]) == 0 ? null : "value " + r);
      return Case.on(m, e, row, col);
    }));
    t.addAll(HostTargets.all());
    t.addAll(DeviceTargets.all());
    return t;
  }

  /** An index: mostly inside {@code 0..length-1}, sometimes just outside or far outside. */
  static int index(Gen g, int length) {
    return g.chance(0.7) && length > 0 ? g.rnd.nextInt(length)
        : g.pick(List.of(-1, length, length + 1, Integer.MIN_VALUE, Integer.MAX_VALUE));
  }

  private static Target matrix(String name, java.util.function.BiFunction<Gen, Matrix, Case> cases) {
    return new Target(Matrix.class, name, new Class<?>[0], g -> cases.apply(g, g.matrix(g.small(9), g.small(9), false)));
  }

  static Expect same(Object value) {
    return ComputeTargets.returns(r -> value.equals(r) ? null : "returned " + r + ", wanted " + value);
  }

  private static String transposed(Matrix m, Matrix t) {
    if (t.rows() != m.cols() || t.cols() != m.rows()) return "shape " + t.shape();
    for (int r = 0; r < m.rows(); r++) {
      for (int c = 0; c < m.cols(); c++) {
        if (Float.compare(m.get(r, c), t.get(c, r)) != 0) return "element " + r + "," + c;
      }
    }
    return null;
  }

  private static Case of(Gen g) {
    int rows = g.size(), cols = g.size();
    boolean valid = rows >= 0 && cols >= 0 && (long) rows * cols <= Gen.ARRAY_LIMIT;
    if (!valid && rows >= 0 && cols >= 0 && (long) rows * cols <= Gen.MAX_ELEMENTS) return of(g);
    float[] values = g.valuesFor((long) rows * cols);
    Expect e = new Expect.Builder().npe(values == null, "rowMajor").iae(rows < 0 || cols < 0, "negative")
        .iae(values != null && (long) rows * cols != values.length, "values").returns(r -> {
          Matrix m = (Matrix) r;
          if (m.rows() != rows || m.cols() != cols) return "shape " + m.shape();
          if (!Arrays.equals(m.toArray(), values)) return "values differ";
          if (values.length > 0) {
            float first = values[0];
            values[0] = first == 42f ? 43f : 42f;   // the matrix holds a copy
            boolean kept = Float.compare(m.toArray()[0], first) == 0;
            values[0] = first;
            if (!kept) return "the matrix shares the caller's array";
          }
          return null;
        });
    return Case.of(e, rows, cols, values);
  }

  /**
   * Rows of equal or unequal length, null rows, and row counts whose product with the row length passes 2^31 and 2^32
   * (one short row array shared by many rows, so nothing large is allocated).
   */
  private static Case ofRows(Gen g) {
    float[][] rows;
    long elements;
    if (g.chance(0.1)) {
      int count = g.pick(List.of(46341, 65536, 1 << 20)), length = g.pick(List.of(46341, 65537, 4096));
      float[] shared = new float[length];
      rows = new float[count][];
      Arrays.fill(rows, shared);
      elements = (long) count * length;
    } else {
      int count = g.small(6), length = g.small(6);
      rows = new float[count][];
      for (int r = 0; r < count; r++) rows[r] = g.chance(0.9) ? g.values(length) : g.chance(0.5) ? null
          : g.values(g.small(6));
      elements = (long) count * length;
    }
    boolean nullRows = rows == null || g.chance(0.04);
    float[][] arg = nullRows ? null : rows;
    Expect.Builder e = new Expect.Builder().npe(arg == null, "rows");
    if (arg != null) {
      int cols = arg.length == 0 || arg[0] == null ? 0 : arg[0].length;
      for (float[] row : arg) {
        e.npe(row == null, "row").iae(row != null && row.length != cols, "row");
        if (e.broken()) break;
      }
      e.iae(!e.broken() && (long) arg.length * cols > Gen.MAX_ELEMENTS, "elements");
    }
    boolean tooLarge = elements > Gen.ARRAY_LIMIT && !e.broken();
    if (tooLarge) return ofRows(g);   // valid but gigabytes: not allocated here
    return Case.of(e.returns(r -> {
      Matrix m = (Matrix) r;
      for (int i = 0; i < arg.length; i++) {
        for (int c = 0; c < m.cols(); c++) {
          if (Float.compare(m.get(i, c), arg[i][c]) != 0) return "element " + i + "," + c;
        }
      }
      return m.rows() == arg.length ? null : "rows " + m.rows();
    }), (Object) arg);
  }

  private static Case zeros(Gen g) {
    int rows = g.size(), cols = g.size();
    boolean valid = rows >= 0 && cols >= 0 && (long) rows * cols <= Gen.MAX_ELEMENTS;
    if (valid && (long) rows * cols > Gen.ARRAY_LIMIT) return zeros(g);
    Expect e = new Expect.Builder().iae(rows < 0 || cols < 0, "negative")
        .iae((long) rows * cols > Gen.MAX_ELEMENTS, "elements").returns(r -> {
          Matrix m = (Matrix) r;
          for (float v : m.toArray()) {
            if (v != 0) return "not zero";
          }
          return m.rows() == rows && m.cols() == cols ? null : "shape " + m.shape();
        });
    return Case.of(e, rows, cols);
  }

  /** The methods of {@link HostMatrix}: every one on open and closed matrices. */
  static final class HostTargets {
    private HostTargets() {}

    static List<Target> all() {
      List<Target> t = new ArrayList<>();
      t.add(host("rows", (g, h, v) -> Case.on(h, same(h.rows()))));
      t.add(host("cols", (g, h, v) -> Case.on(h, same(h.cols()))));
      t.add(host("shape", (g, h, v) -> Case.on(h, same(h.rows() + "x" + h.cols()))));
      t.add(host("isPinned", (g, h, v) -> Case.on(h, ComputeTargets.returns(r -> r instanceof Boolean ? null : "?"))));
      t.add(host("isClosed", (g, h, v) -> Case.on(h, same(h.isClosed()))));
      t.add(host("toString", (g, h, v) -> Case.on(h, ComputeTargets.returns(r -> ((String) r).contains(h.shape())
          ? null : "does not name the shape"))));
      t.add(host("close", (g, h, v) -> Case.on(h, ComputeTargets.returns(r -> h.isClosed() ? null : "still open"))));
      t.add(host("segment", (g, h, v) -> Case.on(h, open(h).returns(r -> ((MemorySegment) r).byteSize()
          == 4L * v.length ? null : "segment of " + ((MemorySegment) r).byteSize() + " bytes"))));
      t.add(host("toArray", (g, h, v) -> Case.on(h, open(h).returns(r -> Arrays.equals((float[]) r, v) ? null
          : "values differ"))));
      t.add(host("toMatrix", (g, h, v) -> Case.on(h, open(h).returns(r -> Arrays.equals(((Matrix) r).toArray(), v)
          ? null : "values differ"))));
      t.add(new Target(HostMatrix.class, "get", new Class<?>[] {int.class, int.class}, g -> {
        float[] values = g.values(hostSize(g));
        HostMatrix h = hostOf(g, values);
        int row = index(g, h.rows()), col = index(g, h.cols());
        Expect e = open(h).index(row < 0 || row >= h.rows(), "row").index(col < 0 || col >= h.cols(), "col")
            .returns(r -> Float.compare((Float) r, values[row * h.cols() + col]) == 0 ? null : "value " + r);
        return Case.on(h, e, row, col);
      }));
      t.add(new Target(HostMatrix.class, "set", new Class<?>[] {int.class, int.class, float.class}, g -> {
        HostMatrix h = hostOf(g, g.values(hostSize(g)));
        int row = index(g, h.rows()), col = index(g, h.cols());
        float value = g.value();
        Expect e = open(h).index(row < 0 || row >= h.rows(), "row").index(col < 0 || col >= h.cols(), "col")
            .returns(r -> Float.compare(h.get(row, col), value) == 0 ? null : "read back " + h.get(row, col));
        return Case.on(h, e, row, col, value);
      }));
      t.add(new Target(HostMatrix.class, "copyFrom", new Class<?>[] {float[].class}, g -> {
        HostMatrix h = hostOf(g, g.values(hostSize(g)));
        float[] values = g.valuesFor((long) h.rows() * h.cols());
        Expect e = open(h).npe(values == null, "rowMajor")
            .iae(values != null && values.length != (long) h.rows() * h.cols(), "values")
            .returns(r -> r == h && Arrays.equals(h.toArray(), values) ? null : "values differ");
        return Case.on(h, e, (Object) values);
      }));
      t.add(new Target(HostMatrix.class, "copyFrom", new Class<?>[] {Matrix.class}, g -> {
        HostMatrix h = hostOf(g, g.values(hostSize(g)));
        Matrix m = g.chance(0.85) ? g.matrix(h.rows(), h.cols(), true) : g.matrix(g.small(5), g.small(5), false);
        Expect e = open(h).npe(m == null, "m")
            .iae(m != null && (m.rows() != h.rows() || m.cols() != h.cols()), "matrix")
            .returns(r -> Arrays.equals(h.toArray(), m.toArray()) ? null : "values differ");
        return Case.on(h, e, m);
      }));
      return t;
    }

    interface HostCase {
      Case make(Gen g, HostMatrix h, float[] values);
    }

    private static Target host(String name, HostCase cases) {
      return new Target(HostMatrix.class, name, new Class<?>[0], g -> {
        float[] v = g.values(hostSize(g));
        return cases.make(g, hostOf(g, v), v);
      });
    }

    /** Mostly small, now and then past the 64 KB from which a GPU backend pins it. */
    static int hostSize(Gen g) {
      return g.chance(0.1) ? 200 * 200 : g.small(36);
    }

    /** A host matrix of {@code values}, one row of them or a square, closed now and then. */
    static HostMatrix hostOf(Gen g, float[] values) {
      int side = (int) Math.sqrt(values.length);
      return side * side == values.length ? g.host(side, side, values) : g.host(1, values.length, values);
    }

    static Expect.Builder open(HostMatrix h) {
      return new Expect.Builder().ise(h.isClosed(), "closed");
    }
  }

  /** The methods of {@link DeviceMatrix}, on matrices uploaded wherever the case's scope puts them. */
  static final class DeviceTargets {
    private DeviceTargets() {}

    static List<Target> all() {
      List<Target> t = new ArrayList<>();
      t.add(device("rows", (d, m) -> same(m.rows())));
      t.add(device("cols", (d, m) -> same(m.cols())));
      t.add(device("shape", (d, m) -> same(m.shape())));
      t.add(device("backend", (d, m) -> ComputeTargets.returns(r -> r != null ? null : "no backend")));
      t.add(device("isClosed", (d, m) -> same(d.isClosed())));
      t.add(device("toString", (d, m) -> ComputeTargets.returns(r -> ((String) r).contains(m.shape()) ? null
          : "does not name the shape")));
      t.add(device("close", (d, m) -> ComputeTargets.returns(r -> d.isClosed() ? null : "still open")));
      t.add(device("await", (d, m) -> open(d).returns(r -> r == d ? null : "did not return itself")));
      t.add(device("download", (d, m) -> open(d).returns(r -> m.equals(r) ? null : "values differ")));
      t.add(new Target(DeviceMatrix.class, "downloadInto", new Class<?>[] {HostMatrix.class}, g -> {
        Matrix m = g.matrix(g.small(40), g.small(40), false);
        DeviceMatrix d = g.device(m);
        HostMatrix out = g.chance(0.05) ? null : g.chance(0.9) ? g.host(m.rows(), m.cols(), new float[m.rows() * m.cols()])
            : g.host(1, 3, new float[3]);
        Expect.Builder e = open(d).npe(out == null, "out");
        if (out != null) {
          e.iae(out.rows() != m.rows() || out.cols() != m.cols(), "out").ise(out.isClosed(), "closed");
        }
        return Case.on(d, e.returns(r -> r == out && Arrays.equals(out.toArray(), m.toArray()) ? null
            : "values differ"), out);
      }));
      return t;
    }

    private static Target device(String name, java.util.function.BiFunction<DeviceMatrix, Matrix, Expect> expect) {
      return new Target(DeviceMatrix.class, name, new Class<?>[0], g -> {
        Matrix m = g.matrix(g.small(40), g.small(40), false);
        DeviceMatrix d = g.device(m);
        return Case.on(d, expect.apply(d, m));
      });
    }

    static Expect.Builder open(DeviceMatrix d) {
      return new Expect.Builder().ise(d.isClosed(), "closed");
    }
  }
}
