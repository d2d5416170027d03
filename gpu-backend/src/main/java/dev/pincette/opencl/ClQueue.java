package dev.pincette.opencl;

import static org.lwjgl.opencl.CL10.CL_EVENT_COMMAND_EXECUTION_STATUS;
import static org.lwjgl.opencl.CL10.CL_FALSE;
import static org.lwjgl.opencl.CL10.CL_MAP_READ;
import static org.lwjgl.opencl.CL10.CL_MAP_WRITE;
import static org.lwjgl.opencl.CL10.CL_MEM_ALLOC_HOST_PTR;
import static org.lwjgl.opencl.CL10.CL_MEM_READ_WRITE;
import static org.lwjgl.opencl.CL10.CL_PROFILING_COMMAND_END;
import static org.lwjgl.opencl.CL10.CL_PROFILING_COMMAND_START;
import static org.lwjgl.opencl.CL10.CL_QUEUE_PROFILING_ENABLE;
import static org.lwjgl.opencl.CL10.CL_TRUE;
import static org.lwjgl.opencl.CL10.clCreateCommandQueue;
import static org.lwjgl.opencl.CL10.clCreateKernel;
import static org.lwjgl.opencl.CL10.clEnqueueNDRangeKernel;
import static org.lwjgl.opencl.CL10.clFinish;
import static org.lwjgl.opencl.CL10.clGetEventInfo;
import static org.lwjgl.opencl.CL10.clGetEventProfilingInfo;
import static org.lwjgl.opencl.CL10.clReleaseCommandQueue;
import static org.lwjgl.opencl.CL10.clReleaseMemObject;
import static org.lwjgl.opencl.CL10.clRetainEvent;
import static org.lwjgl.opencl.CL10.clWaitForEvents;
import static org.lwjgl.opencl.CL10.nclEnqueueMapBuffer;
import static org.lwjgl.opencl.CL10.nclEnqueueReadBuffer;
import static org.lwjgl.opencl.CL10.nclEnqueueUnmapMemObject;
import static org.lwjgl.opencl.CL10.nclEnqueueWriteBuffer;
import static org.lwjgl.opencl.CL10.clFlush;
import static org.lwjgl.opencl.CL11.nclEnqueueReadBufferRect;
import static org.lwjgl.opencl.CL11.nclEnqueueWriteBufferRect;
import static org.lwjgl.opencl.CL12.CL_MAP_WRITE_INVALIDATE_REGION;
import static org.lwjgl.opencl.CL12.clEnqueueBarrierWithWaitList;
import static org.lwjgl.opencl.CL12.clEnqueueMarkerWithWaitList;
import static org.lwjgl.opencl.CL12.nclEnqueueFillBuffer;

import dev.pincette.internal.Jfr;
import dev.pincette.spi.BackendException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.IntBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.lwjgl.PointerBuffer;
import org.lwjgl.opencl.CL10;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;

/**
 * An in-order command queue with the kernels and pinned staging memory of its own. A queue serves one call at a
 * time (the {@link ClContext} hands it out), so nothing here is locked.
 *
 * <p>Transfers: on a host-unified device the device buffer itself is mapped and the Java array copied into it, one
 * copy. On a discrete device the array goes through two pinned staging chunks ({@code CL_MEM_ALLOC_HOST_PTR},
 * mapped once): the copy into one chunk overlaps the DMA of the other, and DMA from pinned memory runs at the bus's
 * speed instead of the driver's pageable path.
 */
final class ClQueue implements AutoCloseable {
  /**
   * Bytes per staging chunk: large enough to amortise a DMA launch, small enough to pipeline a 256 MB transfer.
   * {@code pincette.opencl.stagingMb} (1 to 512) overrides the 64 MB default (measured on an H100: 32 MB chunks moved
   * Java arrays at 29 GB/s up and 31 down, 64 MB chunks at 32 and 35).
   */
  static final int STAGING_CHUNK = Math.clamp(Integer.getInteger("pincette.opencl.stagingMb", 64), 1, 512) << 20;

  final long handle;
  private final ClContext context;
  private final Map<String, ClKernel> kernels = new HashMap<>();
  private final long[] stagingBuffer = new long[2];
  private final long[] stagingAddress = new long[2];
  /** The pending transfer through each staging chunk, or 0. */
  private final long[] stagingEvent = new long[2];
  /** The staging chunk the next transfer starts with. */
  private int nextSlot;
  /**
   * Small products ({@link #smallProduct}): a pinned host buffer and a device buffer of {@link #SMALL_BYTES} each,
   * the host one mapped for the queue's life, and their kernel with its buffer argument set; created on first use.
   */
  private long smallHostBuffer;
  private MemorySegment smallHost;
  private long smallDevice;
  private ClKernel smallKernel;
  /** JFR events of commands still running, while a recording enables them. */
  private final ClTrace trace = new ClTrace();

