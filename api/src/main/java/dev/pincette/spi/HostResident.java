package dev.pincette.spi;

import java.util.Objects;

/**
 * A resident that is an ordinary heap array: what backends working on host memory (the CPU) hold. The array is
 * shared read-only between the resident and whoever created it, which is safe because residents never change.
 */
public final class HostResident implements Resident {
  private final String backend;
  private final float[] values;

  /** {@code values} held by {@code backend}; the array is shared, never written. */
  public HostResident(String backend, float[] values) {
    this.backend = Objects.requireNonNull(backend);
    this.values = Objects.requireNonNull(values);
  }

  @Override
  public String backend() {
    return backend;
  }

  @Override
  public int length() {
    return values.length;
  }

  /** The values; callers must not modify them. */
  public float[] values() {
    return values;
  }

  @Override
  public void close() {}
}
