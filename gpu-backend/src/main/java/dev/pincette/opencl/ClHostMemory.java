package dev.pincette.opencl;

import static org.lwjgl.opencl.CL10.CL_MAP_READ;
import static org.lwjgl.opencl.CL10.CL_MAP_WRITE;
import static org.lwjgl.opencl.CL10.CL_MEM_ALLOC_HOST_PTR;
import static org.lwjgl.opencl.CL10.CL_MEM_READ_WRITE;
import static org.lwjgl.opencl.CL10.clReleaseMemObject;

import dev.pincette.spi.HostMemory;
import java.lang.foreign.MemorySegment;
import java.nio.IntBuffer;
import org.lwjgl.opencl.CL10;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;

/**
 * Page-locked host memory for a {@code HostMatrix}: a {@code CL_MEM_ALLOC_HOST_PTR} buffer, mapped once for as long
 * as it lives (the same kind of memory as {@link ClQueue}'s staging chunks, which the driver DMAs at the bus's speed).
 * The buffer is only ever used as host memory; products copy from and to its mapped address.
 */
final class ClHostMemory implements HostMemory {
  /** Pinned allocations not yet closed, for leak tests. */
  static final java.util.concurrent.atomic.AtomicInteger LIVE = new java.util.concurrent.atomic.AtomicInteger();

  private final ClContext context;
  private final long buffer;
  private final long address;
  private final MemorySegment segment;

  private ClHostMemory(ClContext context, long buffer, long address, long bytes) {
    this.context = context;
    this.buffer = buffer;
    this.address = address;
    this.segment = MemorySegment.ofAddress(address).reinterpret(bytes);
  }

  /** {@code bytes} (at least 1) of zeroed pinned memory of {@code context}. */
  static ClHostMemory allocate(ClContext context, long bytes) {
    ClFaults.check("clCreateBuffer(hostMatrix)");
    long buffer;
    try (MemoryStack stack = MemoryStack.stackPush()) {
      IntBuffer error = stack.mallocInt(1);
      buffer = CL10.clCreateBuffer(context.handle, CL_MEM_READ_WRITE | CL_MEM_ALLOC_HOST_PTR, bytes, error);
      ClError.checkHandle(buffer, error.get(0), "clCreateBuffer(hostMatrix)");
    }
    try (ClCall call = context.begin("hostMatrix")) {
      long address = call.queue.map(buffer, CL_MAP_READ | CL_MAP_WRITE, bytes, "hostMatrix");
      MemoryUtil.memSet(address, 0, bytes);
      ClHostMemory memory = new ClHostMemory(context, buffer, address, bytes);
      LIVE.incrementAndGet();
      return memory;
    } catch (RuntimeException e) {
      clReleaseMemObject(buffer);
      throw e;
    }
  }

  @Override
  public MemorySegment segment() {
    return segment;
  }

  @Override
  public boolean pinned() {
    return true;
  }

  @Override
  public void close() {
    try {
      context.unmapAndRelease(buffer, address);
    } finally {
      LIVE.decrementAndGet();
    }
  }
}