  ClQueue(ClContext context) {
    this.context = context;
    try (MemoryStack stack = MemoryStack.stackPush()) {
      IntBuffer error = stack.mallocInt(1);
      long queue = clCreateCommandQueue(context.handle, context.device.id(), CL_QUEUE_PROFILING_ENABLE, error);
      handle = ClError.checkHandle(queue, error.get(0), "clCreateCommandQueue");
    }
  }

  /** The kernel {@code name} of the program built from {@code resource} with {@code options}. */
  ClKernel kernel(String resource, String options, String name) {
    return kernel(resource, null, options, name);
  }

  /** The kernel {@code name} of generated {@code source}, a program known as {@code program} (see ClProgramCache). */
  ClKernel kernel(String program, String source, String options, String name) {
    String key = program + " " + options + "#" + name;
    ClKernel kernel = kernels.get(key);
    if (kernel == null) {
      long built = context.programs.program(program, source, options);
      try (MemoryStack stack = MemoryStack.stackPush()) {
        IntBuffer error = stack.mallocInt(1);
        long handle = clCreateKernel(built, name, error);
        kernel = new ClKernel(ClError.checkHandle(handle, error.get(0), "clCreateKernel(" + name + ")"), name);
      }
      kernels.put(key, kernel);
    }
    return kernel;
  }

  /** Bytes of operands and result a product may have to take {@link #smallProduct}. */
  static final int SMALL_BYTES = 256 << 10;

  /**
   * {@code a · b} of a small product: both operands copied into pinned memory and written to the device as one
   * transfer, one launch of {@code matmul_small.cl}, one blocking read of the result, with no allocation on the
   * device and no program lookup (after the queue's first). {@code a} ({@code m×k}) and {@code b} ({@code k×n}) are
   * Java arrays or native addresses ({@code Long}); the result goes to {@code c}, a native address, or a new array
   * when {@code c} is null. The caller checks that {@code 4·(m·k + k·n + m·n) ≤ SMALL_BYTES}.
   */
  float[] smallProduct(Object a, Object b, Long c, int m, int k, int n, String op) {
    return smallProduct(a, b, c, m, k, n, op, null);
  }

  /** As above; {@code marks} (or null) receives the time after each step, for {@link ClMatmulBench}. */
  float[] smallProduct(Object a, Object b, Long c, int m, int k, int n, String op, long[] marks) {
    MemorySegment host = smallHost();
    long aBytes = 4L * m * k;
    long operands = aBytes + 4L * k * n;
    long product = 4L * m * n;
    toSmall(a, host, 0, aBytes);
    toSmall(b, host, aBytes, 4L * k * n);
    mark(marks, 0);
    String write = "clEnqueueWriteBuffer(" + op + ")";
    ClFaults.check(write);
    ClDeviceEvent up = Jfr.AVAILABLE ? ClTransferEvent.start(op, true, operands, "staged", context.device.name())
        : null;
    try (MemoryStack stack = MemoryStack.stackPush()) {
      PointerBuffer event = up == null && !ClEventReleases.deferring() ? null : stack.callocPointer(1);
      ClError.check(nclEnqueueWriteBuffer(handle, smallDevice, CL_FALSE, 0, operands, host.address(), 0, 0,
          event == null ? 0 : event.address()), write);
      if (up != null) followOnly(event.get(0), up);
      else if (event != null) ClEventReleases.release(event.get(0));
    }
    mark(marks, 1);
    launch(smallKernel.i32(0, m).i32(1, n).i32(2, k), new long[] {n, m}, null, false);
    mark(marks, 2);
    String read = "clEnqueueReadBuffer(" + op + ")";
    ClFaults.check(read);
    ClDeviceEvent down = Jfr.AVAILABLE ? ClTransferEvent.start(op, false, product, "staged", context.device.name())
        : null;
    try (MemoryStack stack = MemoryStack.stackPush()) {
      PointerBuffer event = down == null && !ClEventReleases.deferring() ? null : stack.callocPointer(1);
      ClError.check(nclEnqueueReadBuffer(handle, smallDevice, CL_TRUE, operands, product, host.address() + operands,
          0, 0, event == null ? 0 : event.address()), read);
      if (down != null) followOnly(event.get(0), down);
      else if (event != null) ClEventReleases.release(event.get(0));
    }
    // The blocking read ended every command of this product (the queue is in order), and no finish follows.
    trace.harvest(false);
    mark(marks, 3);
    float[] out = null;
    if (c != null) {
      MemorySegment.copy(host, operands, MemorySegment.ofAddress(c).reinterpret(product), 0, product);
    } else {
      out = new float[m * n];
      MemorySegment.copy(host, ValueLayout.JAVA_FLOAT, operands, out, 0, out.length);
    }
    mark(marks, 4);
    return out;
  }

