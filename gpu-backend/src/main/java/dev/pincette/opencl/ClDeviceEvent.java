package dev.pincette.opencl;

/**
 * A JDK Flight Recorder event of one device command ({@link ClKernelEvent}, {@link ClTransferEvent}), seen through an
 * interface of Pincette's own so that code holding one never names a {@code jdk.jfr} type (a runtime without
 * {@code jdk.jfr} must be able to load that code).
 */
interface ClDeviceEvent {
  /** {@code deviceNanos} when the device's profiling does not know: the command was not timed there. */
  long NOT_TIMED = Long.MIN_VALUE;

  /** Ends and commits the event: the command took {@code deviceNanos} on the device, or failed with {@code error}. */
  void completed(long deviceNanos, String error);
}
