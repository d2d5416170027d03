package dev.pincette.opencl;

import dev.pincette.spi.BackendException;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The resident data of one context, within a byte budget of device memory ({@code pincette.opencl.residentBytes},
 * default three quarters of the device's memory). When a new device copy would exceed it, the least recently used
 * unpinned copies move to host memory first (a download, unless the host copy exists already) and come back when used.
 * When even that cannot make room, the call fails with {@link BackendException}, and the dispatcher runs it on the
 * CPU. After the context closes, device copies are gone with it (the pool frees every buffer) and calls on them
 * fail, while host copies stay readable, so data uploaded from the host outlives the device.
 *
 * <p>Lock order: {@link #lock} before a queue of the context, never the other way: calls pin their inputs before they
 * take a queue and unpin them after giving it back, so an eviction that needs a queue cannot wait on a call that
 * waits on the lock.
 */
final class ClResidentStore {
  private final ClContext context;
  /** Guards every resident's state, {@link #onDevice} and {@link #deviceBytes}. */
  private final ReentrantLock lock = new ReentrantLock();
  /** Residents with a device copy, least recently used first. */
  private final LinkedHashSet<ClResident> onDevice = new LinkedHashSet<>();
  private long deviceBytes;
  private volatile long budget;
  private long evictions;

  ClResidentStore(ClContext context, long budget) {
    this.context = context;
    this.budget = budget;
  }

  /** Sets the device bytes resident data may take (tests use a small budget to force eviction). */
  void setBudget(long bytes) {
    budget = bytes;
  }

  /** A resident holding {@code values}, uploaded now; {@code values} stays as its host copy. */
  ClResident upload(float[] values) {
    ClResident r = new ClResident(this, values.length);
    r.host = values;
    pin(r);
    unpin(r);
    return r;
  }

  /** A new resident of {@code length} floats with an uninitialised device copy, pinned once for its producer. */
  ClResident allocate(int length) {
    ClResident r = new ClResident(this, length);
    lock.lock();
    try {
      placeOnDevice(r);
      r.pins = 1;
      return r;
    } finally {
      lock.unlock();
    }
  }

  /** The device buffer of {@code r}, brought back from the host if evicted; pinned until {@link #unpin}. */
  long pin(ClResident r) {
    lock.lock();
    try {
      if (r.closed) throw new BackendException("the resident data was closed");
      if (r.buffer == 0) {
        placeOnDevice(r);
        try (ClCall call = context.begin("resident.upload")) {
          call.queue.write(r.buffer, r.host, 0, r.length, call.op);
        } catch (RuntimeException e) {
          freeDeviceCopy(r);
          throw e;
        }
      }
      onDevice.remove(r);
      onDevice.add(r);
      r.pins++;
      return r.buffer;
    } finally {
      lock.unlock();
    }
  }

  void unpin(ClResident r) {
    lock.lock();
    try {
      r.pins--;
      if (r.closed && r.pins == 0) freeDeviceCopy(r);
    } finally {
      lock.unlock();
    }
  }

  /** The values of {@code r}: its host copy, made now by a download if it has none (and kept: values never change). */
  float[] download(ClResident r) {
    float[] host = hostCopyOrPin(r);
    if (host != null) return host;
    float[] values;
    try (ClCall call = context.begin("download")) {
      values = call.downloadFloats(r.buffer, r.length);
    } finally {
      unpin(r);
    }
    lock.lock();
    try {
      // Closed meanwhile: hand the values over, but keep no copy for a resident nobody can use.
      if (r.closed) return values;
      if (r.host == null) r.host = values;
      return r.host;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Copies the values of {@code r} into native host memory at {@code address}: from its host copy when it has one,
   * else by one DMA from its device copy, pinned meanwhile as in {@link #download(ClResident)}.
   */
  void download(ClResident r, long address) {
    float[] host = hostCopyOrPin(r);
    if (host != null) {
      org.lwjgl.system.MemoryUtil.memFloatBuffer(address, r.length).put(host);
      return;
    }
    try (ClCall call = context.begin("download")) {
      long bytes = 4L * r.length;
      if (bytes > 0) {
        long event = call.queue.readIntoHost(r.buffer, address, bytes, 1, bytes, 0, call.op);
        try {
          ClQueue.await(event);
        } finally {
          ClQueue.release(event);
        }
      }
    } finally {
      unpin(r);
    }
  }

  /**
   * The host copy of {@code r}, or null after pinning its device copy, its only copy then (an eviction makes the host
   * copy first), which stays put until {@link #unpin}. Checked and pinned under one lock: an eviction in between would
   * otherwise make {@link #pin} upload it back, which under a full budget fails (seen with 16 threads on the H100).
   */
  private float[] hostCopyOrPin(ClResident r) {
    lock.lock();
    try {
      if (r.closed) throw new BackendException("the resident data was closed");
      if (r.host != null) return r.host;
      onDevice.remove(r);
      onDevice.add(r);
      r.pins++;
      return null;
    } finally {
      lock.unlock();
    }
  }

  void close(ClResident r) {
    lock.lock();
    try {
      if (r.closed) return;
      r.closed = true;
      r.host = null;
      if (r.pins == 0) freeDeviceCopy(r);
    } finally {
      lock.unlock();
    }
  }

  /** Device bytes held by resident data now. */
  long deviceBytes() {
    lock.lock();
    try {
      return deviceBytes;
    } finally {
      lock.unlock();
    }
  }

  /** Device copies moved to the host so far. */
  long evictions() {
    lock.lock();
    try {
      return evictions;
    } finally {
      lock.unlock();
    }
  }

  /** Gives {@code r} a device buffer within the budget, evicting others as needed. Under the lock. */
  private void placeOnDevice(ClResident r) {
    long bytes = ClBufferPool.sizeClass(Math.max(4, 4L * r.length));
    makeRoom(bytes);
    long buffer;
    try {
      buffer = context.pool.acquire(bytes, "resident");
    } catch (BackendException e) {
      // The budget is a guess at what the device can hold; when the device disagrees, evict everything evictable.
      makeRoom(Long.MAX_VALUE);
      buffer = context.pool.acquire(bytes, "resident");
    }
    r.buffer = buffer;
    r.bufferBytes = bytes;
    deviceBytes += bytes;
    onDevice.add(r);
  }

  /** Evicts least recently used unpinned copies until {@code bytes} more fit the budget (or none is left). */
  private void makeRoom(long bytes) {
    Iterator<ClResident> oldest = onDevice.iterator();
    while (deviceBytes > 0 && (bytes == Long.MAX_VALUE || deviceBytes + bytes > budget) && oldest.hasNext()) {
      ClResident victim = oldest.next();
      if (victim.pins > 0) continue;
      if (victim.host == null) {
        try (ClCall call = context.begin("evict")) {
          victim.host = call.downloadFloats(victim.buffer, victim.length);
        }
      }
      oldest.remove();
      releaseBuffer(victim);
      evictions++;
    }
    if (bytes != Long.MAX_VALUE && deviceBytes + bytes > budget) {
      throw new BackendException("resident data needs " + (deviceBytes + bytes) + " bytes of device memory, over the"
          + " budget of " + budget + " (pincette.opencl.residentBytes), and what is there is in use");
    }
  }

  private void freeDeviceCopy(ClResident r) {
    if (r.buffer == 0) return;
    onDevice.remove(r);
    releaseBuffer(r);
  }

  private void releaseBuffer(ClResident r) {
    context.releaseBuffers(r.buffer);
    deviceBytes -= r.bufferBytes;
    r.buffer = 0;
    r.bufferBytes = 0;
  }
}