  private static void mark(long[] marks, int step) {
    if (marks != null) marks[step] = System.nanoTime();
  }

  private static void toSmall(Object from, MemorySegment host, long offset, long bytes) {
    if (from instanceof float[] array) {
      MemorySegment.copy(array, 0, host, ValueLayout.JAVA_FLOAT, offset, array.length);
    } else {
      MemorySegment.copy(MemorySegment.ofAddress((Long) from).reinterpret(bytes), 0, host, offset, bytes);
    }
  }

  /** The small-product host memory, creating it, the device buffer and the kernel on first use. */
  private MemorySegment smallHost() {
    if (smallHost != null) return smallHost;
    try (MemoryStack stack = MemoryStack.stackPush()) {
      IntBuffer error = stack.mallocInt(1);
      long hostBuffer = CL10.clCreateBuffer(context.handle, CL_MEM_READ_WRITE | CL_MEM_ALLOC_HOST_PTR, SMALL_BYTES,
          error);
      ClError.checkHandle(hostBuffer, error.get(0), "clCreateBuffer(small)");
      long device = CL10.clCreateBuffer(context.handle, CL_MEM_READ_WRITE, SMALL_BYTES, error);
      if (device == 0 || error.get(0) != 0) {
        clReleaseMemObject(hostBuffer);
        ClError.checkHandle(device, error.get(0), "clCreateBuffer(small)");
      }
      long address;
      try {
        address = map(hostBuffer, CL_MAP_READ | CL_MAP_WRITE, SMALL_BYTES, "small");
        smallKernel = kernel("matmul_small.cl", "", "matmul_small").mem(3, device);
      } catch (RuntimeException e) {
        clReleaseMemObject(hostBuffer);
        clReleaseMemObject(device);
        throw e;
      }
      smallHostBuffer = hostBuffer;
      smallDevice = device;
      smallHost = MemorySegment.ofAddress(address).reinterpret(SMALL_BYTES);
    }
    return smallHost;
  }

  /** Enqueues {@code kernel}; returns its event when {@code timed} (the caller releases it), else 0. */
  long launch(ClKernel kernel, long[] global, long[] local, boolean timed) {
    return launch(kernel, null, global, local, timed);
  }

  /** {@link #launch(ClKernel, long[], long[], boolean)} of work items whose global ids start at {@code offset}. */
  long launch(ClKernel kernel, long[] offset, long[] global, long[] local, boolean timed) {
    String call = "clEnqueueNDRangeKernel(" + kernel.name + ")";
    ClFaults.check(call);
    ClDeviceEvent traced = Jfr.AVAILABLE
        ? ClKernelEvent.start(kernel.name, global, local, context.device.name()) : null;
    try (MemoryStack stack = MemoryStack.stackPush()) {
      boolean keep = timed || traced != null;
      PointerBuffer event = keep || ClEventReleases.deferring() ? stack.callocPointer(1) : null;
      ClError.check(clEnqueueNDRangeKernel(handle, kernel.handle, global.length,
          offset == null ? null : stack.pointers(offset), stack.pointers(global),
          local == null ? null : stack.pointers(local), null, event), call);
      if (!keep) {
        if (event != null) ClEventReleases.release(event.get(0));
        return 0;
      }
      if (traced == null) return event.get(0);
      if (timed) {
        follow(event.get(0), traced);
        return event.get(0);
      }
      followOnly(event.get(0), traced);
      return 0;
    }
  }

  /** Like {@link #launch} once {@code waitFor} (events of any queue) are done; returns its event (caller releases). */
  long launchAfter(ClKernel kernel, long[] global, long[] local, long... waitFor) {
    String call = "clEnqueueNDRangeKernel(" + kernel.name + ")";
    ClFaults.check(call);
    ClDeviceEvent traced = Jfr.AVAILABLE
        ? ClKernelEvent.start(kernel.name, global, local, context.device.name()) : null;
    try (MemoryStack stack = MemoryStack.stackPush()) {
      PointerBuffer event = stack.mallocPointer(1);
      ClError.check(clEnqueueNDRangeKernel(handle, kernel.handle, global.length, null, stack.pointers(global),
          local == null ? null : stack.pointers(local), waitFor.length == 0 ? null : stack.pointers(waitFor), event),
          call);
      if (traced != null) follow(event.get(0), traced);
      return event.get(0);
    }
  }

