package dev.pincette.opencl;

import dev.pincette.spi.BackendException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
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
  /** Products whose command may still run ({@link ClResident#ready} non-zero), oldest first. */
  private final List<ClResident> pending = new ArrayList<>();
  private long deviceBytes;
  private volatile long budget;
  private long evictions;
  private long rewrites;

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
    for (boolean waited = false; ; waited = true) {
      List<ClResident> busy;
      lock.lock();
      try {
        reapLocked();
        try {
          placeOnDevice(r);
          r.pins = 1;
          return r;
        } catch (BackendException e) {
          if (waited || pending.isEmpty()) throw e;
          busy = List.copyOf(pending);
        }
      } finally {
        lock.unlock();
      }
      // Products still computing hold their memory and their operands': room may come once they are done.
      for (ClResident p : busy) awaitQuietly(p);
    }
  }

  /** The device buffer of {@code r}, brought back from the host if evicted; pinned until {@link #unpin}. */
  long pin(ClResident r) {
    for (boolean waited = false; ; waited = true) {
      List<ClResident> busy = null;
      lock.lock();
      try {
        if (r.closed) throw new BackendException("the resident data was closed");
        reapLocked();
        if (r.buffer == 0) {
          try {
            placeOnDevice(r);
          } catch (BackendException e) {
            if (waited || pending.isEmpty()) throw e;
            busy = List.copyOf(pending);
            continue;
          }
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
        if (busy != null) for (ClResident p : busy) awaitQuietly(p);
      }
    }
  }

  /**
   * Records that {@code product} (pinned by {@link #allocate}) is being written by {@code event}'s command, which
   * reads {@code sources} (each pinned by the caller). The pins stay until the command is known to be done; should it
   * fail, {@code redo} writes the product again (waiting for it). The store releases {@code event}.
   */
  void produced(ClResident product, long event, ClResident[] sources, Runnable redo) {
    lock.lock();
    try {
      product.ready = event;
      product.sources = sources.clone();
      product.redo = redo;
      pending.add(product);
    } finally {
      lock.unlock();
    }
  }

  /** The events still writing {@code residents}, retained for a wait list: the caller releases them. */
  long[] readyEvents(ClResident... residents) {
    lock.lock();
    try {
      long[] out = new long[residents.length];
      int count = 0;
      for (ClResident r : residents) {
        if (r.ready != 0) {
          ClQueue.retain(r.ready);
          out[count++] = r.ready;
        }
      }
      return java.util.Arrays.copyOf(out, count);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until the device copy of {@code r} is written. If its command failed, its sources are settled and it is
   * written again; should that fail too, the {@link BackendException} says so, and every later use tries again.
   */
  void settle(ClResident r) {
    long event;
    lock.lock();
    try {
      event = r.ready;
      if (event == 0) return;
      ClQueue.retain(event);
    } finally {
      lock.unlock();
    }
    boolean written;
    try {
      written = ClQueue.succeeded(event, "resident");
    } finally {
      ClQueue.release(event);
    }
    if (!written) {
      rewrite(r, event);
      return;
    }
    lock.lock();
    try {
      finishLocked(r, event);
    } finally {
      lock.unlock();
    }
  }

  /** Writes {@code r} again after its command ({@code failed}) failed; one thread at a time per resident. */
  private void rewrite(ClResident r, long failed) {
    synchronized (r) {
      ClResident[] sources;
      Runnable redo;
      lock.lock();
      try {
        if (r.ready != failed) return;
        sources = r.sources;
        redo = r.redo;
      } finally {
        lock.unlock();
      }
      for (ClResident source : sources) settle(source);
      redo.run();
      lock.lock();
      try {
        rewrites++;
        finishLocked(r, failed);
      } finally {
        lock.unlock();
      }
    }
  }

  /** Waits for every product still computing, for a context about to close; failures are left as they are. */
  void awaitPending() {
    List<ClResident> busy;
    lock.lock();
    try {
      busy = List.copyOf(pending);
    } finally {
      lock.unlock();
    }
    for (ClResident p : busy) awaitQuietly(p);
    lock.lock();
    try {
      reapLocked();
    } finally {
      lock.unlock();
    }
  }

  /** Waits for {@code r}'s command, if it still has one, without judging it (a later reap or settle does). */
  private void awaitQuietly(ClResident r) {
    long event;
    lock.lock();
    try {
      event = r.ready;
      if (event == 0) return;
      ClQueue.retain(event);
    } finally {
      lock.unlock();
    }
    try {
      ClQueue.succeeded(event, "resident.wait");
    } finally {
      ClQueue.release(event);
    }
  }

  /**
   * Under the lock: settles the products whose command is done without waiting, and gives up on closed ones whose
   * command failed (nobody can use them).
   */
  private void reapLocked() {
    if (pending.isEmpty()) return;
    for (ClResident r : List.copyOf(pending)) {
      int status;
      try {
        status = ClQueue.status(r.ready);
      } catch (BackendException e) {
        status = r.closed ? -1 : 1;
      }
      if (status == 0 || (status < 0 && r.closed)) finishLocked(r, r.ready);
    }
  }

  /** Under the lock: {@code r} is written by {@code event}'s command (or given up): its pins and the event go. */
  private void finishLocked(ClResident r, long event) {
    if (r.ready != event || event == 0) return;
    ClQueue.release(event);
    r.ready = 0;
    r.redo = null;
    pending.remove(r);
    ClResident[] sources = r.sources;
    r.sources = null;
    for (ClResident source : sources) unpin(source);
    unpin(r);
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
    settle(r);
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
    settle(r);
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

  /** Frees {@code r}'s copies once nothing uses them; a product still computing is waited for first. */
  void close(ClResident r) {
    long event;
    lock.lock();
    try {
      if (r.closed) return;
      r.closed = true;
      r.host = null;
      event = r.ready;
      if (event != 0) ClQueue.retain(event);
      else if (r.pins == 0) freeDeviceCopy(r);
    } finally {
      lock.unlock();
    }
    if (event == 0) return;
    try {
      ClQueue.succeeded(event, "resident.close");
    } finally {
      ClQueue.release(event);
    }
    lock.lock();
    try {
      finishLocked(r, event);
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

  /** Whether {@code r}'s device copy is known to be written (no command of it is pending). */
  boolean computed(ClResident r) {
    lock.lock();
    try {
      return r.ready == 0;
    } finally {
      lock.unlock();
    }
  }

  /** Products written again after their command failed, so far. */
  long rewrites() {
    lock.lock();
    try {
      return rewrites;
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
