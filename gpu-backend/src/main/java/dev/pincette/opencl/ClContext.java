package dev.pincette.opencl;

import static org.lwjgl.opencl.CL10.CL_CONTEXT_PLATFORM;
import static org.lwjgl.opencl.CL10.CL_MEM_ALLOC_HOST_PTR;
import static org.lwjgl.opencl.CL10.CL_MEM_READ_WRITE;
import static org.lwjgl.opencl.CL10.clCreateContext;
import static org.lwjgl.opencl.CL10.clReleaseContext;

import dev.pincette.spi.BackendException;
import java.nio.IntBuffer;
import java.nio.file.Path;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.lwjgl.system.MemoryStack;

/**
 * Everything native of one device: the context, its queues, programs and buffer pool. Calls run through
 * {@link #begin}, which lends a queue to one thread; several queues let several threads drive the device at once.
 * {@link #close} waits for running calls, then releases everything.
 */
final class ClContext implements AutoCloseable {
  /**
   * Threads copying between the Java heap and pinned memory: {@code pincette.opencl.copyThreads}, default the cores
   * up to 16 (one thread's memcpy reaches about 10 GB/s; on the H100 machine 16 threads and 64 MB chunks moved 256 MB
   * Java arrays at 31-35 GB/s, 8 threads at 25-32).
   */
  static final int COPY_THREADS = Math.max(1, Integer.getInteger("pincette.opencl.copyThreads",
      Math.min(16, Runtime.getRuntime().availableProcessors())));

  /**
   * Queues per context: enough to overlap one call's transfers with another's kernels, and the three queues of a
   * pipelined product. {@code pincette.opencl.queues} (3 to 32) overrides the default of 4.
   */
  static final int MAX_QUEUES = Math.clamp(Integer.getInteger("pincette.opencl.queues", 4), 3, 32);

  final ClDevice device;
  final long handle;
  final ClProgramCache programs;
  final ClBufferPool pool;
  /** Data kept on the device between calls ({@code DeviceMatrix}). */
  final ClResidentStore residents;
  /** Whether transfers go through pinned staging (discrete devices) rather than mapping the device buffer. */
  final boolean staged;
  /** Threads that copy large arrays between the Java heap and mapped or pinned memory. */
  final ForkJoinPool copyPool;
  /**
   * A permit per running call: a call takes one, then an idle queue or a new one, so at most {@link #MAX_QUEUES}
   * queues exist. Every call that ends gives its permit back, also one whose failed queue is closed, not returned.
   */
  private final Semaphore queuePermits = new Semaphore(MAX_QUEUES);
  private final Queue<ClQueue> idleQueues = new ConcurrentLinkedQueue<>();
  /** Where device failures found outside a call go (a resident product's kernel found failed later). */
  private final java.util.function.Consumer<BackendException> failures;
  /** Calls hold the read lock for their whole duration; {@link #close} takes the write lock. */
  private static final System.Logger LOG = System.getLogger("dev.pincette");
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  /** Written under the write lock, read under the read lock. */
  private boolean closed;
  /**
   * Host mappings of one buffer, one at a time ({@link ClQueue} maps a buffer, copies, unmaps and waits for the unmap):
   * with two queues mapping one buffer at once, one thread's unmap invalidated the mapping another was still copying
   * from, and the JVM died on PoCL. Striped by buffer handle; a stripe is held for one transfer's copy.
   */
  private final java.util.concurrent.locks.ReentrantLock[] mapLocks = new java.util.concurrent.locks.ReentrantLock[64];

  {
    for (int i = 0; i < mapLocks.length; i++) mapLocks[i] = new java.util.concurrent.locks.ReentrantLock();
  }

  private ClContext(ClDevice device, long handle, Path cacheDir, boolean staged,
      java.util.function.Consumer<BackendException> failures) {
    this.device = device;
    this.handle = handle;
    this.staged = staged;
    this.failures = failures;
    this.programs = new ClProgramCache(handle, device, cacheDir);
    long flags = CL_MEM_READ_WRITE | (staged ? 0 : CL_MEM_ALLOC_HOST_PTR);
    this.pool = new ClBufferPool(handle, flags, device.maxAllocation(), device.globalMemory() / 4);
    this.residents = new ClResidentStore(this, Long.getLong("pincette.opencl.residentBytes",
        device.globalMemory() / 4 * 3));
    this.copyPool = new ForkJoinPool(COPY_THREADS, p -> {
      ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
      t.setName("pincette-cl-copy-" + t.getPoolIndex());
      t.setDaemon(true);
      return t;
    }, null, false);
  }