  /** Commits {@code traced} once the command of {@code clEvent} has ended (and the events of those that have). */
  private void follow(long clEvent, ClDeviceEvent traced) {
    trace.harvest(false);
    trace.add(clEvent, traced);
  }

  /** {@link #follow} for a command whose event nobody else wants: the trace keeps the only reference. */
  private void followOnly(long clEvent, ClDeviceEvent traced) {
    follow(clEvent, traced);
    ClEventReleases.release(clEvent);
  }

  /**
   * Enqueues a DMA of {@code rows} rows of {@code rowBytes} bytes, {@code hostPitch} bytes apart in native host memory
   * from {@code address}, into the start of {@code buffer} back to back (a panel of a row-major matrix), without a
   * copy on the host and without waiting. Returns its event (the caller releases it); the host memory must stay valid
   * until the event completes.
   */
  long writeFromHost(long buffer, long address, long rowBytes, long rows, long hostPitch, String op) {
    return rect(true, buffer, address, rowBytes, rows, hostPitch, 0, op);
  }

  /**
   * The inverse of {@link #writeFromHost}, once {@code after} (an event of any queue, or 0) is done: the start of
   * {@code buffer} into rows {@code hostPitch} bytes apart from {@code address}. Returns its event.
   */
  long readIntoHost(long buffer, long address, long rowBytes, long rows, long hostPitch, long after, String op) {
    return rect(false, buffer, address, rowBytes, rows, hostPitch, after, op);
  }

  private long rect(boolean toDevice, long buffer, long address, long rowBytes, long rows, long hostPitch, long after,
      String op) {
    String call = (toDevice ? "clEnqueueWriteBuffer(" : "clEnqueueReadBuffer(") + op + ")";
    ClFaults.check(call);
    ClDeviceEvent traced = Jfr.AVAILABLE
        ? ClTransferEvent.start(op, toDevice, rowBytes * rows, "dma", context.device.name()) : null;
    try (MemoryStack stack = MemoryStack.stackPush()) {
      PointerBuffer event = stack.mallocPointer(1);
      long waits = after == 0 ? 0 : MemoryUtil.memAddress(stack.pointers(after));
      int count = after == 0 ? 0 : 1;
      int rc;
      if (rows == 1 || hostPitch == rowBytes) {
        rc = toDevice
            ? nclEnqueueWriteBuffer(handle, buffer, CL_FALSE, 0, rowBytes * rows, address, count, waits, event.address())
            : nclEnqueueReadBuffer(handle, buffer, CL_FALSE, 0, rowBytes * rows, address, count, waits, event.address());
      } else {
        long origin = MemoryUtil.memAddress(stack.pointers(0, 0, 0));
        long region = MemoryUtil.memAddress(stack.pointers(rowBytes, rows, 1));
        rc = toDevice
            ? nclEnqueueWriteBufferRect(handle, buffer, CL_FALSE, origin, origin, region, rowBytes, 0, hostPitch, 0,
                address, count, waits, event.address())
            : nclEnqueueReadBufferRect(handle, buffer, CL_FALSE, origin, origin, region, rowBytes, 0, hostPitch, 0,
                address, count, waits, event.address());
      }
      ClError.check(rc, call);
      if (traced != null) follow(event.get(0), traced);
      return event.get(0);
    }
  }

  /** Sets {@code bytes} bytes of {@code buffer} to repetitions of the 4-byte {@code pattern}. */
  void fill(long buffer, int pattern, long bytes, String op) {
    String call = "clEnqueueFillBuffer(" + op + ")";
    ClFaults.check(call);
    try (MemoryStack stack = MemoryStack.stackPush()) {
      long event = eventSlot(stack);
      ClError.check(nclEnqueueFillBuffer(handle, buffer, MemoryUtil.memAddress(stack.ints(pattern)), 4, 0, bytes, 0,
          0, event), call);
      dropEvent(event);
    }
  }

  /** Copies {@code bytes} bytes from the start of {@code from} to the start of {@code to}, on the device. */
  void copy(long from, long to, long bytes, String op) {
    String call = "clEnqueueCopyBuffer(" + op + ")";
    ClFaults.check(call);
    if (bytes == 0) return;
    try (MemoryStack stack = MemoryStack.stackPush()) {
      long event = eventSlot(stack);
      ClError.check(org.lwjgl.opencl.CL10.nclEnqueueCopyBuffer(handle, from, to, 0, 0, bytes, 0, 0, event), call);
      dropEvent(event);
    }
  }

