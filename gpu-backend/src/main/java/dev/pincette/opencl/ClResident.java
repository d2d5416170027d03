package dev.pincette.opencl;

import dev.pincette.spi.KernelArg;
import dev.pincette.spi.Resident;

/**
 * Elements held for later calls on one device: a device buffer, a host copy, or both. A matrix's values never change,
 * so either copy may be dropped and rebuilt from the other. An array's change when a kernel writes it in place: the
 * kernel's command makes the device copy the only current one (the host copy is dropped), and a backend on host memory
 * writing it ({@link #hostWritten}) makes the host copy the only current one. Its state belongs to its
 * {@link ClResidentStore} and is read and written only under the store's lock. A product may still be computing when
 * its call returns ({@link #ready}), an array may still be written by kernels ({@link #lastWriter}).
 */
final class ClResident implements Resident {
  final ClResidentStore store;
  final int length;
  final KernelArg.Type type;
  /** Whether this is an array kernels write in place ({@code DeviceArray}), not a matrix's immutable values. */
  final boolean array;
  /** The device copy, or 0 while evicted (or after close). */
  long buffer;
  /** Size class of {@link #buffer} in bytes, counted against the store's budget. */
  long bufferBytes;
  /**
   * The host copy ({@code float[]} for a matrix, an array of {@link #type} for an array), or null; data uploaded from
   * the host keeps it from the start. When non-null it holds the current values.
   */
  Object host;
  /** Whether the device copy is older than {@link #host} (a backend on host memory wrote it): pin uploads it again. */
  boolean deviceStale;
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
  /**
   * The resident queue {@link #ready}'s command was enqueued on: commands behind a failed one on an in-order queue may
   * fail with it (NVIDIA's do), and the store counts one device failure per queue.
   */
  ClQueue queue;
  /** How often the device copy was written again after a failure. */
  int version;
  /** The download making {@link #host} now, which other readers wait for, or null. */
  java.util.concurrent.CompletableFuture<Object> downloading;
  /** An array's: the last kernel enqueued that writes it and is not known to be done, or null. */
  ClKernelCommand lastWriter;
  /** An array's: the last kernel enqueued that reads or writes it and is not known to be done, or null. */
  ClKernelCommand lastUse;
  /** An array's: the kernel whose error (an index out of bounds) this array's values follow, not yet reported. */
  ClKernelCommand fault;
  /** An array's: why its only copy was lost with a failed device command, or null. */
  String lost;

  ClResident(ClResidentStore store, int length, KernelArg.Type type, boolean array) {
    this.store = store;
    this.length = length;
    this.type = type;
    this.array = array;
  }

  /** Bytes of the values, computed in long. */
  long bytes() {
    return (long) type.bytes * length;
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
  public KernelArg.Type type() {
    return type;
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
  public void hostWritten() {
    store.hostWritten(this);
  }

  @Override
  public void close() {
    store.close(this);
  }
}
