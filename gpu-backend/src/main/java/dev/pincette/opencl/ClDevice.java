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