  /**
   * Where a command nobody waits on leaves its event: nowhere (0), or while event releases are deferred
   * ({@link ClEventReleases}) a slot on {@code stack} for {@link #dropEvent}, so that the runtime never holds the only
   * reference to a command that fails behind a failed one (PoCL frees such an event in the middle of failing it).
   */
  private static long eventSlot(MemoryStack stack) {
    return ClEventReleases.deferring() ? MemoryUtil.memAddress(stack.callocPointer(1)) : 0;
  }

  /** Gives up the event {@link #eventSlot} received, once its command is enqueued. */
  private static void dropEvent(long slot) {
    if (slot != 0) ClEventReleases.release(MemoryUtil.memGetAddress(slot));
  }

  /** Copies {@code count} elements of a {@code float[]} or {@code int[]} from {@code from} into {@code buffer}. */
  void write(long buffer, Object array, int from, int count, String op) {
    write(buffer, ClHostSpan.of(array, from, count), op);
  }

  /**
   * Copies {@code rows} rows of {@code rowLength} floats, {@code rowStride} apart in {@code array} from {@code from},
   * into {@code buffer} as one contiguous block: a column panel of a row-major matrix.
   */
  void writeRows(long buffer, float[] array, int from, int rowLength, int rowStride, int rows, String op) {
    write(buffer, ClHostSpan.rows(array, from, rowLength, rowStride, rows), op);
  }

  /** The inverse of {@link #writeRows}: a contiguous block of {@code buffer} scattered into rows of {@code array}. */
  void readRows(long buffer, float[] array, int from, int rowLength, int rowStride, int rows, String op) {
    read(buffer, ClHostSpan.rows(array, from, rowLength, rowStride, rows), op);
  }

  /**
   * Copies {@code pieces} (each {@code pieceLength} floats) into {@code buffer} back to back, in as few DMAs as the
   * staging chunks allow: many small operands cost one transfer, not a round trip each.
   */
  void writePieces(long buffer, float[][] pieces, int pieceLength, String op) {
    write(buffer, ClHostSpan.pieces(pieces, pieceLength), op);
  }

  /** The inverse of {@link #writePieces}: {@code buffer}'s floats split into {@code pieces} of equal length. */
  void readPieces(long buffer, float[][] pieces, int pieceLength, String op) {
    read(buffer, ClHostSpan.pieces(pieces, pieceLength), op);
  }

  /** Copies {@code span} into the start of {@code buffer}: mapped in place, or through the staging chunks. */
  void write(long buffer, ClHostSpan span, String op) {
    ClDeviceEvent traced = Jfr.AVAILABLE && span.length() > 0 ? ClTransferEvent.start(op, true, span.bytes(),
        context.staged ? "staged" : "mapped", context.device.name()) : null;
    if (traced == null) writeSpan(buffer, span, op);
    else traced(traced, () -> writeSpan(buffer, span, op));
  }

  private void writeSpan(long buffer, ClHostSpan span, String op) {
    long total = span.length();
    if (total == 0) return;
    String call = "clEnqueueWriteBuffer(" + op + ")";
    ClFaults.check(call);
    long size = span.elementBytes();
    if (!context.staged) {
      mapped(buffer, CL_MAP_WRITE_INVALIDATE_REGION, size * total, op,
          address -> span.toNative(context.copyPool, 0, Math.toIntExact(total), address));
      return;
    }
    int chunk = chunkElements(span);
    for (long done = 0; done < total; done += chunk) {
      int slot = takeSlot();
      int n = (int) Math.min(chunk, total - done);
      awaitStaging(slot);
      span.toNative(context.copyPool, done, n, stagingAddress(slot));
      try (MemoryStack stack = MemoryStack.stackPush()) {
        PointerBuffer event = stack.mallocPointer(1);
        ClError.check(nclEnqueueWriteBuffer(handle, buffer, CL_FALSE, size * done, size * n, stagingAddress[slot], 0,
            0, event.address()), call);
        stagingEvent[slot] = event.get(0);
      }
    }
  }

  /**
   * Copies the start of {@code buffer} into {@code span}, waiting for it: mapped in place, or through the staging
   * chunks, the DMA of the next chunk overlapping the copy out of this one.
   */
  void read(long buffer, ClHostSpan span, String op) {
    ClDeviceEvent traced = Jfr.AVAILABLE && span.length() > 0 ? ClTransferEvent.start(op, false, span.bytes(),
        context.staged ? "staged" : "mapped", context.device.name()) : null;
    if (traced == null) readSpan(buffer, span, op);
    else traced(traced, () -> readSpan(buffer, span, op));
  }

  /** Runs a transfer of Java arrays and commits its event: the host's time, not timed on the device. */
  private static void traced(ClDeviceEvent event, Runnable transfer) {
    try {
      transfer.run();
    } catch (RuntimeException e) {
      event.completed(ClDeviceEvent.NOT_TIMED, String.valueOf(e.getMessage()));
      throw e;
    }
    event.completed(ClDeviceEvent.NOT_TIMED, "");
  }

