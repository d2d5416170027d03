package dev.pincette.opencl;

/** Host↔device transfer timing through the same path the ops use; for the cost model and {@link ClBench}. */
final class ClTransfers {
  private ClTransfers() {}

  /** Nanoseconds to upload {@code data} into {@code buffer} (the call's queue drained at the end). */
  static long uploadNanos(ClCall call, long buffer, float[] data) {
    long start = System.nanoTime();
    call.queue.write(buffer, data, 0, data.length, call.op);
    call.queue.finish();
    return System.nanoTime() - start;
  }

  /** Nanoseconds to download {@code data.length} floats from {@code buffer} into {@code data}. */
  static long downloadNanos(ClCall call, long buffer, float[] data) {
    long start = System.nanoTime();
    call.queue.read(buffer, data, 0, data.length, call.op);
    return System.nanoTime() - start;
  }

  /** Bytes per second of one 64 MB upload and download after a warm-up, counting both directions. */
  static double measureRoundTrip(ClContext context) {
    float[] data = new float[16 << 20];
    try (ClCall call = context.begin("transfer.measure")) {
      long buffer = call.buffer(4L * data.length);
      uploadNanos(call, buffer, data);
      downloadNanos(call, buffer, data);
      long nanos = uploadNanos(call, buffer, data) + downloadNanos(call, buffer, data);
      return 2.0 * 4 * data.length / (nanos * 1e-9);
    }
  }
}
