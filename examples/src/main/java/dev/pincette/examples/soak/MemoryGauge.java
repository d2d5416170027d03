package dev.pincette.examples.soak;

import dev.pincette.Compute;
import dev.pincette.DeviceInfo;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The memory a process holds outside the Java heap, and on its OpenCL device, at one moment: what the C allocator
 * has handed out (glibc's {@code mallinfo2}: LWJGL's buffers, the OpenCL runtime's objects, compiled kernels), the
 * resident set, direct buffers, the heap in use, and the device buffers the OpenCL backend holds (from
 * {@link Compute#devices()}).
 *
 * @param mallocBytes bytes in use from the C allocator, or -1 where {@code mallinfo2} is missing (not glibc)
 * @param residentBytes the resident set size ({@code VmRSS}), or -1 off Linux
 * @param directBytes bytes of direct {@code ByteBuffer}s
 * @param heapBytes bytes of Java heap in use
 * @param deviceBytes bytes of OpenCL buffers the backend holds (leased or kept for reuse), or -1 without a device
 * @param deviceBuffersLeased buffers in use by a call, a resident matrix or a spatial map (0 once all are closed)
 * @param deviceResidentBytes device bytes of resident matrices
 * @param deviceInHostMemory whether the device's buffers are host memory (PoCL, integrated GPUs): then they are part of
 *     {@code mallocBytes} too
 */
public record MemoryGauge(long mallocBytes, long residentBytes, long directBytes, long heapBytes, long deviceBytes,
    long deviceBuffersLeased, long deviceResidentBytes, boolean deviceInHostMemory) {

  /**
   * Native bytes in use besides the OpenCL backend's pool of device buffers, which keeps idle buffers for reuse up to
   * a quarter of the device's memory (on PoCL that pool is C-allocated host memory).
   */
  public long nativeBesidesDevice() {
    return mallocBytes < 0 ? -1 : mallocBytes - (deviceInHostMemory && deviceBytes > 0 ? deviceBytes : 0);
  }

  /** Reads every figure now, after two garbage collections (so that memory freed by cleaners is counted free). */
  public static MemoryGauge read() {
    for (int i = 0; i < 2; i++) {
      System.gc();
      try {
        Thread.sleep(200);   // the cleaners' thread frees host and device memory of collected handles
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    long direct = 0;
    for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
      if (pool.getName().equals("direct")) direct = pool.getMemoryUsed();
    }
    long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    long deviceBytes = -1, leased = -1, resident = -1;
    boolean inHost = false;
    for (DeviceInfo d : Compute.devices()) {
      String held = d.properties().get("buffer bytes");
      if (d.backend().equals("opencl") && held != null) {
        deviceBytes = Long.parseLong(held);
        leased = Long.parseLong(d.properties().get("buffers leased"));
        resident = Long.parseLong(d.properties().get("resident bytes"));
        inHost = "true".equals(d.properties().get("host-unified memory"));
      }
    }
    return new MemoryGauge(mallocInUse(), rss(), direct, heap, deviceBytes, leased, resident, inHost);
  }

  /** glibc's {@code struct mallinfo2}: ten {@code size_t}; in use = {@code uordblks} (7) + {@code hblkhd} (4). */
  private static final MemoryLayout MALLINFO = MemoryLayout.structLayout(
      MemoryLayout.sequenceLayout(10, ValueLayout.JAVA_LONG));
  private static final MethodHandle MALLINFO2 = mallinfo2();

  @SuppressWarnings("restricted")   // a read-only query of the C allocator; the soak runs with native access
  private static MethodHandle mallinfo2() {
    Linker linker = Linker.nativeLinker();
    return linker.defaultLookup().find("mallinfo2")
        .map(f -> linker.downcallHandle(f, FunctionDescriptor.of(MALLINFO)))
        .orElse(null);
  }

  private static long mallocInUse() {
    if (MALLINFO2 == null) return -1;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment info = (MemorySegment) MALLINFO2.invokeExact((java.lang.foreign.SegmentAllocator) arena);
      return info.getAtIndex(ValueLayout.JAVA_LONG, 7) + info.getAtIndex(ValueLayout.JAVA_LONG, 4);
    } catch (Throwable e) {
      return -1;
    }
  }

  private static long rss() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
      }
    } catch (java.io.IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }

  /** One line per figure: this one, the later one, and the difference. */
  public String compare(MemoryGauge later) {
    StringBuilder s = new StringBuilder();
    line(s, "native (malloc)", mallocBytes, later.mallocBytes);
    if (deviceInHostMemory) line(s, "  less device pool", nativeBesidesDevice(), later.nativeBesidesDevice());
    line(s, "resident set", residentBytes, later.residentBytes);
    line(s, "direct buffers", directBytes, later.directBytes);
    line(s, "java heap used", heapBytes, later.heapBytes);
    line(s, "device pool", deviceBytes, later.deviceBytes);
    line(s, "device resident", deviceResidentBytes, later.deviceResidentBytes);
    if (deviceBuffersLeased >= 0) {
      s.append(String.format(Locale.ROOT, "  %-18s %12d %12d%n", "device leased", deviceBuffersLeased,
          later.deviceBuffersLeased));
    }
    return s.toString();
  }

  private static void line(StringBuilder s, String name, long before, long after) {
    if (before < 0 || after < 0) return;
    s.append(String.format(Locale.ROOT, "  %-18s %9.1f MiB %9.1f MiB %+9.1f MiB%n", name, before / 1048576.0,
        after / 1048576.0, (after - before) / 1048576.0));
  }
}
