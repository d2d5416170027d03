package dev.pincette.opencl;

import java.nio.ByteBuffer;

/**
 * Sum, dot, min, max, argmin and argmax on the device ({@code reduce.cl}): work-group partials, then one work-group
 * over the partials. Sums accumulate in double on devices with {@code cl_khr_fp64}, else as compensated float pairs.
 */
final class ClReduce {
  private static final String SOURCE = "reduce.cl";
  /** Work-items per group: a power of two that every device we target supports. */
  private static final int GROUP = 256;
  /** Groups per compute unit: enough to hide memory latency, few enough for a one-group final pass. */
  private static final int GROUPS_PER_UNIT = 8;
  private static final int MAX_GROUPS = 1024;

  private final String options;
  private final boolean fp64;

  /** {@code useFp64} selects the double accumulator; it needs {@code cl_khr_fp64}. */
  ClReduce(boolean useFp64) {
    this(useFp64, 2);
  }

  /** {@code sumLoads}: loads in flight per work-item in a sum (1 or 2; see {@code reduce.cl}), for benchmarks. */
  ClReduce(boolean useFp64, int sumLoads) {
    this.fp64 = useFp64;
    this.options = (useFp64 ? "-DUSE_FP64 " : "") + "-DSUM_LOADS=" + sumLoads;
  }

  /** The build options of {@code reduce.cl} for this accumulator. */
  String options() {
    return options;
  }

  double sum(ClContext context, float[] x) {
    if (x.length == 0) return 0;
    try (ClCall call = context.begin("sum")) {
      long input = call.upload(x);
      return sumOnDevice(call, input, x.length);
    }
  }

  /** The sum of {@code n} floats already in {@code input}. */
  double sumOnDevice(ClCall call, long input, long n) {
    return result(call, enqueueSum(call, input, n, false).out);
  }

  /** Device nanoseconds of both passes of a sum of {@code input}, from profiling events; for benchmarks. */
  long sumKernelNanos(ClCall call, long input, long n) {
    Passes passes = enqueueSum(call, input, n, true);
    return ClQueue.spanNanos(passes.first, passes.last);
  }

  /** The 8-byte result buffer of a two-pass reduction, and its kernels' events when timed (else 0). */
  private record Passes(long out, long first, long last) {}

  private Passes enqueueSum(ClCall call, long input, long n, boolean timed) {
    int groups = groups(call, n);
    int group = groupSize(call);
    long partials = call.buffer(8L * groups);
    ClKernel kernel = call.kernel(SOURCE, options, "sum_partials")
        .mem(0, input).i64(1, n).mem(2, partials).local(3, 8L * group);
    long first = call.queue.launch(kernel, new long[] {(long) groups * group}, new long[] {group}, timed);
    return finalPass(call, partials, groups, group, first, timed);
  }

  double dot(ClContext context, float[] x, float[] y) {
    if (x.length == 0) return 0;
    try (ClCall call = context.begin("dot")) {
      long a = call.upload(x);
      long b = call.upload(y);
      int groups = groups(call, x.length);
      int group = groupSize(call);
      long partials = call.buffer(8L * groups);
      ClKernel kernel = call.kernel(SOURCE, options, "dot_partials")
          .mem(0, a).mem(1, b).i64(2, x.length).mem(3, partials).local(4, 8L * group);
      call.launch(kernel, new long[] {(long) groups * group}, new long[] {group});
      return finish(call, partials, groups, group);
    }
  }

  private double finish(ClCall call, long partials, int groups, int group) {
    return result(call, finalPass(call, partials, groups, group, 0, false).out);
  }

  /** Enqueues the one-group pass over the partials. */
  private Passes finalPass(ClCall call, long partials, int groups, int group, long first, boolean timed) {
    long out = call.buffer(8);
    ClKernel kernel = call.kernel(SOURCE, options, "sum_final")
        .mem(0, partials).i32(1, groups).mem(2, out).local(3, 8L * group);
    long last = call.queue.launch(kernel, new long[] {group}, new long[] {group}, timed);
    return new Passes(out, first, last);
  }

  /** Reads a sum's 8 bytes: a double, or a float pair (hi, lo) without fp64. */
  private double result(ClCall call, long out) {
    ByteBuffer result = call.readSmall(out, 0, 8);
    if (fp64) return result.getDouble(0);
    double hi = result.getFloat(0);
    return Double.isFinite(hi) ? hi + result.getFloat(4) : hi;
  }

  float min(ClContext context, float[] x) {
    return extreme(context, "min", x);
  }

  float max(ClContext context, float[] x) {
    return extreme(context, "max", x);
  }

  private float extreme(ClContext context, String name, float[] x) {
    try (ClCall call = context.begin(name)) {
      long input = call.upload(x);
      int groups = groups(call, x.length);
      int group = groupSize(call);
      long partials = call.buffer(4L * groups);
      ClKernel first = call.kernel(SOURCE, options, name + "_partials")
          .mem(0, input).i64(1, x.length).mem(2, partials).local(3, 4L * group);
      call.launch(first, new long[] {(long) groups * group}, new long[] {group});
      long out = call.buffer(4);
      ClKernel last = call.kernel(SOURCE, options, name + "_final")
          .mem(0, partials).i32(1, groups).mem(2, out).local(3, 4L * group);
      call.launch(last, new long[] {group}, new long[] {group});
      return call.readSmall(out, 0, 4).getFloat(0);
    }
  }

  int argmin(ClContext context, float[] x) {
    return arg(context, "argmin", x);
  }

  int argmax(ClContext context, float[] x) {
    return arg(context, "argmax", x);
  }

  private int arg(ClContext context, String name, float[] x) {
    try (ClCall call = context.begin(name)) {
      long input = call.upload(x);
      int groups = groups(call, x.length);
      int group = groupSize(call);
      long values = call.buffer(4L * groups);
      long indices = call.buffer(4L * groups);
      ClKernel first = call.kernel(SOURCE, options, name + "_partials").mem(0, input).i64(1, x.length)
          .mem(2, values).mem(3, indices).local(4, 4L * group).local(5, 4L * group);
      call.launch(first, new long[] {(long) groups * group}, new long[] {group});
      long out = call.buffer(4);
      ClKernel last = call.kernel(SOURCE, options, name + "_final").mem(0, values).mem(1, indices)
          .i32(2, groups).mem(3, out).local(4, 4L * group).local(5, 4L * group);
      call.launch(last, new long[] {group}, new long[] {group});
      return call.readInt(out, 0);
    }
  }

  private static int groupSize(ClCall call) {
    return (int) Math.min(GROUP, Long.highestOneBit(call.device().maxWorkGroupSize()));
  }

  private static int groups(ClCall call, long n) {
    long wanted = (n + 16L * GROUP - 1) / (16L * GROUP);
    long cap = Math.min(MAX_GROUPS, Math.max(1, (long) call.device().computeUnits() * GROUPS_PER_UNIT));
    return (int) Math.max(1, Math.min(wanted, cap));
  }
}