  private void readSpan(long buffer, ClHostSpan span, String op) {
    long total = span.length();
    if (total == 0) return;
    String call = "clEnqueueReadBuffer(" + op + ")";
    ClFaults.check(call);
    int size = span.elementBytes();
    if (!context.staged) {
      mapped(buffer, CL_MAP_READ, (long) size * total, op,
          address -> span.toHeap(context.copyPool, address, 0, Math.toIntExact(total)));
      return;
    }
    int chunk = chunkElements(span);
    int chunks = (int) ((total + chunk - 1) / chunk);
    int first = takeSlot();
    enqueueRead(buffer, 0, (int) Math.min(chunk, total), size, first, call);
    for (int c = 0; c < chunks; c++) {
      long done = (long) c * chunk;
      int slot = (first + c) & 1;
      if (c + 1 < chunks) {
        long next = done + chunk;
        enqueueRead(buffer, next, (int) Math.min(chunk, total - next), size, takeSlot(), call);
      }
      awaitStaging(slot);
      span.toHeap(context.copyPool, stagingAddress[slot], done, (int) Math.min(chunk, total - done));
    }
  }

  /** Elements per staging chunk for {@code span}: whole units (rows) only. */
  private static int chunkElements(ClHostSpan span) {
    int unit = span.unit();
    if ((long) span.elementBytes() * unit > STAGING_CHUNK) {
      throw new IllegalArgumentException("rows of " + unit + " floats exceed a staging chunk");
    }
    return STAGING_CHUNK / span.elementBytes() / unit * unit;
  }

  /** Enqueues a marker; returns its event (the caller releases it), complete when everything before it is. */
  long marker() {
    try (MemoryStack stack = MemoryStack.stackPush()) {
      PointerBuffer event = stack.mallocPointer(1);
      ClError.check(clEnqueueMarkerWithWaitList(handle, null, event), "clEnqueueMarkerWithWaitList");
      return event.get(0);
    }
  }

  /** Makes later commands of this queue wait for {@code events} (of any queue of the context). */
  void waitFor(long... events) {
    try (MemoryStack stack = MemoryStack.stackPush()) {
      PointerBuffer event = ClEventReleases.deferring() ? stack.callocPointer(1) : null;
      ClError.check(clEnqueueBarrierWithWaitList(handle, stack.pointers(events), event),
          "clEnqueueBarrierWithWaitList");
      if (event != null) ClEventReleases.release(event.get(0));
    }
  }

  /** Submits what is enqueued so the device starts on it without waiting for a later blocking call. */
  void flush() {
    ClFaults.check("clFlush");
    ClError.check(clFlush(handle), "clFlush");
  }

  /** Copies {@code count} elements from the start of {@code buffer} into a {@code float[]} or {@code int[]}. */
  void read(long buffer, Object array, int from, int count, String op) {
    read(buffer, ClHostSpan.of(array, from, count), op);
  }

  private void enqueueRead(long buffer, long offset, int n, int size, int slot, String call) {
    awaitStaging(slot);
    long address = stagingAddress(slot);
    try (MemoryStack stack = MemoryStack.stackPush()) {
      PointerBuffer event = stack.mallocPointer(1);
      ClError.check(nclEnqueueReadBuffer(handle, buffer, CL_FALSE, size * offset, (long) size * n, address, 0, 0,
          event.address()), call);
      stagingEvent[slot] = event.get(0);
    }
  }

  /**
   * Maps {@code bytes} of {@code buffer}, runs {@code copy} on the host address, unmaps and waits for the unmap, under
   * the context's lock for that buffer: several queues may read one resident buffer at once, and an unmap of one
   * mapping invalidated another's on PoCL.
   */
  private void mapped(long buffer, long flags, long bytes, String op, java.util.function.LongConsumer copy) {
    java.util.concurrent.locks.ReentrantLock lock = context.mapLock(buffer);
    lock.lock();
    try {
      long address = map(buffer, flags, bytes, op);
      try {
        copy.accept(address);
      } finally {
        try (MemoryStack stack = MemoryStack.stackPush()) {
          PointerBuffer event = stack.mallocPointer(1);
          String call = "clEnqueueUnmapMemObject(" + op + ")";
          ClError.check(nclEnqueueUnmapMemObject(handle, buffer, address, 0, 0, event.address()), call);
          try {
            ClError.check(clWaitForEvents(event.get(0)), "clWaitForEvents(" + call + ")");
          } finally {
            ClEventReleases.release(event.get(0));
          }
        }
      }
    } finally {
      lock.unlock();
    }
  }

