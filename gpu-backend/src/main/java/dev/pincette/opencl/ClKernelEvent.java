package dev.pincette.opencl;

import dev.pincette.internal.Jfr;
import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * One kernel launch ({@code jfr print --events dev.pincette.Kernel}): from its enqueue until the host saw it complete,
 * with its run time on the device from OpenCL's profiling. Loaded only when {@link Jfr#AVAILABLE}.
 */
@Name("dev.pincette.Kernel")
@Label("Pincette OpenCL Kernel")
@Category({"Pincette", "OpenCL"})
@Description("One OpenCL kernel: the duration runs from its enqueue until the host saw it complete; Device Time is"
    + " its run on the device")
@StackTrace(false)
final class ClKernelEvent extends jdk.jfr.Event implements ClDeviceEvent {
  @Label("Kernel")
  String kernel;

  @Label("Global Size")
  String globalSize;

  @Label("Local Size")
  String localSize;

  @Label("Device")
  String device;

  @Label("Device Time")
  @Description("The kernel's run on the device (OpenCL profiling); N/A when the device did not time it")
  @Timespan(Timespan.NANOSECONDS)
  long deviceTime;

  @Label("Error")
  @Description("The OpenCL error the kernel ended with, or empty")
  String error;

  /** A begun event for a launch of {@code kernel}, or null while no recording enables kernel events. */
  static ClDeviceEvent start(String kernel, long[] global, long[] local, String device) {
    ClKernelEvent e = new ClKernelEvent();
    if (!e.isEnabled()) return null;
    e.begin();
    e.kernel = kernel;
    e.globalSize = size(global);
    e.localSize = local == null ? "" : size(local);
    e.device = device;
    return e;
  }

  @Override
  public void completed(long deviceNanos, String error) {
    end();
    this.deviceTime = deviceNanos;
    this.error = error;
    commit();
  }

  private static String size(long[] dims) {
    StringBuilder s = new StringBuilder();
    for (long d : dims) s.append(s.isEmpty() ? "" : "x").append(d);
    return s.toString();
  }
}
