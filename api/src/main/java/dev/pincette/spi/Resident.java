package dev.pincette.spi;

/**
 * Data a backend holds for later calls, so chained ops and kernels need no transfer: the SPI side of
 * {@link dev.pincette.DeviceMatrix} and {@link dev.pincette.DeviceArray}. A matrix's values never change once created
 * (ops make new residents); an array's change only through kernels that write it in place, which the backend holding
 * it orders behind the commands that use it. A backend may keep a host copy next to its device copy and drop either,
 * as long as one holds the current values. Owned by exactly one handle, released by {@link #close()}; a backend throws
 * {@link IllegalStateException} when handed a closed resident (its handle was closed during the call: the caller's
 * mistake, not the device's).
 */
public interface Resident extends AutoCloseable {
  /** The name of the backend that holds the data, e.g. {@code opencl}. */
  String backend();

  /** The number of elements. */
  int length();

  /** The element type; a matrix's is {@link KernelArg.Type#FLOAT}. */
  default KernelArg.Type type() {
    return KernelArg.Type.FLOAT;
  }

  /**
   * Whether the values are known to be computed. A device backend may return a product, or an array a kernel writes,
   * as soon as its command is enqueued (later commands on it wait on the device, reading it waits on the host); the
   * time such a call took says nothing about its cost, so the cost model does not learn from it.
   */
  default boolean computed() {
    return true;
  }

  /**
   * Waits until the values are computed (at once when {@link #computed()}); throws {@link BackendException} when they
   * cannot be, {@link IllegalStateException} when they were lost with a failed device, or the {@link KernelFault} of a
   * kernel that wrote them and failed on its own (reported once).
   */
  default void await() {}

  /**
   * The current values as an array of {@link #type()}'s element type ({@code float[]}, {@code int[]}, …) that a
   * backend running on host memory reads and writes in place, e.g. the CPU running a kernel: for data on host memory
   * the array itself, for a device's its host copy, made current first (a download). Whoever writes it calls
   * {@link #hostWritten()} afterwards. Throws as {@link #await()} does.
   */
  Object hostArray();

  /**
   * Tells the holder that the array {@link #hostArray()} returned was written: it holds the values from now on, and a
   * device copy is stale (uploaded again when next used there).
   */
  default void hostWritten() {}

  /** Frees the backend's memory; idempotent and safe from any thread. */
  @Override
  void close();
}
