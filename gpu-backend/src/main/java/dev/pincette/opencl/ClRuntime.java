package dev.pincette.opencl;

import static org.lwjgl.opencl.CL10.CL_DEVICE_EXTENSIONS;
import static org.lwjgl.opencl.CL10.CL_DEVICE_GLOBAL_MEM_SIZE;
import static org.lwjgl.opencl.CL10.CL_DEVICE_LOCAL_MEM_SIZE;
import static org.lwjgl.opencl.CL10.CL_DEVICE_MAX_COMPUTE_UNITS;
import static org.lwjgl.opencl.CL10.CL_DEVICE_MAX_MEM_ALLOC_SIZE;
import static org.lwjgl.opencl.CL10.CL_DEVICE_MAX_WORK_GROUP_SIZE;
import static org.lwjgl.opencl.CL10.CL_DEVICE_NAME;
import static org.lwjgl.opencl.CL10.CL_DEVICE_NOT_FOUND;
import static org.lwjgl.opencl.CL10.CL_DEVICE_TYPE;
import static org.lwjgl.opencl.CL10.CL_DEVICE_TYPE_ACCELERATOR;
import static org.lwjgl.opencl.CL10.CL_DEVICE_TYPE_ALL;
import static org.lwjgl.opencl.CL10.CL_DEVICE_TYPE_CPU;
import static org.lwjgl.opencl.CL10.CL_DEVICE_TYPE_GPU;
import static org.lwjgl.opencl.CL10.CL_DEVICE_VENDOR;
import static org.lwjgl.opencl.CL10.CL_DEVICE_VERSION;
import static org.lwjgl.opencl.CL10.CL_DRIVER_VERSION;
import static org.lwjgl.opencl.CL10.CL_PLATFORM_NAME;
import static org.lwjgl.opencl.CL10.clGetDeviceIDs;
import static org.lwjgl.opencl.CL10.clGetDeviceInfo;
import static org.lwjgl.opencl.CL10.clGetPlatformIDs;
import static org.lwjgl.opencl.CL10.clGetPlatformInfo;
import static org.lwjgl.opencl.CL11.CL_DEVICE_HOST_UNIFIED_MEMORY;

import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.lwjgl.PointerBuffer;
import org.lwjgl.opencl.CL;
import org.lwjgl.system.Configuration;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;
import org.lwjgl.system.Platform;
import org.lwjgl.system.linux.DynamicLinkLoader;

/**
 * Loads the OpenCL runtime and lists its devices, once per JVM. Never throws: a missing runtime or driver becomes a
 * one-line reason.
 */
final class ClRuntime {
  /** What discovery found: the devices, or why there are none. */
  record Discovery(List<ClDevice> devices, String failure) {}

  private static Discovery discovery;

  private ClRuntime() {}

  static synchronized Discovery discover() {
    if (discovery == null) discovery = load();
    return discovery;
  }

  /** Loads the runtime and lists its devices, then puts back the JVM's signal handlers they replaced. */
  private static Discovery load() {
    try {
      ClSignals.capture();
      String failure = loadLibrary();
      if (failure != null) return new Discovery(List.of(), failure);
      List<ClDevice> devices = listDevices();
      return devices.isEmpty() ? new Discovery(devices, "the OpenCL runtime reports no devices")
          : new Discovery(List.copyOf(devices), null);
    } catch (RuntimeException | LinkageError e) {
      return new Discovery(List.of(), "OpenCL device discovery failed: " + e.getMessage());
    } finally {
      ClSignals.restore();
    }
  }

  /**
   * Makes LWJGL find the ICD loader. Linux distributions often ship only {@code libOpenCL.so.1} (the {@code .so} link
   * comes with the development package), while LWJGL asks for {@code libOpenCL.so}. Both names are probed with a
   * silent {@code dlopen} before LWJGL's {@code CL} class is touched: a failed load there prints a banner and poisons
   * that class for the whole JVM. A name set by the user ({@code org.lwjgl.opencl.libname}) is used as it is.
   */
  private static String loadLibrary() {
    try {
      if (Configuration.OPENCL_LIBRARY_NAME.get() == null
          && (Platform.get() == Platform.LINUX || Platform.get() == Platform.FREEBSD)) {
        if (!loads("libOpenCL.so")) {
          if (!loads("libOpenCL.so.1")) {
            return "no OpenCL runtime: neither libOpenCL.so nor libOpenCL.so.1 could be loaded";
          }
          Configuration.OPENCL_LIBRARY_NAME.set("libOpenCL.so.1");
        }
      }
      if (CL.getFunctionProvider() == null) CL.create();
      return null;
    } catch (RuntimeException | LinkageError e) {
      return "no OpenCL runtime: " + firstLine(e);
    }
  }