  /**
   * A context on {@code device}; {@code cacheDir} (or null) holds program binaries; {@code forceStaging} takes the
   * discrete-device transfer path even on a host-unified device, so tests cover it.
   */
  static ClContext open(ClDevice device, Path cacheDir, boolean forceStaging) {
    return open(device, cacheDir, forceStaging, e -> {});
  }

  /** As {@link #open(ClDevice, Path, boolean)}, reporting device failures found outside a call to {@code failures}. */
  static ClContext open(ClDevice device, Path cacheDir, boolean forceStaging,
      java.util.function.Consumer<BackendException> failures) {
    try (MemoryStack stack = MemoryStack.stackPush()) {
      IntBuffer error = stack.mallocInt(1);
      var properties = stack.mallocPointer(3).put(CL_CONTEXT_PLATFORM).put(device.platform()).put(0).flip();
      long context = clCreateContext(properties, device.id(), null, 0, error);
      ClError.checkHandle(context, error.get(0), "clCreateContext(" + device.name() + ")");
      return new ClContext(device, context, cacheDir, forceStaging || !device.hostUnified(), failures);
    } finally {
      ClSignals.restore();
    }
  }

  /** The lock serialising host mappings of {@code buffer} (see {@link #mapLocks}). */
  java.util.concurrent.locks.ReentrantLock mapLock(long buffer) {
    long h = buffer * 0x9E3779B97F4A7C15L;
    return mapLocks[(int) (h >>> 58)];
  }

  /** Reports a device failure found outside a call (see {@link dev.pincette.spi.Backend#reportFailuresTo}). */
  void deviceFailed(BackendException failure) {
    failures.accept(failure);
  }

  /** Starts a call of {@code op}: a queue of its own until {@link ClCall#close()}. */
  ClCall begin(String op) {
    lifecycle.readLock().lock();
    try {
      if (closed) throw new BackendException("opencl backend is closed");
      return new ClCall(this, acquireQueue(), op);
    } catch (RuntimeException e) {
      lifecycle.readLock().unlock();
      throw e;
    }
  }

  /**
   * Starts {@code count} calls of {@code op} at once, each with its own queue, for one op that overlaps transfers
   * and kernels on several queues. The queues are taken together, so two such ops cannot each hold part of what the
   * other waits for. Close every returned call.
   */
  ClCall[] beginAll(String op, int count) {
    if (count < 1 || count > MAX_QUEUES) throw new IllegalArgumentException("queues: " + count);
    lifecycle.readLock().lock();
    try {
      if (closed) throw new BackendException("opencl backend is closed");
      acquirePermits(count);
    } catch (RuntimeException e) {
      lifecycle.readLock().unlock();
      throw e;
    }
    ClCall[] calls = new ClCall[count];
    int made = 0;
    try {
      for (; made < count; made++) {
        ClQueue queue = takeQueue();
        // Each call gives back one read hold when it ends; the first uses the one taken above.
        if (made > 0) lifecycle.readLock().lock();
        calls[made] = new ClCall(this, queue, op);
      }
      return calls;
    } catch (RuntimeException e) {
      for (int i = 0; i < made; i++) calls[i].close();
      queuePermits.release(count - made);
      if (made == 0) lifecycle.readLock().unlock();
      throw e;
    }
  }

  private void acquirePermits(int count) {
    try {
      queuePermits.acquire(count);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BackendException("interrupted while waiting for an OpenCL queue", e);
    }
  }

  private ClQueue acquireQueue() {
    acquirePermits(1);
    try {
      return takeQueue();
    } catch (RuntimeException e) {
      queuePermits.release();
      throw e;
    }
  }

  /** An idle queue, or a new one; the caller holds a permit for it. */
  private ClQueue takeQueue() {
    ClQueue queue = idleQueues.poll();
    return queue != null ? queue : new ClQueue(this);
  }

  /**
   * The queue resident products are enqueued on without waiting ({@link ClMatmul#enqueue}), apart from the calls'
   * queues: should one of its commands fail, what a runtime does with the commands behind it is its own choice, and
   * those are only resident products, each checked by its event ({@link ClResidentStore#settle}). Created when first
   * needed, replaced after a failure ({@link #retireResidentQueue}); guarded by {@link #residentLock}, held by one
   * thread from {@link #beginResident} to the end of its call.
   */
  private ClQueue residentQueue;
  private final java.util.concurrent.locks.ReentrantLock residentLock = new java.util.concurrent.locks.ReentrantLock();