  long map(long buffer, long flags, long bytes, String op) {
    String call = "clEnqueueMapBuffer(" + op + ")";
    try (MemoryStack stack = MemoryStack.stackPush()) {
      IntBuffer error = stack.mallocInt(1);
      long address = nclEnqueueMapBuffer(handle, buffer, CL_TRUE, flags, 0, bytes, 0, 0, 0,
          MemoryUtil.memAddress(error));
      return ClError.checkHandle(address, error.get(0), call);
    }
  }

  void unmap(long buffer, long address, String op) {
    try (MemoryStack stack = MemoryStack.stackPush()) {
      long event = eventSlot(stack);
      ClError.check(nclEnqueueUnmapMemObject(handle, buffer, address, 0, 0, event),
          "clEnqueueUnmapMemObject(" + op + ")");
      dropEvent(event);
    }
  }

  /**
   * The staging chunk for the next transfer: the two alternate across transfers too, so that one call's second
   * small upload does not wait for the DMA of its first (a round trip of 20 µs or more on a discrete GPU).
   */
  private int takeSlot() {
    int slot = nextSlot;
    nextSlot ^= 1;
    return slot;
  }

  /** The host address of staging chunk {@code slot}, created and mapped on first use. */
  private long stagingAddress(int slot) {
    if (stagingBuffer[slot] == 0) {
      long buffer;
      try (MemoryStack stack = MemoryStack.stackPush()) {
        IntBuffer error = stack.mallocInt(1);
        buffer = CL10.clCreateBuffer(context.handle, CL_MEM_READ_WRITE | CL_MEM_ALLOC_HOST_PTR, STAGING_CHUNK, error);
        ClError.checkHandle(buffer, error.get(0), "clCreateBuffer(staging)");
      }
      try {
        stagingAddress[slot] = map(buffer, CL_MAP_READ | CL_MAP_WRITE, STAGING_CHUNK, "staging");
      } catch (RuntimeException e) {
        clReleaseMemObject(buffer);
        throw e;
      }
      stagingBuffer[slot] = buffer;
    }
    return stagingAddress[slot];
  }

  private void awaitStaging(int slot) {
    long event = stagingEvent[slot];
    if (event == 0) return;
    stagingEvent[slot] = 0;
    try {
      ClError.check(clWaitForEvents(event), "clWaitForEvents(staging)");
    } finally {
      ClEventReleases.release(event);
    }
  }

  /**
   * Nanoseconds for {@code chunks} staging-chunk DMAs into (or out of) {@code buffer}, which must hold one chunk,
   * without any copy on the host: the bus's share of a transfer, for {@link ClBench}.
   */
  long pinnedDmaNanos(long buffer, int chunks, boolean toDevice) {
    String call = toDevice ? "clEnqueueWriteBuffer(dma)" : "clEnqueueReadBuffer(dma)";
    stagingAddress(0);
    stagingAddress(1);
    finish();
    long start = System.nanoTime();
    for (int c = 0; c < chunks; c++) {
      long host = stagingAddress[c & 1];
      int rc = toDevice ? nclEnqueueWriteBuffer(handle, buffer, CL_FALSE, 0, STAGING_CHUNK, host, 0, 0, 0)
          : nclEnqueueReadBuffer(handle, buffer, CL_FALSE, 0, STAGING_CHUNK, host, 0, 0, 0);
      ClError.check(rc, call);
    }
    finish();
    return System.nanoTime() - start;
  }

  /** Waits for everything enqueued here, including pending staging transfers; {@code op} names it in errors. */
  void finish(String op) {
    int rc = clFinish(handle);
    for (int slot = 0; slot < 2; slot++) {
      if (stagingEvent[slot] != 0) {
        ClEventReleases.release(stagingEvent[slot]);
        stagingEvent[slot] = 0;
      }
    }
    trace.harvest(true);
    String call = "clFinish(" + op + ")";
    ClError.check(rc, call);
    ClFaults.check(call);
  }

  /** Waits for everything enqueued here, including pending staging transfers. */
  void finish() {
    finish("queue");
  }

  /** Waits for {@code event}. */
  static void await(long event) {
    ClError.check(clWaitForEvents(event), "clWaitForEvents");
  }

  /**
   * The execution status of {@code event} now, without waiting: {@code CL_COMPLETE} (0), a positive value while it
   * runs, or a negative error code when its command failed.
   */
  static int status(long event) {
    try (MemoryStack stack = MemoryStack.stackPush()) {
      var value = stack.mallocInt(1);
      ClError.check(clGetEventInfo(event, CL_EVENT_COMMAND_EXECUTION_STATUS, value, null), "clGetEventInfo");
      return value.get(0);
    }
  }

