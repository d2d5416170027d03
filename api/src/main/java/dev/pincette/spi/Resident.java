package dev.pincette.spi;

/**
 * Float data a backend holds for later calls, so chained ops need no transfer: the SPI side of
 * {@link dev.pincette.DeviceMatrix}. The values never change once created (ops make new residents), so a backend may
 * keep a host copy next to its device copy and drop either one. Owned by exactly one handle, released by
 * {@link #close()}; a backend throws {@link IllegalStateException} when handed a closed resident (its handle was
 * closed during the call: the caller's mistake, not the device's).
 */
public interface Resident extends AutoCloseable {
  /** The name of the backend that holds the data, e.g. {@code opencl}. */
  String backend();

  /** The number of floats. */
  int length();

  /**
   * Whether the values are known to be computed. A device backend may return a product as soon as its kernel is
   * enqueued (later ops on it wait on the device, reading it waits on the host); the time such a call took says
   * nothing about its cost, so the cost model does not learn from it.
   */
  default boolean computed() {
    return true;
  }

  /**
   * Waits until the values are computed (at once when {@link #computed()}); throws {@link BackendException} when
   * they cannot be.
   */
  default void await() {}

  /** Frees the backend's memory; idempotent and safe from any thread. */
  @Override
  void close();
}
