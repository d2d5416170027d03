package dev.pincette.opencl;

import dev.pincette.internal.Jfr;
import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * One host↔device transfer ({@code jfr print --events dev.pincette.Transfer}). A Java array's transfer lasts as long
 * as the host takes with it: a write returns once its last chunk is enqueued, a read once the array holds the data. A
 * DMA of native memory lasts from its enqueue until the host saw it complete, with its time on the device. Loaded only
 * when {@link Jfr#AVAILABLE}.
 */
@Name("dev.pincette.Transfer")
@Label("Pincette OpenCL Transfer")
@Category({"Pincette", "OpenCL"})
@Description("One host-device transfer of an OpenCL call: direction, bytes and path (mapped, staged or dma)")
@StackTrace(false)
final class ClTransferEvent extends jdk.jfr.Event implements ClDeviceEvent {
  @Label("Op")
  String op;

  @Label("Direction")
  @Description("to device, or to host")
  String direction;

  @Label("Bytes")
  @DataAmount
  long bytes;

  @Label("Path")
  @Description("mapped: the device buffer mapped and copied in place (host-unified memory); staged: through pinned"
      + " staging chunks; dma: straight from or to native host memory")
  String path;

  @Label("Device")
  String device;

  @Label("Device Time")
  @Description("The DMA's time on the device (OpenCL profiling); N/A for transfers of Java arrays")
  @Timespan(Timespan.NANOSECONDS)
  long deviceTime;

  @Label("Error")
  @Description("Why the transfer failed, or empty")
  String error;

  /** A begun event for a transfer, or null while no recording enables transfer events. */
  static ClDeviceEvent start(String op, boolean toDevice, long bytes, String path, String device) {
    ClTransferEvent e = new ClTransferEvent();
    if (!e.isEnabled()) return null;
    e.begin();
    e.op = op;
    e.direction = toDevice ? "to device" : "to host";
    e.bytes = bytes;
    e.path = path;
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
}