  /**
   * Waits for {@code events}; whether all their commands succeeded (a failure of the wait itself counts as theirs).
   */
  static boolean succeeded(long[] events, String op) {
    try {
      for (long event : events) await(event);
      ClFaults.check("clWaitForEvents(" + op + ")");
      for (long event : events) {
        if (status(event) != 0) return false;
      }
      return true;
    } catch (BackendException e) {
      return false;
    }
  }

  /** A user event of {@code context}, for {@link ClFaults}: complete it with {@link #fail}. */
  static long userEvent(long context) {
    try (MemoryStack stack = MemoryStack.stackPush()) {
      IntBuffer error = stack.mallocInt(1);
      return ClError.checkHandle(org.lwjgl.opencl.CL11.clCreateUserEvent(context, error), error.get(0),
          "clCreateUserEvent");
    }
  }

  /**
   * A user event for fault injection ({@link ClFaults}), which a command waits on and which then fails. It keeps a
   * reference that is never released: PoCL 3.1 frees a user event with the application's last reference while the
   * commands waiting on it still use it (pocl/pocl#1431; a 10-minute soak with injected failures aborted in
   * pocl_update_event_failed). Only tests and the soak create these, one per injected failure; from the first one on,
   * every event reference is given up a second late ({@link ClEventReleases}), for the commands failing behind it.
   */
  static long failingUserEvent(long context) {
    ClEventReleases.deferFromNowOn();
    long event = userEvent(context);
    retain(event);
    return event;
  }

  /** Completes a user event with an error: the commands waiting on it fail, on runtimes that spread failures. */
  static void fail(long userEvent) {
    org.lwjgl.opencl.CL11.clSetUserEventStatus(userEvent, org.lwjgl.opencl.CL10.CL_OUT_OF_RESOURCES);
  }

  static void retain(long... events) {
    for (long e : events) {
      if (e != 0) clRetainEvent(e);
    }
  }

  /**
   * Waits for every non-zero event of {@code events}: throws if any command among them failed, which a queue's finish
   * does not report (a failed command lets commands waiting on it skip or run on garbage).
   */
  static void awaitAll(List<Long> events, String op) {
    if (events.isEmpty()) return;
    try (MemoryStack stack = MemoryStack.stackPush()) {
      PointerBuffer list = stack.mallocPointer(events.size());
      for (long e : events) list.put(e);
      ClError.check(clWaitForEvents(list.flip()), "clWaitForEvents(" + op + ")");
    }
    // Where a command that failed on the device shows: ClFaults makes one fail here after the fact.
    ClFaults.check("clWaitForEvents(" + op + ")");
  }

  /** Releases every non-zero event of {@code events}. */
  static void release(long... events) {
    for (long e : events) {
      ClEventReleases.release(e);
    }
  }

  /** Device time between the start and end of {@code event}'s command, in nanoseconds; releases the event. */
  static long elapsedNanos(long event) {
    return spanNanos(event, event);
  }

  /** Device time from the start of {@code first}'s command to the end of {@code last}'s; releases the events. */
  static long spanNanos(long first, long last) {
    try (MemoryStack stack = MemoryStack.stackPush()) {
      ClError.check(clWaitForEvents(last), "clWaitForEvents");
      var start = stack.mallocLong(1);
      var end = stack.mallocLong(1);
      ClError.check(clGetEventProfilingInfo(first, CL_PROFILING_COMMAND_START, start, null), "clGetEventProfilingInfo");
      ClError.check(clGetEventProfilingInfo(last, CL_PROFILING_COMMAND_END, end, null), "clGetEventProfilingInfo");
      return end.get(0) - start.get(0);
    } finally {
      ClEventReleases.release(first);
      if (last != first) ClEventReleases.release(last);
    }
  }

  @Override
  public void close() {
    clFinish(handle);
    trace.harvest(true);
    for (int slot = 0; slot < 2; slot++) {
      ClEventReleases.release(stagingEvent[slot]);
      if (stagingBuffer[slot] != 0) {
        nclEnqueueUnmapMemObject(handle, stagingBuffer[slot], stagingAddress[slot], 0, 0, 0);
        clFinish(handle);
        clReleaseMemObject(stagingBuffer[slot]);
      }
    }
    if (smallHost != null) {
      nclEnqueueUnmapMemObject(handle, smallHostBuffer, smallHost.address(), 0, 0, 0);
      clFinish(handle);
      clReleaseMemObject(smallHostBuffer);
      clReleaseMemObject(smallDevice);
    }
    for (ClKernel kernel : kernels.values()) kernel.close();
    kernels.clear();
    clReleaseCommandQueue(handle);
  }
}
