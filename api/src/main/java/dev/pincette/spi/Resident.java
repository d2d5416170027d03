package dev.pincette.spi;

/**
 * Float data a backend holds for later calls, so chained ops need no transfer: the SPI side of
 * {@link dev.pincette.DeviceMatrix}. The values never change once created (ops make new residents), so a backend may
 * keep a host copy next to its device copy and drop either one. Owned by exactly one handle, released by
 * {@link #close()}; a backend throws {@link BackendException} when handed a closed resident.
 */
public interface Resident extends AutoCloseable {
  /** The name of the backend that holds the data, e.g. {@code opencl}. */
  String backend();

  /** The number of floats. */
  int length();

  /** Frees the backend's memory; idempotent and safe from any thread. */
  @Override
  void close();
}
