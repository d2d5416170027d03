package dev.pincette.opencl;

import static org.lwjgl.opencl.CL10.CL_PROFILING_COMMAND_END;
import static org.lwjgl.opencl.CL10.CL_PROFILING_COMMAND_START;
import static org.lwjgl.opencl.CL10.clGetEventProfilingInfo;
import static org.lwjgl.opencl.CL10.clWaitForEvents;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.Precision;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.lwjgl.system.MemoryStack;

/**
 * {@link ClBench}'s matrix-product parts. Device-resident products in each precision and shape, every block shape
 * with {@code --tiles} (float32 blocks from {@code pincette.opencl.matmulTiles}, tensor-core ones from
 * {@code pincette.opencl.mmaShapes}), timed by profiling events: a relaxed product from the first packing pass's start
 * to the kernel's end, and the kernel alone; each checked on sampled elements against float64 dot products. And small
 * host-array products end to end, with where their time goes. Lines starting {@code RESULT} are for scripts.
 */
final class ClMatmulBench {
  private final int repeats;
  private final boolean allShapes;

  ClMatmulBench(int repeats, boolean allShapes) {
    this.repeats = repeats;
    this.allShapes = allShapes;
  }

  /** Parses {@code N} (a square) or {@code MxKxN}. */
  static int[] shape(String spec) {
    String[] parts = spec.strip().split("x");
    if (parts.length == 1) {
      int n = Integer.parseInt(parts[0]);
      return new int[] {n, n, n};
    }
    if (parts.length != 3) throw new IllegalArgumentException("shape: N or MxKxN, got " + spec);
    return new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), Integer.parseInt(parts[2])};
  }

  static String name(int[] s) {
    return s[0] + "x" + s[1] + "x" + s[2];
  }

  /** Device-resident {@code m×k · k×n} in {@code precision} with each block shape it may use. */
  void product(ClContext context, ClMatmul matmul, Precision precision, int[] shape) {
    int m = shape[0];
    int k = shape[1];
    int n = shape[2];
    float[] a = random(m * k, 1);
    float[] b = random(k * n, 2);
    double flops = 2.0 * m * k * n;
    try (ClCall call = context.begin("bench.matmul")) {
      long da = call.upload(a);
      long db = call.upload(b);
      long dc = call.buffer(4L * m * n);
      if (precision == Precision.FP32) {
        List<ClMatmul.Tile> tiles = allShapes ? matmul.usableTiles() : List.of(matmul.choose(context, 1, m, k, n));
        for (ClMatmul.Tile tile : tiles) {
          double[] kernel = new double[repeats];
          ClQueue.elapsedNanos(ClMatmul.launch(call, tile, da, db, dc, 1, m, k, n, true));
          for (int r = 0; r < repeats; r++) {
            kernel[r] = ClQueue.elapsedNanos(ClMatmul.launch(call, tile, da, db, dc, 1, m, k, n, true)) * 1e-9;
          }
          report(precision, shape, tile.toString(), median(kernel), median(kernel), flops,
              check(call, dc, a, b, m, k, n, precision));
        }
        return;
      }
      List<ClMatmulMma.Shape> shapes = matmul.mma.shapes(context, precision);
      if (shapes.isEmpty()) {
        System.out.println("matmul " + precision.id() + " " + name(shape) + ": no tensor cores on this device");
        return;
      }
      if (!allShapes) shapes = List.of(matmul.mma.choose(context, precision, 1, m, n));
      for (ClMatmulMma.Shape s : shapes) {
        double[] total = new double[repeats];
        double[] kernel = new double[repeats];
        ClQueue.release(matmul.mma.launch(call, s, precision, da, db, dc, 1, m, k, n, true));
        for (int r = 0; r < repeats; r++) {
          long[] events = matmul.mma.launch(call, s, precision, da, db, dc, 1, m, k, n, true);
          try {
            long[] first = profile(events[0]);
            long[] last = profile(events[2]);
            total[r] = (last[1] - first[0]) * 1e-9;
            kernel[r] = (last[1] - last[0]) * 1e-9;
          } finally {
            ClQueue.release(events);
          }
        }
        report(precision, shape, s.toString(), median(total), median(kernel), flops,
            check(call, dc, a, b, m, k, n, precision));
      }
    }
  }

  private static void report(Precision precision, int[] shape, String block, double total, double kernel, double flops,
      String check) {
    System.out.printf(Locale.ROOT, "matmul %s %s device-resident [%s]: %.3f ms = %.1f TFLOP/s%s, %s%n",
        precision.id(), name(shape), block, total * 1e3, flops / total * 1e-12, precision == Precision.FP32 ? ""
            : String.format(Locale.ROOT, " with packing (kernel alone %.3f ms = %.1f TFLOP/s)", kernel * 1e3,
                flops / kernel * 1e-12), check);
    System.out.printf(Locale.ROOT, "RESULT matmul %s %s %s %.4f %.4f%n", precision.id(), name(shape), block,
        total * 1e3, kernel * 1e3);
  }

  /** Reads 64 sampled elements of the product and compares them with float64 dot products within the bound. */
  private static String check(ClCall call, long dc, float[] a, float[] b, int m, int k, int n, Precision precision) {
    SplittableRandom rnd = new SplittableRandom(m * 31L + n);
    double scale = precision.boundScale(k);
    int bad = 0;
    for (int s = 0; s < 64; s++) {
      int i = rnd.nextInt(m);
      int j = rnd.nextInt(n);
      double exact = 0;
      double abs = 0;
      for (int p = 0; p < k; p++) {
        double t = (double) a[i * k + p] * b[p * n + j];
        exact += t;
        abs += Math.abs(t);
      }
      float got = Float.intBitsToFloat(call.readInt(dc, (long) i * n + j));
      if (!(Math.abs(got - exact) <= scale * abs)) bad++;
    }
    return bad == 0 ? "64 sampled elements within the bound" : "WRONG: " + bad + " of 64 sampled elements";
  }

  /**
   * Small host-array products as callers make them, through the backend and through {@code Compute} (forced onto
   * OpenCL), then where one product's time goes: starting the call (a queue), copying the operands into pinned memory,
   * enqueueing their one write, the launch, the blocking read, copying the result out, ending the call; beside the
   * floor of any round trip, a 4-byte blocking read.
   */
  void small(ClBackend backend, int[] shape) {
    int m = shape[0];
    int k = shape[1];
    int n = shape[2];
    float[] a = random(m * k, 3);
    float[] b = random(k * n, 4);
    int calls = 2000;
    double[] viaBackend = new double[calls];
    double[] viaCompute = new double[calls];
    for (int r = 0; r < calls; r++) backend.matmul(a, b, m, k, n);
    for (int r = 0; r < calls; r++) {
      long start = System.nanoTime();
      backend.matmul(a, b, m, k, n);
      viaBackend[r] = (System.nanoTime() - start) * 1e-3;
    }
    var forced = Compute.on(BackendKind.OPENCL);
    for (int r = 0; r < calls; r++) forced.matmul(a, m, k, b, k, n);
    for (int r = 0; r < calls; r++) {
      long start = System.nanoTime();
      forced.matmul(a, m, k, b, k, n);
      viaCompute[r] = (System.nanoTime() - start) * 1e-3;
    }
    ClContext context = backend.context();
    String[] steps = {"begin", "copy in", "write", "launch", "read (waits)", "copy out", "end"};
    double[][] parts = new double[steps.length][calls];
    double[] floor = new double[calls];
    long[] marks = new long[5];
    for (int r = 0; r < calls; r++) {
      long t0 = System.nanoTime();
      ClCall call = context.begin("bench.small");
      long t1 = System.nanoTime();
      try {
        call.queue.smallProduct(a, b, null, m, k, n, call.op, marks);
        call.drained();
      } finally {
        long t6 = System.nanoTime();
        call.close();
        parts[6][r] = (System.nanoTime() - t6) * 1e-3;
      }
      parts[0][r] = (t1 - t0) * 1e-3;
      parts[1][r] = (marks[0] - t1) * 1e-3;
      for (int p = 1; p < 5; p++) parts[p + 1][r] = (marks[p] - marks[p - 1]) * 1e-3;
    }
    try (ClCall call = context.begin("bench.floor")) {
      long buffer = call.buffer(4);
      for (int r = 0; r < calls; r++) {
        long start = System.nanoTime();
        call.readInt(buffer, 0);
        floor[r] = (System.nanoTime() - start) * 1e-3;
      }
    }
    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "small matmul %s host arrays, medians of %d:"
        + " backend %.1f us, Compute.on(OPENCL) %.1f us; one product:", name(shape), calls, median(viaBackend),
        median(viaCompute)));
    for (int p = 0; p < steps.length; p++) {
      line.append(String.format(Locale.ROOT, " %s %.1f", steps[p], median(parts[p])));
    }
    line.append(String.format(Locale.ROOT, " us; a 4-byte blocking read alone %.1f us", median(floor)));
    System.out.println(line);
    System.out.printf(Locale.ROOT, "RESULT small %s %.2f %.2f %.2f%n", name(shape), median(viaBackend),
        median(viaCompute), median(floor));
  }

  private static long[] profile(long event) {
    try (MemoryStack stack = MemoryStack.stackPush()) {
      ClError.check(clWaitForEvents(event), "clWaitForEvents");
      var value = stack.mallocLong(1);
      ClError.check(clGetEventProfilingInfo(event, CL_PROFILING_COMMAND_START, value, null), "profiling");
      long start = value.get(0);
      ClError.check(clGetEventProfilingInfo(event, CL_PROFILING_COMMAND_END, value, null), "profiling");
      return new long[] {start, value.get(0)};
    }
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  private static float[] random(int n, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
    return x;
  }
}
