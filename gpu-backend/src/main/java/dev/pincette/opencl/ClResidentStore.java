package dev.pincette.opencl;

import dev.pincette.spi.BackendException;
import dev.pincette.spi.BackendRefusedException;
import dev.pincette.spi.KernelArg;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The resident data of one context (matrices' values and arrays of every kernel element type), within a byte budget of device memory ({@code pincette.opencl.residentBytes},
 * default three quarters of the device's memory). When a new device copy would exceed it, the least recently used
 * unpinned copies move to host memory first (a download, unless the host copy exists already) and come back when used.
 * When even that cannot make room (after waiting once for the products still computing, whose pins hold memory), the
 * call fails with {@link BackendException}, and the dispatcher runs it on the CPU. After the context closes, device
 * copies are gone with it (the pool frees every buffer) and calls on them fail, while host copies stay readable, so
 * data uploaded from the host outlives the device.
 *
 * <p>Products may still be computing ({@link ClResident#ready}): {@link #produced} keeps them and their sources
 * pinned until they are settled, by a reap without waiting at each store operation or by {@link #settle} before a
 * read, which also writes again a product whose command, or a source's, failed.
 *
 * <p>Arrays kernels write in place ({@link ClResident#array}) may still be written by kernels enqueued on them
 * ({@link ClKernelChain}), which keep every array they use pinned until they are settled.
 *
 * <p>Lock order: the monitor of a product being written again, then its sources', then {@link #lock}, then a queue
 * of the context (or its lifecycle lock), never the other way; no event is waited for under {@link #lock}. Calls pin
 * their inputs before they take a queue and unpin them after giving it back (a product's, once it is settled), so an
 * eviction that needs a queue cannot wait on a call that waits on the lock.
 */
final class ClResidentStore {
  private final ClContext context;
  /** Guards every resident's state, {@link #onDevice} and {@link #deviceBytes}. */
  private final ReentrantLock lock = new ReentrantLock();
  /** Residents with a device copy, least recently used first. */
  private final LinkedHashSet<ClResident> onDevice = new LinkedHashSet<>();
  /** Arrays read back from the device, counted for {@link #reads()}. */
  private final java.util.concurrent.atomic.LongAdder reads = new java.util.concurrent.atomic.LongAdder();
  /** Products whose command may still run ({@link ClResident#ready} non-zero), oldest first. */
  private final List<ClResident> pending = new ArrayList<>();
  /**
   * Guarded by {@link #lock}: the resident queue whose failed product was reported last. Products behind it on that
   * queue may fail with it (an in-order queue of NVIDIA's fails them too) and are written again, but not reported.
   */
  private ClQueue failedQueue;
  /** Guarded by {@link #lock}: a failed queue found by a reap, retired outside the lock before the next product. */
  private ClQueue queueToRetire;
  /** Kernels enqueued on resident arrays and not known done; they share {@link #lock}. */
  final ClKernelChain kernels;
  private long deviceBytes;
  private volatile long budget;
  private long evictions;
  private long rewrites;

  ClResidentStore(ClContext context, long budget) {
    this.context = context;
    this.budget = budget;
    this.kernels = new ClKernelChain(this, context, lock);
  }

  /** Sets the device bytes resident data may take (tests use a small budget to force eviction). */
  void setBudget(long bytes) {
    budget = bytes;
  }

  /** A resident matrix holding {@code values}, uploaded now; {@code values} stays as its host copy. */
  ClResident upload(float[] values) {
    return uploaded(new ClResident(this, values.length, KernelArg.Type.FLOAT, false), values);
  }

  /**
   * A resident array holding {@code values} (a private array of a kernel element type), uploaded now; {@code values}
   * stays as its host copy until a kernel writes the array.
   */
  ClResident uploadArray(Object values) {
    KernelArg.Type type = KernelArg.Type.ofArray(values.getClass());
    if (type == null) throw new IllegalArgumentException("not a kernel array: " + values.getClass().getName());
    ClResident r = new ClResident(this, java.lang.reflect.Array.getLength(values), type, true);
    checkFits(r);
    return uploaded(r, values);
  }

  private ClResident uploaded(ClResident r, Object values) {
    r.host = values;
    pin(r);
    unpin(r);
    return r;
  }

  /** A resident array of {@code length} zeros of {@code type}, made on the device (nothing moves there). */
  ClResident allocateArray(KernelArg.Type type, int length) {
    ClResident r = allocateArrayFor(type, length);
    try (ClCall call = context.begin("resident.zeros")) {
      call.fill(r.buffer, 0, r.bufferBytes);
    } catch (RuntimeException e) {
      unpin(r);
      close(r);
      throw e;
    }
    unpin(r);
    return r;
  }

  /**
   * A resident array of {@code length} elements of {@code type} whose device copy its maker writes (a spatial map's
   * lists, copied or computed there), pinned once for it: the maker unpins it once written, or closes it after
   * unpinning should the writing fail. Call it holding no queue (placing may evict, which takes one).
   */
  ClResident allocateArrayFor(KernelArg.Type type, int length) {
    ClResident r = new ClResident(this, length, type, true);
    checkFits(r);
    for (boolean waited = false; ; waited = true) {
      List<ClResident> busy;
      ClKernelCommand running;
      lock.lock();
      try {
        reapLocked();
        try {
          placeOnDevice(r);
          r.pins = 1;
          return r;
        } catch (BackendException e) {
          if (waited || pending.isEmpty() && kernels.lastLocked() == null) throw e;
          busy = List.copyOf(pending);
          running = kernels.lastLocked();
        }
      } finally {
        lock.unlock();
      }
      // Kernels and products still computing hold their memory: room may come once they are done.
      for (ClResident p : busy) awaitQuietly(p);
      if (running != null) kernels.settleUpTo(running);
    }
  }

  /** Refuses an array larger than one device allocation: the CPU holds it instead. */
  private void checkFits(ClResident r) {
    if (r.bytes() > context.device.maxAllocation()) {
      throw new BackendRefusedException("an array of " + r.bytes() + " bytes is larger than the largest allocation "
          + context.device.name() + " takes (" + context.device.maxAllocation() + " bytes)");
    }
  }

  /**
   * Products computing at most: a new one waits for the oldest first, so that the memory held by products in flight
   * (closed or not) stays bounded, as a driver's queue would be.
   */
  static final int MAX_IN_FLIGHT = 32;

  /** A new resident of {@code length} floats with an uninitialised device copy, pinned once for its producer. */
  ClResident allocate(int length) {
    ClResident r = new ClResident(this, length, KernelArg.Type.FLOAT, false);
    for (boolean waited = false; ; ) {
      List<ClResident> busy;
      ClResident oldest;
      lock.lock();
      try {
        reapLocked();
        oldest = oldestInFlightBeyondLimitLocked();
        busy = null;
        if (oldest == null) {
          try {
            placeOnDevice(r);
            r.pins = 1;
            return r;
          } catch (BackendException e) {
            if (waited || pending.isEmpty()) throw e;
            busy = List.copyOf(pending);
          }
        }
      } finally {
        lock.unlock();
      }
      if (oldest != null) {
        awaitQuietly(oldest);
        continue;
      }
      // Products still computing hold their memory and their operands': room may come once they are done.
      for (ClResident p : busy) awaitQuietly(p);
      waited = true;
    }
  }

  /** Under the lock: the oldest product still computing when {@link #MAX_IN_FLIGHT} are, else null. */
  private ClResident oldestInFlightBeyondLimitLocked() {
    if (pending.size() < MAX_IN_FLIGHT) return null;
    ClResident oldest = null;
    int inFlight = 0;
    for (ClResident p : pending) {
      if (statusLocked(p) > 0) {
        inFlight++;
        if (oldest == null) oldest = p;
      }
    }
    return inFlight >= MAX_IN_FLIGHT ? oldest : null;
  }

  /** The device buffer of {@code r}, brought back from the host if evicted; pinned until {@link #unpin}. */
  long pin(ClResident r) {
    for (boolean waited = false; ; waited = true) {
      List<ClResident> busy = null;
      ClKernelCommand running = null;
      lock.lock();
      try {
        if (r.closed) throw new IllegalStateException(closedMessage(r));
        if (r.lost != null) throw lost(r);
        if (r.buffer == 0) {
          // Only a placement needs room; each product's allocate reaps anyway, once.
          reapLocked();
          try {
            placeOnDevice(r);
          } catch (BackendException e) {
            if (waited || pending.isEmpty() && kernels.lastLocked() == null) throw e;
            busy = List.copyOf(pending);
            running = kernels.lastLocked();
            continue;
          }
          try (ClCall call = context.begin("resident.upload")) {
            if (r.length > 0) call.queue.write(r.buffer, r.host, 0, r.length, call.op);
          } catch (RuntimeException e) {
            freeDeviceCopy(r);
            throw e;
          }
        } else if (r.deviceStale) {
          // Written on the host since (a kernel the CPU ran); the kernels that read the old copy are done.
          try (ClCall call = context.begin("resident.upload")) {
            call.queue.write(r.buffer, r.host, 0, r.length, call.op);
          }
          r.deviceStale = false;
        }
        onDevice.remove(r);
        onDevice.add(r);
        r.pins++;
        return r.buffer;
      } finally {
        lock.unlock();
        if (busy != null) for (ClResident p : busy) awaitQuietly(p);
        if (running != null) kernels.settleUpTo(running);
      }
    }
  }

  /**
   * Records that {@code product} (pinned by {@link #allocate}) is being written by {@code event}'s command, which
   * reads {@code sources} (each pinned by the caller) once {@code after} (their events, from {@link #readyEvents}) are
   * done. The store takes over {@code event} and {@code after}, and the pins stay until the product is known to be
   * written from valid sources; should its command or a source's fail, {@code redo} writes it again (waiting).
   */
  void produced(ClResident product, long event, ClQueue queue, long[] after, ClResident[] sources, Runnable redo) {
    lock.lock();
    try {
      product.ready = event;
      product.queue = queue;
      product.after = after.clone();
      product.sources = sources.clone();
      product.sourceVersions = new int[sources.length];
      for (int i = 0; i < sources.length; i++) product.sourceVersions[i] = sources[i].version;
      product.redo = redo;
      pending.add(product);
    } finally {
      lock.unlock();
    }
  }

  /**
   * The events still writing {@code residents}, retained for a wait list: the caller releases them (or hands them to
   * {@link #produced}). A resident whose command is known to have failed is written again first, so that nothing is
   * queued behind a failure, and a resident queue a reap found failed is retired.
   */
  long[] readyEvents(ClResident... residents) {
    retireFailedQueue();
    for (ClResident r : residents) {
      boolean failed;
      lock.lock();
      try {
        failed = r.ready != 0 && statusLocked(r) < 0;
      } finally {
        lock.unlock();
      }
      if (failed) settle(r);
    }
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
   * Waits until the device copy of {@code r} is written from valid sources. Its sources are settled first; if its
   * command failed, or a source had to be written again after it was read, {@code r} is written again too. Should that
   * fail as well, the {@link BackendException} says so, and every later use tries again. Recursive over the products
   * still computing below {@code r}.
   */
  void settle(ClResident r) {
    if (r.array) {
      kernels.settle(r);
      return;
    }
    ClResident[] sources;
    int[] versions;
    long[] events;
    lock.lock();
    try {
      if (r.ready == 0) return;
      sources = r.sources;
      versions = r.sourceVersions;
      events = new long[r.after.length + 1];
      events[0] = r.ready;
      System.arraycopy(r.after, 0, events, 1, r.after.length);
      ClQueue.retain(events);
    } finally {
      lock.unlock();
    }
    try {
      for (ClResident source : sources) settle(source);
      boolean succeeded = ClQueue.succeeded(events, "resident");
      boolean sourcesValid = true;
      boolean firstToFind;
      boolean report;
      ClQueue failedOn;
      lock.lock();
      try {
        for (int i = 0; i < sources.length; i++) sourcesValid &= sources[i].version == versions[i];
        if (succeeded && sourcesValid) {
          finishLocked(r, events[0]);
          return;
        }
        // Other readers (or a reap) may have found this failure too, and the product written again since.
        firstToFind = !succeeded && r.ready == events[0] && !r.failureFound;
        if (firstToFind) r.failureFound = true;
        // A command that failed from valid sources is a device failure of its own (one behind a failed source is not).
        report = firstToFind && sourcesValid && firstFailureOfQueueLocked(r);
        failedOn = r.queue;
      } finally {
        lock.unlock();
      }
      if (firstToFind) {
        // What follows a failed command on its queue is the runtime's choice: later products go to a new queue.
        context.retireResidentQueue(failedOn);
        if (report) {
          context.deviceFailed(new BackendException("a resident product's kernel failed on the device after its"
              + " call returned"));
        }
      }
      rewrite(r, events[0]);
    } finally {
      ClQueue.release(events);
    }
  }

  /**
   * Writes {@code r} again after its command ({@code failed}) failed or read a failed source; one thread at a time
   * per resident, holding pins of its own on {@code r} and its sources meanwhile (a close or a reap may finish the
   * product's first pins).
   */
  private void rewrite(ClResident r, long failed) {
    synchronized (r) {
      ClResident[] sources;
      Runnable redo;
      lock.lock();
      try {
        if (r.ready != failed) return;
        sources = r.sources;
        redo = r.redo;
        r.pins++;
        for (ClResident source : sources) source.pins++;
      } finally {
        lock.unlock();
      }
      try {
        for (ClResident source : sources) settle(source);
        redo.run();
        lock.lock();
        try {
          rewrites++;
          r.version++;
          finishLocked(r, failed);
        } finally {
          lock.unlock();
        }
      } finally {
        lock.lock();
        try {
          for (ClResident source : sources) unpin(source);
          unpin(r);
        } finally {
          lock.unlock();
        }
      }
    }
  }

  /**
   * Pins each of {@code residents} (distinct) for a kernel that uses them, refusing a closed or lost one; their device
   * buffers, in order. Should one fail, those pinned already are unpinned.
   */
  long[] pinAll(ClResident[] residents) {
    long[] buffers = new long[residents.length];
    int pinned = 0;
    try {
      for (; pinned < residents.length; pinned++) buffers[pinned] = pin(residents[pinned]);
      return buffers;
    } catch (RuntimeException e) {
      for (int k = 0; k < pinned; k++) unpin(residents[k]);
      throw e;
    }
  }

  /**
   * The array {@code r}'s host copy (from {@link #download}) was written by a backend on host memory: it is the
   * current copy now, and the device copy is uploaded again when next used. Kernels still reading the device copy
   * are waited for first.
   */
  void hostWritten(ClResident r) {
    if (!r.array) return;
    kernels.settleUses(r);
    lock.lock();
    try {
      if (r.closed || r.host == null) return;
      r.deviceStale = r.buffer != 0;
    } finally {
      lock.unlock();
    }
  }

  /** A kernel that ran to its end (or failed as the CPU would throw) wrote {@code written}: the device copy is current. */
  void deviceWritten(ClResident[] written) {
    lock.lock();
    try {
      for (ClResident r : written) {
        r.host = null;
        r.deviceStale = false;
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * A kernel writing {@code written} failed on the device after it was launched: where a host copy is left it holds
   * the values from before the kernel (the device copy is uploaded again when next used), else they are lost.
   */
  void failedWriting(ClResident[] written, String kernel, BackendException e) {
    lock.lock();
    try {
      for (ClResident r : written) {
        if (r.host != null) r.deviceStale = r.buffer != 0;
        else if (r.lost == null) r.lost = "the kernel " + kernel + " failed on the device while writing it: "
            + e.getMessage();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Copies the values of {@code r} into {@code into}, an array of its type and length: its host copy, or one read. */
  void downloadInto(ClResident r, Object into) {
    settle(r);
    Object host = hostCopyOrPin(r);
    if (host != null) {
      System.arraycopy(host, 0, into, 0, r.length);
      return;
    }
    try (ClCall call = context.begin("download")) {
      if (r.length > 0) call.queue.read(r.buffer, into, 0, r.length, call.op);
      reads.increment();
    } finally {
      unpin(r);
    }
  }

  /** Waits for every product still computing, for a context about to close; failures are left as they are. */
  void awaitPending() {
    List<ClResident> busy;
    ClKernelCommand last;
    lock.lock();
    try {
      busy = List.copyOf(pending);
      last = kernels.lastLocked();
    } finally {
      lock.unlock();
    }
    if (last != null) kernels.settleUpTo(last);
    for (ClResident p : busy) awaitQuietly(p);
    lock.lock();
    try {
      reapLocked();
    } finally {
      lock.unlock();
    }
    retireFailedQueue();
  }

  /** Outside the lock: later products go to a new queue when a reap found a product on this one failed. */
  private void retireFailedQueue() {
    ClQueue failed;
    lock.lock();
    try {
      failed = queueToRetire;
      queueToRetire = null;
    } finally {
      lock.unlock();
    }
    if (failed != null) context.retireResidentQueue(failed);
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
      ClQueue.succeeded(new long[] {event}, "resident.wait");
    } finally {
      ClQueue.release(event);
    }
  }

  /**
   * Under the lock, without waiting: the status of {@code r}'s command and those it waited for, as OpenCL gives one
   * (negative: failed, 0: done, positive: still running; an unknown status counts as running).
   */
  private int statusLocked(ClResident r) {
    int worst = 0;
    for (int i = -1; i < r.after.length; i++) {
      int status;
      try {
        status = ClQueue.status(i < 0 ? r.ready : r.after[i]);
      } catch (BackendException e) {
        status = 1;
      }
      if (status < 0) return status;
      worst = Math.max(worst, status);
    }
    return worst;
  }

  /**
   * Under the lock: settles the products whose commands are done and whose sources are settled, oldest first, and
   * gives up on closed ones that failed once no product still computing reads them.
   */
  private void reapLocked() {
    kernels.reapLocked();
    if (pending.isEmpty()) return;
    for (ClResident r : List.copyOf(pending)) {
      int status = statusLocked(r);
      if (status == 0) {
        boolean sourcesValid = true;
        for (int i = 0; i < r.sources.length; i++) {
          sourcesValid &= r.sources[i].ready == 0 && r.sources[i].version == r.sourceVersions[i];
        }
        if (sourcesValid) finishLocked(r, r.ready);
      } else if (status < 0 && r.closed && !readByPending(r) && ownCommandEnded(r)) {
        // Given up only once its own command has ended: a runtime may run it although one it waited for failed, and
        // its buffer must not be reused while it writes.
        boolean ownFailure = true;
        for (int i = 0; i < r.sources.length; i++) {
          ownFailure &= r.sources[i].ready == 0 && r.sources[i].version == r.sourceVersions[i];
        }
        boolean report = ownFailure && !r.failureFound && firstFailureOfQueueLocked(r);
        r.failureFound = true;
        if (report) queueToRetire = r.queue;
        finishLocked(r, r.ready);
        if (report) {
          context.deviceFailed(new BackendException("a resident product's kernel failed on the device after its"
              + " call returned (the product was closed unread)"));
        }
      }
    }
  }

  /**
   * Under the lock: whether {@code r}'s failed command is the first found failed on its queue, which is then counted
   * as failed; those behind it on that queue may have failed only because it did.
   */
  private boolean firstFailureOfQueueLocked(ClResident r) {
    if (r.queue == failedQueue) return false;
    failedQueue = r.queue;
    return true;
  }

  /** Under the lock: whether {@code r}'s own command has ended, done or failed. */
  private static boolean ownCommandEnded(ClResident r) {
    try {
      return ClQueue.status(r.ready) <= 0;
    } catch (BackendException e) {
      return false;
    }
  }

  private boolean readByPending(ClResident r) {
    for (ClResident p : pending) {
      for (ClResident source : p.sources) {
        if (source == r) return true;
      }
    }
    return false;
  }

  /** Under the lock: {@code r} is written by {@code event}'s command (or given up): its pins and events go. */
  private void finishLocked(ClResident r, long event) {
    if (r.ready != event || event == 0) return;
    ClQueue.release(event);
    ClQueue.release(r.after);
    r.ready = 0;
    r.after = null;
    r.redo = null;
    r.queue = null;
    pending.remove(r);
    ClResident[] sources = r.sources;
    r.sources = null;
    r.sourceVersions = null;
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

  /**
   * The values of {@code r}: its host copy, made now by a download if it has none (and kept: values never change).
   * One download per resident at a time: readers arriving meanwhile wait for it and return its values (four threads
   * mapping one buffer at once crashed the JVM on PoCL); should it fail, each of them tries again itself.
   */
  Object download(ClResident r) {
    settle(r);
    for (;;) {
      CompletableFuture<Object> running;
      lock.lock();
      try {
        if (r.closed) throw new IllegalStateException(closedMessage(r));
        if (r.host != null) return r.host;
        running = r.downloading;
        if (running == null) {
          // This thread downloads: the device copy, the only one then, stays put until the unpin below.
          r.downloading = new CompletableFuture<>();
          onDevice.remove(r);
          onDevice.add(r);
          r.pins++;
        }
      } finally {
        lock.unlock();
      }
      if (running == null) return downloadOnce(r);
      try {
        return running.join();
      } catch (java.util.concurrent.CompletionException e) {
        // The download this thread waited for failed (and was reported by its own reader): try again.
      }
    }
  }

  /** The download of {@link #download(ClResident)} by the thread that started it; {@code r} is pinned for it. */
  private Object downloadOnce(ClResident r) {
    Object values = null;
    Throwable failure = null;
    try (ClCall call = context.begin("download")) {
      values = downloadCopy(call, r);
    } catch (RuntimeException | Error e) {
      failure = e;
      throw e;
    } finally {
      CompletableFuture<Object> done;
      lock.lock();
      try {
        done = r.downloading;
        r.downloading = null;
        // Closed meanwhile: hand the values over, but keep no copy for a resident nobody can use.
        if (failure == null && !r.closed) {
          if (r.host == null) r.host = values;
          values = r.host;
        }
        unpin(r);
      } finally {
        lock.unlock();
      }
      if (failure != null) done.completeExceptionally(failure);
      else done.complete(values);
    }
    return values;
  }

  /**
   * Copies the values of {@code r} into native host memory at {@code address}: from its host copy when it has one,
   * else by one DMA from its device copy, pinned meanwhile as in {@link #download(ClResident)}.
   */
  void download(ClResident r, long address) {
    settle(r);
    Object host = hostCopyOrPin(r);
    if (host != null) {
      org.lwjgl.system.MemoryUtil.memFloatBuffer(address, r.length).put((float[]) host);
      return;
    }
    try (ClCall call = context.begin("download")) {
      long bytes = r.bytes();
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
  private Object hostCopyOrPin(ClResident r) {
    lock.lock();
    try {
      if (r.closed) throw new IllegalStateException(closedMessage(r));
      if (r.host != null) return r.host;
      onDevice.remove(r);
      onDevice.add(r);
      r.pins++;
      return null;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Frees {@code r}'s copies once nothing uses them. A product still computing is not waited for: its memory goes
   * when it is settled (at a later store operation), as its pins say.
   */
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

  /**
   * Closes {@code r}, pinned once by a caller whose call could not be drained: commands that may still run write its
   * buffer, so the buffer is freed (the runtime keeps it until they are done) and never handed to another array.
   */
  void abandonUndrained(ClResident r) {
    lock.lock();
    try {
      r.closed = true;
      r.host = null;
      r.pins--;
      if (r.buffer != 0) {
        onDevice.remove(r);
        context.discardBuffers(r.buffer);
        deviceBytes -= r.bufferBytes;
        r.buffer = 0;
        r.bufferBytes = 0;
        r.deviceStale = false;
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Device bytes held by resident data once the products computing now are done (those closed meanwhile then give
   * their memory back); for tests and diagnostics.
   */
  long deviceBytes() {
    awaitPending();
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
      if (r.lastWriter != null) kernels.reapLocked();
      return r.ready == 0 && r.lastWriter == null;
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

  /** Arrays read from the device to the host so far (downloads and evictions), for tests that a chain stays there. */
  long reads() {
    return reads.sum();
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
    long bytes = bufferBytes(r.bytes(), context.device.maxAllocation());
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

  /**
   * The bytes of the pooled buffer an array of {@code arrayBytes} (at most {@code maxAllocation}, see checkFits) is
   * placed in: its size class, as the pool allocates it, but never past the device's largest allocation (a size class
   * is up to twice the array: asking for it was refused, and evicting every array did not help).
   */
  static long bufferBytes(long arrayBytes, long maxAllocation) {
    return Math.min(ClBufferPool.sizeClass(Math.max(4, arrayBytes)), Math.max(4, maxAllocation));
  }

  /** Evicts least recently used unpinned copies until {@code bytes} more fit the budget (or none is left). */
  private void makeRoom(long bytes) {
    Iterator<ClResident> oldest = onDevice.iterator();
    while (deviceBytes > 0 && (bytes == Long.MAX_VALUE || deviceBytes + bytes > budget) && oldest.hasNext()) {
      ClResident victim = oldest.next();
      if (victim.pins > 0) continue;
      if (victim.host == null) {
        try (ClCall call = context.begin("evict")) {
          victim.host = downloadCopy(call, victim);
        }
      }
      oldest.remove();
      releaseBuffer(victim);
      evictions++;
    }
    if (bytes != Long.MAX_VALUE && deviceBytes + bytes > budget) {
      throw new BackendRefusedException("resident data needs " + (deviceBytes + bytes) + " bytes of device memory,"
          + " over the budget of " + budget + " (pincette.opencl.residentBytes), and what is there is in use");
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
    r.deviceStale = false;
  }

  /** A new host array holding {@code r}'s device copy, read on {@code call}'s queue. */
  private Object downloadCopy(ClCall call, ClResident r) {
    Object out = r.type.newArray(r.length);
    if (r.length > 0) call.queue.read(r.buffer, out, 0, r.length, call.op);
    reads.increment();
    return out;
  }

  private static String closedMessage(ClResident r) {
    return "a " + (r.array ? "DeviceArray" : "DeviceMatrix") + " this call uses was closed during the call";
  }

  /** A read of an array whose only copy went with a failed device command. */
  static IllegalStateException lost(ClResident r) {
    return new IllegalStateException("the DeviceArray's values were lost: " + r.lost);
  }
}
