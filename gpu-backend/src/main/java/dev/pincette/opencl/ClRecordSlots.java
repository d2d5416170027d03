package dev.pincette.opencl;

import static org.lwjgl.opencl.CL10.CL_MAP_READ;
import static org.lwjgl.opencl.CL10.CL_MAP_WRITE;
import static org.lwjgl.opencl.CL10.CL_MEM_ALLOC_HOST_PTR;
import static org.lwjgl.opencl.CL10.CL_MEM_READ_WRITE;
import static org.lwjgl.opencl.CL10.clReleaseMemObject;

import java.nio.IntBuffer;
import java.util.BitSet;
import org.lwjgl.opencl.CL10;
import org.lwjgl.system.MemoryStack;

/**
 * Pinned host memory, one slot per kernel in flight on resident arrays, that each kernel's error record is read into
 * behind it. A read into pageable memory may make a driver wait for the kernel before the enqueue returns (CUDA does
 * so for device-to-pageable copies), which would end the chain's overlap; into page-locked memory it is a DMA queued
 * like any command. Mapped once, on first use, until the context closes. When every slot is taken the caller uses
 * ordinary native memory instead.
 */
final class ClRecordSlots {
  /** Bytes per slot: an error record of {@code OpenClRenderer.ERROR_INTS} ints, rounded up to 32 (a record per line). */
  static final int SLOT_BYTES = (4 * dev.pincette.opencl.kernel.OpenClRenderer.ERROR_INTS + 31) / 32 * 32;

  private final ClContext context;
  private final int count;
  /**
   * Guarded by {@code this} (never held while taking a queue: a thread releasing a slot holds the store's lock): the
   * mapped buffer (0 until first use, and again once closed), its address (kept after closing, so that a slot given
   * back late is still known as one and never freed as native memory), the slots in use, closed.
   */
  private long buffer;
  private long address;
  private final BitSet used;
  private boolean closed;

  ClRecordSlots(ClContext context, int count) {
    this.context = context;
    this.count = count;
    this.used = new BitSet(count);
  }

  /** The address of a free slot, or 0 when none is free (or the memory cannot be had, or is closed). */
  long acquire() {
    synchronized (this) {
      if (closed) return 0;
      if (buffer != 0) return take();
    }
    // Mapped outside the monitor: mapping takes a queue, and a releasing thread holds the store's lock.
    long[] mapped = map();
    long slot;
    synchronized (this) {
      if (mapped != null && buffer == 0 && !closed) {
        buffer = mapped[0];
        address = mapped[1];
        mapped = null;
      }
      slot = buffer != 0 ? take() : 0;
    }
    // Another thread mapped its own meanwhile (or the context closed): this one goes.
    if (mapped != null) context.unmapAndRelease(mapped[0], mapped[1]);
    return slot;
  }

  /** Under the monitor, with the memory mapped: a free slot's address, or 0. */
  private long take() {
    int slot = used.nextClearBit(0);
    if (slot >= count) return 0;
    used.set(slot);
    return address + (long) slot * SLOT_BYTES;
  }

  /**
   * Gives back {@code record} if it is a slot here, also once closed (a kernel settled after the context closed);
   * false for memory from elsewhere, which the caller frees.
   */
  synchronized boolean release(long record) {
    if (address == 0 || record < address || record >= address + (long) count * SLOT_BYTES) return false;
    used.clear((int) ((record - address) / SLOT_BYTES));
    return true;
  }

  /** A new mapped buffer of every slot: {buffer, address}, or null when the device refuses it. */
  private long[] map() {
    long bytes = (long) count * SLOT_BYTES;
    long created;
    try (MemoryStack stack = MemoryStack.stackPush()) {
      IntBuffer error = stack.mallocInt(1);
      created = CL10.clCreateBuffer(context.handle, CL_MEM_READ_WRITE | CL_MEM_ALLOC_HOST_PTR, bytes, error);
      if (error.get(0) != 0) return null;
    }
    try (ClCall call = context.begin("kernel.records")) {
      return new long[] {created, call.queue.map(created, CL_MAP_READ | CL_MAP_WRITE, bytes, "kernel.records")};
    } catch (RuntimeException e) {
      clReleaseMemObject(created);
      return null;
    }
  }

  /**
   * Unmaps and frees the memory: called by {@link ClContext#close()} once its queues have finished, so that no command
   * reads a record into a slot any more.
   */
  void close() {
    long mapped;
    long at;
    synchronized (this) {
      closed = true;
      mapped = buffer;
      at = address;
      buffer = 0;
    }
    if (mapped != 0) context.unmapAndRelease(mapped, at);
  }
}
