package dev.pincette.spi;

import java.util.Objects;

/**
 * A resident that is an ordinary heap array ({@code float[]}, {@code double[]}, {@code int[]}, {@code long[]} or
 * {@code byte[]}): what backends working on host memory (the CPU) hold. Kernels on such a backend read and write the
 * array itself, with no copy. A matrix's array is shared read-only with whoever created it, which is safe because
 * matrices never change; an array resident owns its array.
 */
public final class HostResident implements Resident {
  private final String backend;
  private final Object values;
  private final KernelArg.Type type;

  /** {@code values}, a primitive array of one of the kernel element types, held by {@code backend}. */
  public HostResident(String backend, Object values) {
    this.backend = Objects.requireNonNull(backend);
    this.values = Objects.requireNonNull(values);
    this.type = KernelArg.Type.ofArray(values.getClass());
    if (type == null) throw new IllegalArgumentException("not a kernel array: " + values.getClass().getName());
  }

  @Override
  public String backend() {
    return backend;
  }

  @Override
  public int length() {
    return java.lang.reflect.Array.getLength(values);
  }

  @Override
  public KernelArg.Type type() {
    return type;
  }

  /** The floats of a {@link KernelArg.Type#FLOAT} resident; callers must not modify a matrix's. */
  public float[] values() {
    return (float[]) values;
  }

  /** The array itself. */
  @Override
  public Object hostArray() {
    return values;
  }

  @Override
  public void close() {}
}