  private static boolean loads(String name) {
    long handle = DynamicLinkLoader.dlopen(name, DynamicLinkLoader.RTLD_LAZY | DynamicLinkLoader.RTLD_LOCAL);
    if (handle == 0) return false;
    DynamicLinkLoader.dlclose(handle);
    return true;
  }

  private static String firstLine(Throwable e) {
    String m = e.getMessage() != null ? e.getMessage() : e.toString();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  private static List<ClDevice> listDevices() {
    List<ClDevice> out = new ArrayList<>();
    try (MemoryStack stack = MemoryStack.stackPush()) {
      IntBuffer count = stack.mallocInt(1);
      int rc = clGetPlatformIDs(null, count);
      if (rc == -1001) return out;
      ClError.check(rc, "clGetPlatformIDs");
      if (count.get(0) == 0) return out;
      PointerBuffer platforms = stack.mallocPointer(count.get(0));
      ClError.check(clGetPlatformIDs(platforms, (IntBuffer) null), "clGetPlatformIDs");
      for (int p = 0; p < platforms.capacity(); p++) {
        long platform = platforms.get(p);
        rc = clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, null, count);
        if (rc == CL_DEVICE_NOT_FOUND || count.get(0) == 0) continue;
        ClError.check(rc, "clGetDeviceIDs");
        PointerBuffer ids = stack.mallocPointer(count.get(0));
        ClError.check(clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, ids, (IntBuffer) null), "clGetDeviceIDs");
        String platformName = platformString(platform, CL_PLATFORM_NAME);
        for (int d = 0; d < ids.capacity(); d++) out.add(describe(platform, platformName, ids.get(d)));
      }
    }
    return out;
  }

  private static ClDevice describe(long platform, String platformName, long id) {
    long type = deviceLong(id, CL_DEVICE_TYPE);
    String typeName = (type & CL_DEVICE_TYPE_GPU) != 0 ? "GPU" : (type & CL_DEVICE_TYPE_CPU) != 0 ? "CPU"
        : (type & CL_DEVICE_TYPE_ACCELERATOR) != 0 ? "ACCELERATOR" : "OTHER";
    String extensions = deviceString(id, CL_DEVICE_EXTENSIONS);
    return new ClDevice(platform, id, platformName, deviceString(id, CL_DEVICE_NAME),
        deviceString(id, CL_DEVICE_VENDOR), typeName, (int) deviceLong(id, CL_DEVICE_MAX_COMPUTE_UNITS),
        deviceLong(id, CL_DEVICE_GLOBAL_MEM_SIZE), deviceLong(id, CL_DEVICE_LOCAL_MEM_SIZE),
        deviceLong(id, CL_DEVICE_MAX_WORK_GROUP_SIZE), deviceLong(id, CL_DEVICE_MAX_MEM_ALLOC_SIZE),
        deviceLong(id, CL_DEVICE_HOST_UNIFIED_MEMORY) != 0, deviceString(id, CL_DRIVER_VERSION),
        deviceString(id, CL_DEVICE_VERSION), Set.copyOf(Arrays.asList(extensions.strip().split("\\s+"))));
  }

  /** An integer property of any width up to 64 bits (cl_uint, cl_bool, size_t, cl_ulong, cl_bitfield). */
  static long deviceLong(long device, int param) {
    try (MemoryStack stack = MemoryStack.stackPush()) {
      ByteBuffer value = stack.calloc(8);
      PointerBuffer size = stack.mallocPointer(1);
      ClError.check(clGetDeviceInfo(device, param, value, size), "clGetDeviceInfo");
      return size.get(0) == 4 ? Integer.toUnsignedLong(value.getInt(0)) : value.getLong(0);
    }
  }

  static String deviceString(long device, int param) {
    try (MemoryStack stack = MemoryStack.stackPush()) {
      PointerBuffer size = stack.mallocPointer(1);
      ClError.check(clGetDeviceInfo(device, param, (ByteBuffer) null, size), "clGetDeviceInfo");
      ByteBuffer value = MemoryUtil.memAlloc((int) size.get(0));
      try {
        ClError.check(clGetDeviceInfo(device, param, value, null), "clGetDeviceInfo");
        return java.nio.charset.StandardCharsets.UTF_8.decode(value).toString().replace("\0", "").strip();
      } finally {
        MemoryUtil.memFree(value);
      }
    }
  }

  private static String platformString(long platform, int param) {
    try (MemoryStack stack = MemoryStack.stackPush()) {
      PointerBuffer size = stack.mallocPointer(1);
      ClError.check(clGetPlatformInfo(platform, param, (ByteBuffer) null, size), "clGetPlatformInfo");
      ByteBuffer value = MemoryUtil.memAlloc((int) size.get(0));
      try {
        ClError.check(clGetPlatformInfo(platform, param, value, null), "clGetPlatformInfo");
        return java.nio.charset.StandardCharsets.UTF_8.decode(value).toString().replace("\0", "").strip();
      } finally {
        MemoryUtil.memFree(value);
      }
    }
  }
}
