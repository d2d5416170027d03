package dev.pincette.opencl;

import static org.lwjgl.opencl.CL10.CL_TRUE;
import static org.lwjgl.opencl.CL10.nclEnqueueReadBuffer;

import dev.pincette.spi.BackendException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;

/**
 * One op's use of the device: a queue lent to the calling thread and the pooled buffers the op takes, all given back
 * by {@link #close()} after the queue has drained. Used from one thread, in try-with-resources:
 *
 * <pre>{@code
 * try (ClCall call = context.begin("sum")) {
 *   long x = call.upload(values);
 *   ...
 * }
 * }</pre>
 */
final class ClCall implements AutoCloseable {
  final ClContext context;
  final ClQueue queue;
  final String op;
  private final List<Long> buffers = new ArrayList<>();

  /** Whether the queue is the context's resident queue ({@link ClContext#beginResident}), not one of the pool's. */
  private final boolean resident;
  /** Set by {@link #drained()}: every command of the call is known to be complete, so closing need not wait. */
  private boolean drained;
  /** Set by {@link #close()}: whether every command of the call was then known to be complete. */
  private boolean completed;

  ClCall(ClContext context, ClQueue queue, String op) {
    this(context, queue, op, false);
  }

  ClCall(ClContext context, ClQueue queue, String op, boolean resident) {
    this.context = context;
    this.queue = queue;
    this.op = op;
    this.resident = resident;
  }

  private void end(boolean healthy) {
    if (resident) context.endResident(queue, healthy);
    else context.end(queue, healthy);
  }

  ClDevice device() {
    return context.device;
  }

  /** A pooled buffer of at least {@code bytes} bytes (at least 4), returned to the pool when the call ends. */
  long buffer(long bytes) {
    long buffer = context.pool.acquire(Math.max(4, bytes), op);
    buffers.add(buffer);
    return buffer;
  }

  /** A pooled buffer that outlives the call; its holder gives it back with {@link ClContext#releaseBuffers}. */
  long lease(long bytes) {
    return context.pool.acquire(Math.max(4, bytes), op);
  }

  long upload(float[] values) {
    long buffer = buffer(4L * values.length);
    queue.write(buffer, values, 0, values.length, op);
    return buffer;
  }

  long upload(int[] values) {
    long buffer = buffer(4L * values.length);
    queue.write(buffer, values, 0, values.length, op);
    return buffer;
  }

  float[] downloadFloats(long buffer, int count) {
    float[] out = new float[count];
    queue.read(buffer, out, 0, count, op);
    return out;
  }

  int[] downloadInts(long buffer, int count) {
    int[] out = new int[count];
    queue.read(buffer, out, 0, count, op);
    return out;
  }

  ClKernel kernel(String resource, String options, String name) {
    return queue.kernel(resource, options, name);
  }

  void launch(ClKernel kernel, long[] global, long[] local) {
    queue.launch(kernel, global, local, false);
  }

  /** {@code count} work items of a one-dimensional kernel, whose global ids start at {@code first}. */
  void launch(ClKernel kernel, long first, long count) {
    queue.launch(kernel, new long[] {first}, new long[] {count}, null, false);
  }

  void fill(long buffer, int pattern, long bytes) {
    queue.fill(buffer, pattern, bytes, op);
  }

  /** Reads {@code bytes} (at most 64) from {@code offset} in {@code buffer}, waiting for the queue. */
  ByteBuffer readSmall(long buffer, long offset, int bytes) {
    String call = "clEnqueueReadBuffer(" + op + ")";
    ClFaults.check(call);
    ByteBuffer out = ByteBuffer.allocate(bytes).order(java.nio.ByteOrder.nativeOrder());
    try (MemoryStack stack = MemoryStack.stackPush()) {
      ByteBuffer tmp = stack.malloc(bytes);
      ClError.check(nclEnqueueReadBuffer(queue.handle, buffer, CL_TRUE, offset, bytes, MemoryUtil.memAddress(tmp), 0,
          0, 0), call);
      out.put(tmp).flip();
    }
    return out;
  }

  int readInt(long buffer, long index) {
    return readSmall(buffer, 4 * index, 4).getInt(0);
  }

  /**
   * Ends a call whose commands may still run, without waiting for them: for a call that took no buffers and whose
   * caller tracks its commands by their events. The queue goes back to the context, where later commands queue
   * behind them. Throws (after draining the queue) when they could not be submitted.
   */
  void endEnqueued() {
    if (!buffers.isEmpty()) throw new IllegalStateException("a call with buffers must drain: close() it");
    try {
      queue.flush();
    } catch (RuntimeException e) {
      // Not flushed: drain it like any call (a queue that cannot drain is replaced), so nothing runs on afterwards.
      close();
      throw e;
    }
    end(true);
  }

  /**
   * Tells the call that its last command was a blocking one on its in-order queue, so everything before it is complete
   * and {@link #close()} need not wait for the queue (a small product saves the driver round trip).
   */
  void drained() {
    drained = true;
  }

  @Override
  public void close() {
    boolean drained = this.drained;
    if (!drained) {
      drained = true;
      try {
        queue.finish(op);
      } catch (BackendException e) {
        drained = false;
      }
    }
    // Commands of a queue that failed to drain may still use the call's buffers: free them rather than hand them to
    // the next call (the runtime keeps a buffer alive until the commands using it are done).
    for (long buffer : buffers) {
      if (drained) context.pool.release(buffer);
      else context.pool.discard(buffer);
    }
    buffers.clear();
    completed = drained;
    end(drained);
  }

  /**
   * After {@link #close()}: whether every command of the call was complete (its queue drained). When not, commands
   * may still use buffers the call's caller leased ({@link #lease}): they must be freed, not given back for reuse.
   */
  boolean completed() {
    return completed;
  }
}
