package dev.pincette.opencl;

import dev.pincette.DeviceInfo;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One OpenCL device as discovered: its handles and the limits the kernels are sized from. Immutable; the handles are
 * owned by the driver (devices and platforms are never released).
 */
record ClDevice(
    long platform, long id, String platformName, String name, String vendor, String type, int computeUnits,
    long globalMemory, long localMemory, long maxWorkGroupSize, long maxAllocation, boolean hostUnified,
    String driverVersion, String openclVersion, Set<String> extensions) {

  boolean isGpu() {
    return type.equals("GPU");
  }

  /** Whether the device computes in float64, which the spatial kernels and the fp64 reductions need. */
  boolean fp64() {
    return extensions.contains("cl_khr_fp64");
  }

  /** CL_FP_DENORM in CL_DEVICE_SINGLE_FP_CONFIG. */
  static final long FP_DENORM = 1;
  /** CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT in CL_DEVICE_SINGLE_FP_CONFIG. */
  static final long FP_CORRECTLY_ROUNDED_DIVIDE_SQRT = 1 << 7;

  /**
   * The device's CL_DEVICE_SINGLE_FP_CONFIG, or 0 when it cannot be read. OpenCL 1.2 requires only round to nearest
   * and infinities and NaNs of float; denormals ({@link #FP_DENORM}) and correctly rounded division and square root
   * are optional (a device without denormals flushes them to zero).
   */
  long singleFpConfig() {
    try (org.lwjgl.system.MemoryStack stack = org.lwjgl.system.MemoryStack.stackPush()) {
      var value = stack.mallocLong(1);
      return org.lwjgl.opencl.CL10.clGetDeviceInfo(id, org.lwjgl.opencl.CL10.CL_DEVICE_SINGLE_FP_CONFIG, value, null)
          == 0 ? value.get(0) : 0;
    }
  }

  /** What a compiled program depends on besides its source: the device and the driver that built it. */
  String buildIdentity() {
    return platformName + "|" + name + "|" + vendor + "|" + driverVersion + "|" + openclVersion;
  }

  /** What users see of the device; {@code fp64} whether the backend uses float64 on it. */
  DeviceInfo info(boolean available, String reason, boolean fp64) {
    Map<String, String> props = new LinkedHashMap<>();
    props.put("vendor", vendor);
    props.put("platform", platformName);
    props.put("compute units", Integer.toString(computeUnits));
    props.put("global memory", bytes(globalMemory));
    props.put("local memory", bytes(localMemory));
    props.put("max allocation", bytes(maxAllocation));
    props.put("max work-group size", Long.toString(maxWorkGroupSize));
    props.put("host-unified memory", Boolean.toString(hostUnified));
    props.put("fp64", fp64 ? "true" : fp64() ? "false (switched off by pincette.opencl.fp64=false)" : "false");
    long fp = singleFpConfig();
    props.put("float denormals", (fp & FP_DENORM) != 0 ? "kept, as Java keeps them"
        : "flushed to zero (kernels' float results differ from the CPU's where a denormal appears)");
    props.put("float divide and sqrt", (fp & FP_CORRECTLY_ROUNDED_DIVIDE_SQRT) != 0 ? "correctly rounded"
        : fp64 ? "correctly rounded through double" : "within OpenCL's 2.5 and 3 ulp");
    props.put("driver", driverVersion);
    props.put("opencl", openclVersion);
    return new DeviceInfo("opencl", name, type, available, reason, props);
  }

  static String bytes(long bytes) {
    if (bytes >= 1L << 30) return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    if (bytes >= 1L << 20) return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
    return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
  }
}
