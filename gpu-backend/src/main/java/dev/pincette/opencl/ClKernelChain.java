package dev.pincette.opencl;

import dev.pincette.spi.BackendException;
import java.util.ArrayDeque;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The Java kernels enqueued on resident arrays of one {@link ClResidentStore} and not known done
 * ({@link ClKernelCommand}s), in the order they were enqueued on the context's resident queue, which runs them in that
 * order. Whoever waits for an array settles them oldest first ({@link #settleUpTo}): each one's error record and
 * status pass to the arrays it wrote (a kernel error thrown once, or a device failure that loses them), and its pins,
 * events and buffers go. Shares the store's lock, which guards every resident's state and the kernels here; no event
 * is waited for under it.
 */
final class ClKernelChain {
  /**
   * Kernels enqueued and not known done at most: a new one first waits for the oldest, so that the events, pins and
   * error records of a chain nobody waits for stay bounded, as a driver's queue would be.
   */
  static final int MAX_KERNELS_IN_FLIGHT = 1024;

  private final ClResidentStore store;
  private final ClContext context;
  /** The store's lock. */
  private final ReentrantLock lock;
  /** Guarded by {@link #lock}: the kernels not known done, oldest first. */
  private final ArrayDeque<ClKernelCommand> commands = new ArrayDeque<>();
  /** {@code CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST}: a command that ended because one it waited for failed. */
  private static final int CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST = -14;
  /** Guarded by {@link #lock}: the queue whose failure was counted last; later failures on it are not counted again. */
  private ClQueue failedQueue;
  /** Set when a kernel is found failed: the resident queue is replaced outside the lock ({@link #retireIfNeeded}). */
  private boolean retireQueue;
  /** Where the error records of kernels in flight are read into. */
  final ClRecordSlots records;

  ClKernelChain(ClResidentStore store, ClContext context, ReentrantLock lock) {
    this.store = store;
    this.context = context;
    this.lock = lock;
    this.records = new ClRecordSlots(context, MAX_KERNELS_IN_FLIGHT);
  }

  /** Under the lock: the kernel enqueued last and not known done, or null. */
  ClKernelCommand lastLocked() {
    return commands.peekLast();
  }

  /** The kernels not known done that last wrote each of {@code residents}, distinct: what a new kernel follows. */
  ClKernelCommand[] writersOf(ClResident[] residents) {
    lock.lock();
    try {
      java.util.LinkedHashSet<ClKernelCommand> writers = new java.util.LinkedHashSet<>();
      for (ClResident r : residents) {
        if (r.lastWriter != null) writers.add(r.lastWriter);
      }
      return writers.toArray(ClKernelCommand[]::new);
    } finally {
      lock.unlock();
    }
  }

  /**
   * The kernel events a new kernel on {@code residents} waits for (their last writers' and users'), each with the
   * queue it was enqueued on, retained. Taken under the store's lock before the kernel's call takes the resident
   * queue (the store's lock comes first); {@link Waits#on} then keeps those of another queue.
   */
  Waits eventsBefore(ClResident[] residents) {
    lock.lock();
    try {
      java.util.LinkedHashMap<Long, ClQueue> events = new java.util.LinkedHashMap<>();
      for (ClResident r : residents) {
        if (r.lastWriter != null) events.put(r.lastWriter.events[0], r.lastWriter.queue);
        if (r.lastUse != null) events.put(r.lastUse.events[0], r.lastUse.queue);
      }
      long[] out = events.keySet().stream().mapToLong(Long::longValue).toArray();
      ClQueue.retain(out);
      return new Waits(out, events.values().toArray(ClQueue[]::new));
    } finally {
      lock.unlock();
    }
  }

  /** Retained kernel events and the queue of each. */
  record Waits(long[] events, ClQueue[] queues) {
    /**
     * The events of kernels on another queue than {@code queue} (one replaced since), still retained; those on
     * {@code queue} are released: it runs in order, so they are done before a kernel enqueued there anyway, and a
     * wait list would only cost the driver.
     */
    long[] on(ClQueue queue) {
      long[] other = new long[events.length];
      int count = 0;
      for (int k = 0; k < events.length; k++) {
        if (queues[k] == queue) ClQueue.release(events[k]);
        else other[count++] = events[k];
      }
      return java.util.Arrays.copyOf(other, count);
    }
  }

  /**
   * Records that {@code command} was enqueued: the arrays it writes hold its results on the device only, from now on,
   * and its pins (one per used resident) stay until it is settled.
   */
  void enqueued(ClKernelCommand command) {
    lock.lock();
    try {
      for (ClResident r : command.used) {
        r.lastUse = command;
        if (command.inherited == null && r.fault != null && !r.fault.reported) command.inherited = r.fault;
      }
      for (ClResident r : command.written) {
        r.lastWriter = command;
        r.host = null;
        r.deviceStale = false;
      }
      commands.add(command);
    } finally {
      lock.unlock();
    }
  }

  /** Before enqueueing a kernel: settles the oldest kernels while {@link #MAX_KERNELS_IN_FLIGHT} are in flight. */
  void throttle() {
    for (;;) {
      ClKernelCommand oldest;
      lock.lock();
      try {
        if (commands.size() < MAX_KERNELS_IN_FLIGHT) return;
        reapLocked();
        if (commands.size() < MAX_KERNELS_IN_FLIGHT) return;
        oldest = commands.getFirst();
      } finally {
        lock.unlock();
      }
      settleUpTo(oldest);
    }
  }

  /**
   * Waits until every kernel writing the array {@code r} is done, then reports what they left: throws the first kernel
   * error its values follow that was not thrown yet (once), or {@link IllegalStateException} when they were lost with
   * a failed device command.
   */
  void settle(ClResident r) {
    ClKernelCommand writer;
    lock.lock();
    try {
      writer = r.lastWriter;
    } finally {
      lock.unlock();
    }
    if (writer != null) settleUpTo(writer);
    lock.lock();
    try {
      if (r.lost != null) throw ClResidentStore.lost(r);
      ClKernelCommand faulty = r.fault;
      r.fault = null;
      if (faulty != null && !faulty.reported) {
        faulty.reported = true;
        throw faulty.fault;
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until every kernel enqueued that uses {@code r} (reads or writes it) is done, reporting nothing: before the
   * host or a call on another queue writes it.
   */
  void settleUses(ClResident r) {
    ClKernelCommand last;
    lock.lock();
    try {
      last = r.lastUse;
    } finally {
      lock.unlock();
    }
    if (last != null) settleUpTo(last);
  }

  /** Settles the kernels enqueued up to {@code command}, oldest first, waiting for each. */
  void settleUpTo(ClKernelCommand command) {
    for (;;) {
      long[] events;
      lock.lock();
      try {
        reapLocked();
        if (command.done) break;
        // The oldest still running: those behind it on the queue wait for it, and it for nothing of ours.
        events = commands.getFirst().events.clone();
        ClQueue.retain(events);
      } finally {
        lock.unlock();
      }
      try {
        for (long event : events) {
          try {
            ClQueue.await(event);
          } catch (BackendException e) {
            // Ended, failed: the reap judges it.
          }
        }
      } finally {
        ClQueue.release(events);
      }
    }
    retireIfNeeded();
  }

  /**
   * Under the lock, without waiting: settles the kernels whose commands have ended, oldest first, up to the first that
   * has not (the resident queue runs in order: those behind it have not either). Every kernel call on residents asks
   * this, so it looks at one or two kernels, not at the whole chain in flight.
   */
  void reapLocked() {
    while (!commands.isEmpty()) {
      ClKernelCommand c = commands.getFirst();
      // Judged once every command of it has ended: a failed one may leave the others running, still using its buffers.
      int status = 0;
      boolean cascaded = false;
      boolean ended = true;
      for (long event : c.events) {
        int s;
        try {
          s = ClQueue.status(event);
        } catch (BackendException e) {
          s = 1;
        }
        ended &= s <= 0;
        if (s == CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST) cascaded = true;
        else status = Math.min(status, s);
      }
      if (!ended) return;
      finishCommandLocked(c, status, cascaded);
    }
  }

  /**
   * Under the lock: {@code c}'s commands ended with {@code status} (negative: one failed itself) or {@code cascaded}
   * (one ended because a command it waited for failed). Its results are lost when it or a kernel before it failed;
   * else its error record tells whether it failed as the CPU would throw. Either passes to the arrays it wrote; its
   * pins, events and buffers go. The device's health counts one failure per queue: those behind a failed command on
   * an in-order queue may all fail with it, and one fault must not count as many.
   */
  private void finishCommandLocked(ClKernelCommand c, int status, boolean cascaded) {
    String failure = null;
    ClKernelCommand faulty = null;
    for (ClKernelCommand before : c.writtenBefore) {
      if (failure == null) failure = before.failure;
      if (faulty == null && before.faultFrom != null && !before.faultFrom.reported) faulty = before.faultFrom;
    }
    if (faulty == null && c.inherited != null && !c.inherited.reported) faulty = c.inherited;
    c.inherited = null;
    boolean own = failure == null && (status < 0 || cascaded);
    if (own) {
      failure = "the kernel " + c.kernel + " failed on the device after its call returned ("
          + ClError.name(status < 0 ? status : CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST) + ")";
    }
    boolean counted = own && status < 0 && c.queue != failedQueue;
    if (counted) failedQueue = c.queue;
    if (failure == null) {
      java.nio.ByteBuffer record = java.nio.ByteBuffer.allocate(4 * dev.pincette.opencl.kernel.OpenClRenderer.ERROR_INTS)
          .order(java.nio.ByteOrder.nativeOrder());
      record.put(org.lwjgl.system.MemoryUtil.memByteBuffer(c.record, record.capacity())).flip();
      if (record.getInt(0) != 0) {
        c.fault = c.faultOf.apply(record);
        if (faulty == null) faulty = c;
      }
    }
    c.failure = failure;
    c.faultFrom = faulty;
    for (ClResident r : c.written) {
      if (failure != null && r.lost == null) r.lost = failure;
      if (faulty != null && r.fault == null) r.fault = faulty;
    }
    c.done = true;
    commands.remove(c);
    c.writtenBefore = new ClKernelCommand[0];
    ClQueue.release(c.events);
    context.releaseBuffers(c.errors);
    if (!records.release(c.record)) org.lwjgl.system.MemoryUtil.nmemFree(c.record);
    for (ClResident r : c.used) {
      if (r.lastUse == c) r.lastUse = null;
      if (r.lastWriter == c) r.lastWriter = null;
      store.unpin(r);
    }
    if (own) retireQueue = true;
    if (counted) context.deviceFailed(new dev.pincette.spi.BackendException(failure));
  }

  /** After a kernel failed on the resident queue: later ones go to a new queue (outside the lock). */
  void retireIfNeeded() {
    boolean retire;
    lock.lock();
    try {
      retire = retireQueue;
      retireQueue = false;
    } finally {
      lock.unlock();
    }
    if (retire) context.retireResidentQueue();
  }
}
