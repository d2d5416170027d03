package dev.pincette;

import dev.pincette.spi.HostMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Cleaner;
import java.util.Objects;

/**
 * A float32 matrix in native host memory, row-major, that the caller fills and reads in place through
 * {@link #segment()}. With a discrete GPU present its memory is page-locked ("pinned") by the driver (from 64 KB up,
 * within the device's largest allocation; {@link #isPinned()} tells): a product of host matrices then moves at the
 * bus's DMA speed with no copy on the host, and one of 64 MB or more spanning several 2048-wide panels is cut into
 * tiles whose transfers overlap the kernels. An ordinary {@link Matrix} lives on the Java heap, which a DMA engine cannot read, so
 * its transfers always go through a copy.
 *
 * <pre>{@code
 * try (HostMatrix a = Compute.hostMatrix(n, n);
 *      HostMatrix b = Compute.hostMatrix(n, n);
 *      HostMatrix c = Compute.hostMatrix(n, n)) {
 *   a.copyFrom(weights);                  // or write a.segment() directly
 *   b.copyFrom(inputs);
 *   Compute.matmul(a, b, c);              // c = a · b
 *   float first = c.get(0, 0);
 * }
 * }</pre>
 *
 * <p>Unlike {@code Matrix} it is mutable: writing it while a call reads it gives undefined values (never a crash).
 * Close it when done, since pinned memory is scarce; a matrix garbage collected unclosed is freed then, and the
 * library logs that it had to. After {@link #close()} the segment can no longer be accessed, and a call still running
 * keeps the memory until it ends.
 */
public final class HostMatrix implements AutoCloseable {
  private static final Cleaner CLEANER = Cleaner.create();
  private static final System.Logger LOG = System.getLogger("dev.pincette");

  private final int rows;
  private final int cols;
  private final State state;
  private final MemorySegment segment;
  private final Cleaner.Cleanable cleanable;

  /** The memory and its users, without a reference back to the matrix (for the cleaner). */
  private static final class State implements Runnable {
    private final HostMemory memory;
    private final Arena view;
    private final String shape;
    /** Guarded by {@code this}: whether closed, and how many calls use the memory now. */
    private boolean closed;
    private int users;

    State(HostMemory memory, String shape) {
      this.memory = memory;
      this.view = Arena.ofShared();
      this.shape = shape;
    }

    synchronized MemorySegment acquire(String op) {
      if (closed) throw new IllegalStateException(op + ": the HostMatrix " + shape + " is closed");
      users++;
      return memory.segment();
    }

    void release() {
      boolean last;
      synchronized (this) {
        last = --users == 0 && closed;
      }
      if (last) free();
    }

    /**
     * Closes; true if it was open. The caller's view ends first: while another thread still holds it (an NIO transfer
     * into the segment, say) this throws and changes nothing, since freeing the memory would leave that transfer
     * writing into freed memory. The memory is freed then, or by the last call still using it.
     */
    boolean close() {
      boolean free;
      synchronized (this) {
        if (closed) return false;
        try {
          view.close();
        } catch (IllegalStateException e) {
          throw new IllegalStateException("close: the HostMatrix " + shape + " is in use by another thread ("
              + e.getMessage() + "); close it once that is done", e);
        }
        closed = true;
        free = users == 0;
      }
      if (free) free();
      return true;
    }

    /**
     * Frees the memory, outside the monitor (a device may need a queue for it). A failure is logged, not thrown: it
     * must not turn a call that succeeded, whose release frees the memory, into an exception.
     */
    private void free() {
      try {
        memory.close();
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "pincette: freeing a HostMatrix " + shape + " failed: " + e);
      }
    }

    synchronized boolean isClosed() {
      return closed;
    }

