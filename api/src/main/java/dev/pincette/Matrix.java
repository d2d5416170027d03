package dev.pincette;

import java.util.Arrays;
import java.util.Objects;

/**
 * An immutable dense float32 matrix, row-major. Safe to share between threads.
 *
 * <pre>{@code
 * Matrix a = Matrix.of(2, 3, 1, 2, 3,
 *                            4, 5, 6);
 * Matrix c = Compute.matmul(a, a.transpose());
 * }</pre>
 */
public final class Matrix {
  private final int rows;
  private final int cols;
  private final float[] data;

  private Matrix(int rows, int cols, float[] data) {
    this.rows = rows;
    this.cols = cols;
    this.data = data;
  }

  /** A {@code rows×cols} matrix holding a copy of {@code rowMajor}, which must have exactly {@code rows·cols} values. */
  public static Matrix of(int rows, int cols, float... rowMajor) {
    Objects.requireNonNull(rowMajor, "Matrix.of: rowMajor is null");
    if (rows < 0 || cols < 0) {
      throw new IllegalArgumentException("Matrix.of: negative shape " + rows + "x" + cols);
    }
    if ((long) rows * cols != rowMajor.length) {
      throw new IllegalArgumentException("Matrix.of: got " + rowMajor.length + " values, wanted " + rows + "x" + cols
          + " = " + (long) rows * cols);
    }
    return new Matrix(rows, cols, rowMajor.clone());
  }

  /** A matrix from rows of equal length (copied). */
  public static Matrix of(float[][] rows) {
    Objects.requireNonNull(rows, "Matrix.of: rows is null");
    int cols = rows.length == 0 ? 0 : Objects.requireNonNull(rows[0], "Matrix.of: row 0 is null").length;
    float[] data = new float[elements("Matrix.of", rows.length, cols)];
    for (int r = 0; r < rows.length; r++) {
      float[] row = Objects.requireNonNull(rows[r], "Matrix.of: row " + r + " is null");
      if (row.length != cols) {
        throw new IllegalArgumentException("Matrix.of: row " + r + " has " + row.length + " values, wanted " + cols);
      }
      System.arraycopy(row, 0, data, r * cols, cols);
    }
    return new Matrix(rows.length, cols, data);
  }

  /** A {@code rows×cols} matrix of zeros. */
  public static Matrix zeros(int rows, int cols) {
    if (rows < 0 || cols < 0) throw new IllegalArgumentException("Matrix.zeros: negative shape " + rows + "x" + cols);
    return new Matrix(rows, cols, new float[elements("Matrix.zeros", rows, cols)]);
  }

  /** Elements a matrix may hold: as many as a Java array. */
  private static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

  /** {@code rows·cols}, refused with the shape named when a Java array cannot hold that many. */
  private static int elements(String op, long rows, long cols) {
    if (rows * cols > MAX_ELEMENTS) {
      throw new IllegalArgumentException(op + ": " + rows + "x" + cols + " has more than " + MAX_ELEMENTS + " elements");
    }
    return (int) (rows * cols);
  }

  /** Wraps an array this library just produced and nobody else holds. */
  static Matrix wrap(int rows, int cols, float[] owned) {
    return new Matrix(rows, cols, owned);
  }

  /** Number of rows. */
  public int rows() {
    return rows;
  }

  /** Number of columns. */
  public int cols() {
    return cols;
  }

  /** The element at {@code row, col}. */
  public float get(int row, int col) {
    if (row < 0 || row >= rows) throw outside("get: row", row, rows);
    if (col < 0 || col >= cols) throw outside("get: col", col, cols);
    return data[row * cols + col];
  }

  /** An index outside {@code [0, length)}, named as the caller knows it. */
  static IndexOutOfBoundsException outside(String what, int index, int length) {
    return new IndexOutOfBoundsException(what + " " + index + " is not in [0, " + length + ")");
  }

  /** A copy of the elements, row-major. */
  public float[] toArray() {
    return data.clone();
  }

  /** The transpose, as a new matrix. */
  public Matrix transpose() {
    float[] t = new float[data.length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) t[c * rows + r] = data[r * cols + c];
    }
    return new Matrix(cols, rows, t);
  }

  /** The shape as users read it, e.g. {@code 3x4}. */
  public String shape() {
    return rows + "x" + cols;
  }

  /** The backing array, never handed to users. */
  float[] data() {
    return data;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Matrix m && m.rows == rows && m.cols == cols && Arrays.equals(m.data, data);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * rows + cols) + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    if (data.length > 64) return "Matrix[" + shape() + "]";
    StringBuilder s = new StringBuilder("Matrix[").append(shape()).append("]{");
    for (int r = 0; r < rows; r++) {
      s.append(r == 0 ? "" : ", ").append(Arrays.toString(Arrays.copyOfRange(data, r * cols, (r + 1) * cols)));
    }
    return s.append('}').toString();
  }
}
