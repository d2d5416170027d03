package dev.pincette;

import dev.pincette.internal.Dispatcher;
import dev.pincette.spi.Resident;
import java.lang.ref.Cleaner;

/**
 * A matrix that stays where it was computed (on a GPU, or on the CPU when that is where it ran), so chained ops move
 * no data: upload once, run ops whose results stay resident, {@link #download()} only what you need. Immutable and
 * safe to share between threads. Close it when done; one that is garbage collected unclosed is freed then, and the
 * library logs that it had to.
 *
 * <pre>{@code
 * try (DeviceMatrix a = Compute.upload(weights);
 *      DeviceMatrix x = Compute.upload(input);
 *      DeviceMatrix y = Compute.matmul(a, x);
 *      DeviceMatrix z = Compute.matmul(a, y)) {
 *   Matrix result = z.download();
 * }
 * }</pre>
 *
 * <p>A product on a GPU returns as soon as its kernel is enqueued: the next product of it waits for it on the device,
 * so a chain runs back to back, and {@link #download()}, a sum or {@link #await()} wait on the host. Its operands stay
 * on the device until it is known to be computed, even when closed meanwhile; a kernel that turns out to have failed
 * is run again from them when the result is first read.
 *
 * <p>Device memory is finite: when resident data would not fit, the least recently used device copies move to host
 * memory and come back when next used. Data uploaded from the host keeps its host copy, so a device failure never
 * loses it; a result computed on a device that then fails before it is downloaded is lost (as is one whose kernel
 * fails again when run again), and reading it throws {@link IllegalStateException} naming the failure.
 */
public final class DeviceMatrix implements AutoCloseable {

  private final int rows;
  private final int cols;
  private final Resident resident;
  private final ResidentCleanup state;
  private final Cleaner.Cleanable cleanable;

  DeviceMatrix(int rows, int cols, Resident resident) {
    this.rows = rows;
    this.cols = cols;
    this.resident = resident;
    this.state = new ResidentCleanup(resident, "DeviceMatrix " + rows + "x" + cols);
    this.cleanable = ResidentCleanup.CLEANER.register(this, state);
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

  /** The backend holding the data, e.g. {@code opencl} or {@code cpu}. */
  public String backend() {
    return resident.backend();
  }

  /** Whether {@link #close()} was called. */
  public boolean isClosed() {
    return state.closed.get();
  }

  /**
   * Waits until the values are computed and returns this matrix. Products on a GPU return once their kernel is
   * issued (a product of this matrix waits for it on the device, a download on the host), so this is for timing a
   * chain of products, or for having a failed kernel run again (or its failure reported) before anything is read.
   */
  public DeviceMatrix await() {
    Resident r = resident("await");
    try {
      Dispatcher.get().await(r);
      return this;
    } catch (RuntimeException e) {
      throw new IllegalStateException("await: the " + shape() + " matrix on " + r.backend() + " could not be computed: "
          + e.getMessage(), e);
    } finally {
      java.lang.ref.Reference.reachabilityFence(this);
    }
  }

  /** Copies the values back to the host, as an ordinary matrix. The handle stays open. */
  public Matrix download() {
    Resident r = resident("download");
    try {
      return Matrix.wrap(rows, cols, Dispatcher.get().download(r));
    } catch (RuntimeException e) {
      throw new IllegalStateException("download: the " + shape() + " matrix on " + r.backend()
          + " could not be read: " + e.getMessage(), e);
    }
  }

  /**
   * Copies the values into {@code out}, a host matrix of the same shape; returns it. From a GPU into pinned memory this
   * is one DMA at the bus's speed, with no host copy and no new array (a {@link #download()} of a 4096² product took
   * about 10 ms on an H100 machine, where 64 MB cross the bus in 1.2 ms). The handle stays open.
   */
  public HostMatrix downloadInto(HostMatrix out) {
    java.util.Objects.requireNonNull(out, "downloadInto: out is null");
    if (out.rows() != rows || out.cols() != cols) {
      throw new IllegalArgumentException("downloadInto: out is " + out.shape() + ", this matrix " + shape());
    }
    Resident r = resident("downloadInto");
    var into = out.acquire("downloadInto");
    try {
      Dispatcher.get().download(r, into);
      return out;
    } catch (RuntimeException e) {
      throw new IllegalStateException("downloadInto: the " + shape() + " matrix on " + r.backend()
          + " could not be read: " + e.getMessage(), e);
    } finally {
      out.release();
      java.lang.ref.Reference.reachabilityFence(this);
    }
  }

  /** The data for an op; fails with the op's name once closed. */
  Resident resident(String op) {
    if (state.closed.get()) throw new IllegalStateException(op + ": the DeviceMatrix " + shape() + " is closed");
    return resident;
  }

  /** Frees the device memory (or host copy); later ops on this handle throw. Idempotent. */
  @Override
  public void close() {
    if (state.closed.compareAndSet(false, true)) {
      resident.close();
      cleanable.clean();
    }
  }

  @Override
  public String toString() {
    return "DeviceMatrix[" + shape() + " on " + backend() + (isClosed() ? ", closed]" : "]");
  }
}