  /** Starts an enqueue on the resident queue (one thread at a time); end it with {@link ClCall#endEnqueued}. */
  ClCall beginResident(String op) {
    lifecycle.readLock().lock();
    try {
      if (closed) throw new BackendException("opencl backend is closed");
      residentLock.lock();
      try {
        if (residentQueue == null) residentQueue = new ClQueue(this);
        return new ClCall(this, residentQueue, op, true);
      } catch (RuntimeException e) {
        residentLock.unlock();
        throw e;
      }
    } catch (RuntimeException e) {
      lifecycle.readLock().unlock();
      throw e;
    }
  }

  /** Ends a call begun by {@link #beginResident}; a queue that failed to finish is closed, and a new one made next. */
  void endResident(ClQueue queue, boolean healthy) {
    try {
      if (!healthy) {
        if (residentQueue == queue) residentQueue = null;
        queue.close();
      }
    } finally {
      residentLock.unlock();
      lifecycle.readLock().unlock();
    }
    ClSignals.check();
  }

  /** After a resident product failed: later ones go to a new queue, and this one is drained and closed. */
  void retireResidentQueue() {
    retireResidentQueue(null);
  }

  /**
   * After a resident product enqueued on {@code failed} failed: when that is still the resident queue (null: whichever
   * it is), later ones go to a new queue, and this one is drained and closed; a queue made since stays.
   */
  void retireResidentQueue(ClQueue failed) {
    lifecycle.readLock().lock();
    try {
      if (closed) return;
      ClQueue old;
      residentLock.lock();
      try {
        if (failed != null && residentQueue != failed) return;
        old = residentQueue;
        residentQueue = null;
      } finally {
        residentLock.unlock();
      }
      if (old != null) old.close();
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /**
   * Ends a call begun by {@link #begin}: a queue that failed to finish is replaced rather than reused. Checks that the
   * driver left the JVM's signal handlers in place (see {@link ClSignals}).
   */
  void end(ClQueue queue, boolean healthy) {
    try {
      if (healthy) idleQueues.add(queue);
      else queue.close();
    } finally {
      queuePermits.release();
      lifecycle.readLock().unlock();
    }
    ClSignals.check();
  }

  /** Returns buffers leased outside a call (by a spatial index); a no-op once the context is closed. */
  void releaseBuffers(long... buffers) {
    lifecycle.readLock().lock();
    try {
      if (closed) return;
      for (long buffer : buffers) {
        if (buffer != 0) pool.release(buffer);
      }
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /**
   * Frees buffers leased outside a call instead of returning them for reuse: commands that may still run (their queue
   * could not be drained) may write into them. A no-op once the context is closed.
   */
  void discardBuffers(long... buffers) {
    lifecycle.readLock().lock();
    try {
      if (closed) return;
      for (long buffer : buffers) {
        if (buffer != 0) pool.discard(buffer);
      }
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /**
   * Unmaps and releases a buffer mapped for as long as it lived ({@link ClHostMemory}). Once the context is closed
   * its queues are gone, and releasing the buffer frees the mapping with it.
   */
  void unmapAndRelease(long buffer, long address) {
    lifecycle.readLock().lock();
    try {
      if (!closed) {
        try (ClCall call = begin("hostMatrix")) {
          call.queue.unmap(buffer, address, "hostMatrix");
        }
      }
    } finally {
      lifecycle.readLock().unlock();
      org.lwjgl.opencl.CL10.clReleaseMemObject(buffer);
    }
  }

  boolean isClosed() {
    lifecycle.readLock().lock();
    try {
      return closed;
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  @Override
  public void close() {
    // Before the write lock: the store's lock comes before the context's (an eviction may start a call).
    residents.awaitPending();
    lifecycle.writeLock().lock();
    try {
      if (closed) return;
      closed = true;
      for (ClQueue queue = idleQueues.poll(); queue != null; queue = idleQueues.poll()) queue.close();
      if (residentQueue != null) residentQueue.close();
      residentQueue = null;
      // After the queues finished (a kernel enqueued since awaitPending() reads its record into a slot until then),
      // and never in the way of releasing the rest.
      try {
        residents.kernels.records.close();
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "opencl: releasing the kernels' error records failed", e);
      }
      pool.close();
      programs.close();
      copyPool.shutdown();
      clReleaseContext(handle);
    } finally {
      lifecycle.writeLock().unlock();
    }
  }
}