    @Override
    public void run() {
      try {
        if (close()) {
          LOG.log(System.Logger.Level.WARNING, "pincette: a HostMatrix " + shape
              + " was never closed; freed by the garbage collector");
        }
      } catch (IllegalStateException e) {
        // Its segment, still reachable, is in use in another thread: better its memory lost than freed under it.
        LOG.log(System.Logger.Level.WARNING, "pincette: a HostMatrix " + shape + " was never closed, and its memory"
            + " cannot be freed while its segment is in use: " + e.getMessage());
      }
    }
  }

  HostMatrix(int rows, int cols, HostMemory memory) {
    this.rows = rows;
    this.cols = cols;
    this.state = new State(memory, rows + "x" + cols);
    try {
      // The caller's view ends with close(); calls in flight keep using the memory itself until they release it.
      // reinterpret is restricted: a JVM denying native access to this module refuses it here.
      this.segment = memory.segment().reinterpret(state.view, null);
    } catch (RuntimeException e) {
      state.close();
      throw e;
    }
    this.cleanable = CLEANER.register(this, state);
  }

  /** Number of rows. */
  public int rows() {
    return rows;
  }

  /** Number of columns. */
  public int cols() {
    return cols;
  }

  /** The shape as users read it, e.g. {@code 3x4}. */
  public String shape() {
    return rows + "x" + cols;
  }

  /** Whether the memory is page-locked for a GPU's DMA engines (false on machines without one). */
  public boolean isPinned() {
    return state.memory.pinned();
  }

  /**
   * The elements, row-major, as {@code rows·cols} floats in native byte order ({@link ValueLayout#JAVA_FLOAT}):
   * read and write them in place. Accessing the segment after {@link #close()} throws {@link IllegalStateException}.
   */
  public MemorySegment segment() {
    check("segment");
    return segment;
  }

  /** The element at {@code row, col}. */
  public float get(int row, int col) {
    return segment("get").getAtIndex(ValueLayout.JAVA_FLOAT, index("get", row, col));
  }

  /** Sets the element at {@code row, col}. */
  public void set(int row, int col, float value) {
    segment("set").setAtIndex(ValueLayout.JAVA_FLOAT, index("set", row, col), value);
  }

  /** Copies {@code rowMajor}, which must hold exactly {@code rows·cols} values, into this matrix; returns it. */
  public HostMatrix copyFrom(float[] rowMajor) {
    Objects.requireNonNull(rowMajor, "copyFrom: rowMajor is null");
    if (rowMajor.length != (long) rows * cols) {
      throw new IllegalArgumentException("copyFrom: got " + rowMajor.length + " values, wanted " + shape() + " = "
          + (long) rows * cols);
    }
    MemorySegment.copy(rowMajor, 0, segment("copyFrom"), ValueLayout.JAVA_FLOAT, 0, rowMajor.length);
    return this;
  }

  /** Copies {@code m}, which must have this matrix's shape, into this matrix; returns it. */
  public HostMatrix copyFrom(Matrix m) {
    Objects.requireNonNull(m, "copyFrom: m is null");
    if (m.rows() != rows || m.cols() != cols) {
      throw new IllegalArgumentException("copyFrom: the matrix is " + m.shape() + ", this one " + shape());
    }
    return copyFrom(m.data());
  }

  /** A copy of the elements, row-major. */
  public float[] toArray() {
    return segment("toArray").toArray(ValueLayout.JAVA_FLOAT);
  }

  /** A copy as an immutable heap {@link Matrix}. */
  public Matrix toMatrix() {
    return Matrix.wrap(rows, cols, toArray());
  }

  /** Whether {@link #close()} was called. */
  public boolean isClosed() {
    return state.isClosed();
  }

  /** The memory for a call of {@code op}, held until {@link #release()}; fails with the op's name once closed. */
  MemorySegment acquire(String op) {
    return state.acquire(op);
  }

  void release() {
    state.release();
  }

  /**
   * Frees the memory (once calls in flight end); later use throws {@link IllegalStateException}. Idempotent. Throws
   * {@link IllegalStateException}, and leaves the matrix open, while another thread still accesses the segment
   * through an operation that holds it (an NIO read into {@code segment().asByteBuffer()}).
   */
  @Override
  public void close() {
    if (state.close()) cleanable.clean();
  }

  @Override
  public String toString() {
    return "HostMatrix[" + shape() + (isPinned() ? ", pinned" : "") + (isClosed() ? ", closed]" : "]");
  }

  private MemorySegment segment(String op) {
    check(op);
    return segment;
  }

  private void check(String op) {
    if (state.isClosed()) throw new IllegalStateException(op + ": the HostMatrix " + shape() + " is closed");
  }

  private long index(String op, int row, int col) {
    if (row < 0 || row >= rows) throw Matrix.outside(op + ": row", row, rows);
    if (col < 0 || col >= cols) throw Matrix.outside(op + ": col", col, cols);
    return (long) row * cols + col;
  }
}
