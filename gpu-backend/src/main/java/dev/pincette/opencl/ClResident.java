package dev.pincette.opencl;

import dev.pincette.spi.Resident;

/**
 * Floats held for later calls on one device: a device buffer, a host copy, or both (values never change, so either
 * copy may be dropped and rebuilt from the other). Its state belongs to its {@link ClResidentStore} and is read and
 * written only under the store's lock. A product may still be computing when its call returns ({@link #ready}).
 */
final class ClResident implements Resident {
  final ClResidentStore store;
  final int length;
  /** The device copy, or 0 while evicted (or after close). */
  long buffer;
  /** Size class of {@link #buffer} in bytes, counted against the store's budget. */
  long bufferBytes;
  /** The host copy, or null; data uploaded from the host keeps it from the start. */
  float[] host;
  /** Calls using the device copy now: it is neither evicted nor freed while positive. */
  int pins;
  boolean closed;
  /**
   * The event of the command still writing the device copy, or 0 once it is known to be written from valid sources.
   * While non-zero, this resident and its {@link #sources} stay pinned, and {@link #redo} can write it again should
   * the command, or a source's, turn out to have failed.
   */
  long ready;
  /** The events {@link #ready}'s command waited for (the sources' own), retained until it is settled. */
  long[] after;
  ClResident[] sources;
  /** Each source's {@link #version} when the command was enqueued: a source written again since was read invalid. */
  int[] sourceVersions;
  Runnable redo;
  /**
   * Whether a failure of {@link #ready}'s command was found already (by a settle or a reap): found by several threads,
   * it is reported and its queue retired once. A resident is produced by one command only, so once is per resident.
   */
  boolean failureFound;
  /** How often the device copy was written again after a failure. */
  int version;
  /** The download making {@link #host} now, which other readers wait for, or null. */
  java.util.concurrent.CompletableFuture<float[]> downloading;

  ClResident(ClResidentStore store, int length) {
    this.store = store;
    this.length = length;
  }

  @Override
  public String backend() {
    return "opencl";
  }

  @Override
  public int length() {
    return length;
  }

  @Override
  public boolean computed() {
    return store.computed(this);
  }

  @Override
  public void await() {
    store.settle(this);
  }

  @Override
  public Object hostArray() {
    return store.download(this);
  }

  @Override
  public void close() {
    store.close(this);
  }
}
