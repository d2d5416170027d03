package dev.pincette.opencl;

import static org.lwjgl.opencl.CL10.clReleaseMemObject;

import dev.pincette.spi.BackendException;
import dev.pincette.spi.BackendRefusedException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;
import org.lwjgl.opencl.CL10;
import org.lwjgl.system.MemoryStack;

/**
 * Device buffers of one context, pooled by size class so that repeated calls reuse memory instead of allocating.
 * Sizes round up to {@code 2^k} or {@code 1.5·2^k} bytes (at most a third wasted). The pool owns every buffer it
 * creates, leased or idle, and releases them all in {@link #close()}; a lease returned after that is ignored.
 */
final class ClBufferPool implements AutoCloseable {
  private static final long MIN_CLASS = 256;

  private final long context;
  private final long flags;
  private final long maxAllocation;
  /** Idle bytes kept for reuse; a buffer returned beyond this is released at once. */
  private final long idleLimit;
  /** Every live buffer (leased or idle) and its size class: the pool's ownership record. */
  private final Map<Long, Long> owned = new ConcurrentHashMap<>();
  /** Idle buffers by size class. */
  private final Map<Long, ConcurrentLinkedDeque<Long>> idle = new ConcurrentHashMap<>();
  private final AtomicLong idleBytes = new AtomicLong();
  private final AtomicLong ownedBytes = new AtomicLong();
  private volatile boolean closed;

  ClBufferPool(long context, long flags, long maxAllocation, long idleLimit) {
    this.context = context;
    this.flags = flags;
    this.maxAllocation = maxAllocation;
    this.idleLimit = idleLimit;
  }

  /** Buffers the pool owns now, leased or idle. */
  int allocatedCount() {
    return owned.size();
  }

  /** Whether {@code buffer} is one of the pool's now, leased or idle. */
  boolean owns(long buffer) {
    return owned.containsKey(buffer);
  }

  /** Buffers leased now (owned and not idle). */
  int leasedCount() {
    int idleCount = 0;
    for (ConcurrentLinkedDeque<Long> free : idle.values()) idleCount += free.size();
    return owned.size() - idleCount;
  }

  /** Bytes of the buffers the pool owns now. */
  long allocatedBytes() {
    return ownedBytes.get();
  }

  static long sizeClass(long bytes) {
    if (bytes <= MIN_CLASS) return MIN_CLASS;
    long power = Long.highestOneBit(bytes);
    if (bytes == power) return power;
    return bytes <= power + power / 2 ? power + power / 2 : 2 * power;
  }

  /** A buffer of at least {@code bytes} bytes, for {@code op}'s exclusive use until {@link #release}. */
  long acquire(long bytes, String op) {
    if (closed) throw new BackendException("opencl backend is closed");
    ClFaults.check("clCreateBuffer(" + op + ")");
    if (bytes > maxAllocation) {
      throw new BackendRefusedException("CL_INVALID_BUFFER_SIZE in clCreateBuffer(" + op + "): " + bytes
          + " bytes exceed the device's largest allocation of " + maxAllocation);
    }
    long size = Math.min(sizeClass(bytes), maxAllocation);
    ConcurrentLinkedDeque<Long> free = idle.get(size);
    Long reused = free != null ? free.pollFirst() : null;
    if (reused != null) {
      idleBytes.addAndGet(-size);
      return reused;
    }
    int[] error = new int[1];
    long buffer = create(size, error);
    if (buffer == 0) {
      trim();
      buffer = create(size, error);
    }
    if (buffer == 0) {
      String message = ClError.name(error[0]) + " in clCreateBuffer(" + op + ") of " + size + " bytes";
      // Out of memory is the device's capacity, not a fault of it: the call runs on the CPU, the device stays in use.
      boolean outOfMemory = error[0] == -4 || error[0] == -6 || error[0] == -61;
      throw outOfMemory ? new BackendRefusedException(message) : new BackendException(message);
    }
    owned.put(buffer, size);
    ownedBytes.addAndGet(size);
    return buffer;
  }

  /** A new buffer, or 0 with the CL error in {@code error[0]}. */
  private long create(long size, int[] error) {
    try (MemoryStack stack = MemoryStack.stackPush()) {
      var code = stack.mallocInt(1);
      long buffer = CL10.clCreateBuffer(context, flags, size, code);
      error[0] = code.get(0) != 0 ? code.get(0) : buffer == 0 ? -4 : 0;
      if (error[0] != 0 && buffer != 0) {
        clReleaseMemObject(buffer);
        return 0;
      }
      return error[0] == 0 ? buffer : 0;
    }
  }

  /** Gives a leased buffer back for reuse. */
  void release(long buffer) {
    Long size = owned.get(buffer);
    if (size == null || closed) return;
    if (idleBytes.addAndGet(size) > idleLimit) {
      idleBytes.addAndGet(-size);
      free(buffer);
      return;
    }
    idle.computeIfAbsent(size, s -> new ConcurrentLinkedDeque<>()).addFirst(buffer);
  }

  /** Frees a leased buffer instead of keeping it for reuse: a failed queue may still be using it. */
  void discard(long buffer) {
    free(buffer);
  }

  /** Releases every idle buffer, to make room when an allocation fails. */
  void trim() {
    for (ConcurrentLinkedDeque<Long> free : idle.values()) {
      for (Long buffer = free.pollFirst(); buffer != null; buffer = free.pollFirst()) {
        idleBytes.addAndGet(-owned.get(buffer));
        free(buffer);
      }
    }
  }

  private void free(long buffer) {
    Long size = owned.remove(buffer);
    if (size != null) {
      ownedBytes.addAndGet(-size);
      clReleaseMemObject(buffer);
    }
  }

  @Override
  public void close() {
    closed = true;
    for (Long buffer : owned.keySet()) free(buffer);
    idle.clear();
    idleBytes.set(0);
  }
}
