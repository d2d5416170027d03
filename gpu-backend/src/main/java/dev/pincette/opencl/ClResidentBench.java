package dev.pincette.opencl;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.ComputeOn;
import dev.pincette.DeviceArray;
import dev.pincette.internal.Dispatcher;
import dev.pincette.internal.ResidentHandles;
import dev.pincette.spatial.DeviceNeighbors;
import dev.pincette.spatial.SpatialHashMap;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Java kernels on resident arrays, through {@code Compute} on the OpenCL device, against peers measured in the same
 * run. Prints lines starting {@code RESULT} for {@code tools/kernels-summary.py}.
 *
 * <ul>
 *   <li>{@code saxpy N REPS}: {@code y[i] = a * x[i] + y[i]} on resident float arrays, chains of REPS calls
 *       awaited at their end; GB/s counted as 12 bytes per element (x read, y read and written). The peer, torch's
 *       device copy, is measured by {@code tools/kernels-peer.py}.
 *   <li>{@code density POINTS REPS}: an SPH density over the resident neighbour lists of a spatial map of POINTS 2D
 *       points (about 20 neighbours each), the kernel translated from Java ({@link #density}) against the same
 *       algorithm hand-written in OpenCL C ({@link #HAND_WRITTEN}), both in chains of REPS launches on the same
 *       buffers, alternately, 5 rounds; the results are compared bit for bit, with each other and with the CPU.
 *   <li>{@code source}: the OpenCL C the translator makes of {@link #density}.
 * </ul>
 *
 * <pre>
 * .gpu-bundle/run dev.pincette.opencl.ClResidentBench saxpy 268435456 50
 * .gpu-bundle/run dev.pincette.opencl.ClResidentBench density 1000000 50
 * </pre>
 */
public final class ClResidentBench {
  private static final ComputeOn GPU = Compute.on(BackendKind.OPENCL);

  /**
   * {@link #density} in OpenCL C, written by hand: the same loads, operations and order, so the same bits (no
   * contraction, divisions and square roots correctly rounded, as the translator asks for).
   */
  static final String HAND_WRITTEN = """
      #pragma OPENCL FP_CONTRACT OFF
      __kernel void density(const int n, const float h, const float mass, __global const float* pos,
                            __global const int* offsets, __global const int* indices, __global float* out) {
        const int i = get_global_id(0);
        if (i >= n) return;
        float rho = mass;
        const int end = offsets[i + 1];
        for (int p = offsets[i]; p < end; p++) {
          const int j = indices[p];
          const float dx = pos[2 * i] - pos[2 * j];
          const float dy = pos[2 * i + 1] - pos[2 * j + 1];
          const float q = 1 - sqrt(dx * dx + dy * dy) / h;
          rho += mass * (q > 0 ? q * q : 0);
        }
        out[i] = rho;
      }
      """;

  private ClResidentBench() {}

  static void saxpy(int i, float a, float[] x, float[] y) {
    y[i] = a * x[i] + y[i];
  }

  /** The density of {@code ParticlesExample}'s kernels: its mass and its neighbours', smoothed by (1 - r/h)². */
  static void density(int i, float h, float mass, float[] pos, int[] offsets, int[] indices, float[] out) {
    float rho = mass;
    for (int p = offsets[i]; p < offsets[i + 1]; p++) {
      int j = indices[p];
      float dx = pos[2 * i] - pos[2 * j];
      float dy = pos[2 * i + 1] - pos[2 * j + 1];
      float q = 1 - (float) Math.sqrt(dx * dx + dy * dy) / h;
      rho += mass * (q > 0 ? q * q : 0);
    }
    out[i] = rho;
  }

  public static void main(String[] args) {
    if (args.length < 1) {
      System.err.println("usage: ClResidentBench saxpy N REPS | density POINTS REPS | source");
      System.exit(2);
    }
    String device = Compute.devices().stream().filter(d -> d.backend().equals("opencl") && d.available())
        .map(d -> d.name()).findFirst().orElse(null);
    if (device == null) {
      System.out.println("opencl unavailable");
      System.exit(1);
    }
    System.out.println("device: " + device);
    switch (args[0]) {
      case "saxpy" -> benchSaxpy(Integer.parseInt(args[1]), Integer.parseInt(args[2]));
      case "density" -> benchDensity(Integer.parseInt(args[1]), Integer.parseInt(args[2]));
      case "source" -> System.out.println(((ClBackend) Dispatcher.get().backend("opencl")).kernels()
          .source(densityMethod()));
      default -> throw new IllegalArgumentException("unknown bench " + args[0]);
    }
  }

  private static void benchSaxpy(int n, int reps) {
    float[] xs = new float[n];
    SplittableRandom rnd = new SplittableRandom(1);
    for (int i = 0; i < n; i++) xs[i] = (float) rnd.nextDouble(-1, 1);
    float a = 0.5f;
    try (DeviceArray<float[]> x = GPU.call(() -> Compute.upload(xs));
         DeviceArray<float[]> y = GPU.call(() -> Compute.zeros(float[].class, n))) {
      if (!x.backend().equals("opencl") || !y.backend().equals("opencl")) {
        throw new IllegalStateException("the arrays were placed on " + x.backend() + " and " + y.backend());
      }
      int calls = 0;
      for (int w = 0; w < 3; w++, calls++) GPU.forEach(n, ClResidentBench::saxpy, a, x, y);
      y.await();
      double[] perCall = new double[5];
      for (int round = 0; round < perCall.length; round++) {
        long start = System.nanoTime();
        for (int r = 0; r < reps; r++, calls++) GPU.forEach(n, ClResidentBench::saxpy, a, x, y);
        y.await();
        perCall[round] = (System.nanoTime() - start) / 1e9 / reps;
      }
      long single = System.nanoTime();
      GPU.forEach(n, ClResidentBench::saxpy, a, x, y);
      y.await();
      double oneCall = (System.nanoTime() - single) / 1e9;
      calls++;
      // The CPU's values for a sample of elements, after as many calls: every call is one correctly rounded
      // multiply and add per element on both.
      float[] got = y.download();
      int wrong = 0;
      for (int i = 0; i < n; i += Math.max(1, n / 4096)) {
        float v = 0;
        for (int c = 0; c < calls; c++) v = a * xs[i] + v;
        if (Float.floatToRawIntBits(v) != Float.floatToRawIntBits(got[i])) wrong++;
      }
      Arrays.sort(perCall);
      double seconds = perCall[perCall.length / 2];
      double gbs = 12.0 * n / seconds / 1e9;
      System.out.println(String.format(Locale.ROOT, "saxpy n=%d: %.3f ms per call in chains of %d (median of %d"
          + " chains), %.1f GB/s at 12 B/element; one call awaited alone %.3f ms; sampled elements wrong: %d",
          n, seconds * 1e3, reps, perCall.length, gbs, oneCall * 1e3, wrong));
      System.out.println(String.format(Locale.ROOT, "RESULT saxpy n=%d ms=%.4f gbs=%.1f wrong=%d", n,
          seconds * 1e3, gbs, wrong));
    }
  }

  private static void benchDensity(int points, int reps) {
    SplittableRandom rnd = new SplittableRandom(2);
    float[] xy = new float[2 * points];
    for (int i = 0; i < xy.length; i++) xy[i] = (float) rnd.nextDouble();
    float h = (float) Math.sqrt(20.0 / (Math.PI * points));
    float mass = 1f / points;
    ClBackend backend = (ClBackend) Dispatcher.get().backend("opencl");
    ClContext context = backend.context();
    GPU.run(() -> {
      try (SpatialHashMap map = SpatialHashMap.build(xy, 2, h);
           DeviceNeighbors nb = map.neighborsWithinResident(h);
           DeviceArray<float[]> pos = Compute.upload(xy);
           DeviceArray<float[]> translated = Compute.zeros(float[].class, points);
           DeviceArray<float[]> handOut = Compute.zeros(float[].class, points)) {
        if (!nb.offsets().backend().equals("opencl")) {
          throw new IllegalStateException("the map's lists are on " + nb.offsets().backend());
        }
        ClResident[] buffers = {own(pos), own(nb.offsets()), own(nb.indices()), own(handOut)};
        ClResidentStore store = context.residents;
        for (ClResident r : buffers) store.settle(r);
        long[] pinned = store.pinAll(buffers);
        try {
          double[] javaTimes = new double[5];
          double[] handTimes = new double[5];
          double[] rawTimes = new double[5];
          runTranslated(points, h, mass, pos, nb, translated, 2);
          runHandWritten(context, points, h, mass, pinned, 2);
          runTranslatedSource(backend, context, points, nb.totalPairs(), h, mass, pinned, 2);
          for (int round = 0; round < javaTimes.length; round++) {
            javaTimes[round] = runTranslated(points, h, mass, pos, nb, translated, reps);
            handTimes[round] = runHandWritten(context, points, h, mass, pinned, reps);
            rawTimes[round] = runTranslatedSource(backend, context, points, nb.totalPairs(), h, mass, pinned, reps);
          }
          Arrays.sort(javaTimes);
          Arrays.sort(handTimes);
          Arrays.sort(rawTimes);
          double java = javaTimes[2];
          double hand = handTimes[2];
          double raw = rawTimes[2];
          store.deviceWritten(new ClResident[] {buffers[3]});
          float[] fromJava = translated.download();
          float[] fromHand = handOut.download();
          float[] onCpu = new float[points];
          Compute.on(BackendKind.CPU).forEach(points, ClResidentBench::density, h, mass, xy, nb.offsets().download(),
              nb.indices().download(), onCpu);
          int handDiffers = 0;
          int cpuDiffers = 0;
          for (int i = 0; i < points; i++) {
            if (Float.floatToRawIntBits(fromJava[i]) != Float.floatToRawIntBits(fromHand[i])) handDiffers++;
            if (Float.floatToRawIntBits(fromJava[i]) != Float.floatToRawIntBits(onCpu[i])) cpuDiffers++;
          }
          System.out.println(String.format(Locale.ROOT, "density of %d points, %.1f neighbours each: translated from"
              + " Java %.3f ms, hand-written OpenCL C %.3f ms per launch (chains of %d, median of 5), ratio %.3f;"
              + " the translated source launched like the hand-written one (no dispatch, pins or error record) %.3f"
              + " ms; elements differing from the hand-written: %d, from the CPU: %d", points,
              (double) nb.totalPairs() / points, java * 1e3, hand * 1e3, reps, java / hand, raw * 1e3, handDiffers,
              cpuDiffers));
          System.out.println(String.format(Locale.ROOT, "RESULT density points=%d java_ms=%.4f hand_ms=%.4f"
              + " ratio=%.3f raw_ms=%.4f differ_hand=%d differ_cpu=%d", points, java * 1e3, hand * 1e3, java / hand,
              raw * 1e3, handDiffers, cpuDiffers));
        } finally {
          for (ClResident r : buffers) store.unpin(r);
        }
      }
    });
  }

  private static ClResident own(DeviceArray<?> array) {
    return (ClResident) ResidentHandles.resident(array, "bench");
  }

  /** Seconds per launch of a chain of {@code reps} translated kernels, awaited at its end. */
  private static double runTranslated(int points, float h, float mass, DeviceArray<float[]> pos, DeviceNeighbors nb,
      DeviceArray<float[]> out, int reps) {
    long start = System.nanoTime();
    for (int r = 0; r < reps; r++) {
      GPU.forEach(points, ClResidentBench::density, h, mass, pos, nb.offsets(), nb.indices(), out);
    }
    out.await();
    return (System.nanoTime() - start) / 1e9 / reps;
  }

  /** Seconds per launch of {@code reps} hand-written kernels on one queue, waited for at the end. */
  private static double runHandWritten(ClContext context, int points, float h, float mass, long[] buffers, int reps) {
    String options = backendOptions(context);
    try (ClCall call = context.begin("density.hand")) {
      ClKernel kernel = call.queue.kernel("bench:density.hand", HAND_WRITTEN, options, "density").i32(0, points)
          .f32(1, h).f32(2, mass).mem(3, buffers[0]).mem(4, buffers[1]).mem(5, buffers[2]).mem(6, buffers[3]);
      long start = System.nanoTime();
      for (int r = 0; r < reps; r++) call.launch(kernel, new long[] {points}, null);
      call.queue.finish("density.hand");
      return (System.nanoTime() - start) / 1e9 / reps;
    }
  }

  /**
   * Seconds per launch of {@code reps} launches of the translated kernel's own source, bound and launched as the
   * hand-written one is: what the generated code costs without the call's dispatch, pins and error record read.
   */
  private static double runTranslatedSource(ClBackend backend, ClContext context, int points, int pairs, float h,
      float mass, long[] buffers, int reps) {
    String source = backend.kernels().source(densityMethod());
    String entry = source.substring(source.indexOf("__kernel void ") + 14, source.indexOf('(',
        source.indexOf("__kernel void ")));
    try (ClCall call = context.begin("density.raw")) {
      long errors = call.buffer(4 * 8);
      call.fill(errors, 0, 4 * 8);
      // The renderer's argument order: the count, the error record, then each parameter (an array with its length).
      ClKernel kernel = call.queue.kernel("bench:density.raw", source, backendOptions(context), entry)
          .i32(0, points).mem(1, errors).f32(2, h).f32(3, mass)
          .mem(4, buffers[0]).i32(5, 2 * points).mem(6, buffers[1]).i32(7, points + 1)
          .mem(8, buffers[2]).i32(9, pairs).mem(10, buffers[3]).i32(11, points);
      long start = System.nanoTime();
      for (int r = 0; r < reps; r++) call.launch(kernel, new long[] {points}, null);
      call.queue.finish("density.raw");
      return (System.nanoTime() - start) / 1e9 / reps;
    }
  }

  private static dev.pincette.spi.KernelMethod densityMethod() {
    return new dev.pincette.spi.KernelMethod(null, ClResidentBench.class, "density",
        java.lang.constant.MethodTypeDesc.ofDescriptor("(IFF[F[I[I[F)V"), java.util.List.of(int.class, float.class,
            float.class, float[].class, int[].class, int[].class, float[].class),
        java.util.List.of("i", "h", "mass", "pos", "offsets", "indices", "out"), false);
  }

  /** The options the translator's kernels are built with on this device (correctly rounded division and sqrt). */
  private static String backendOptions(ClContext context) {
    long config;
    try (org.lwjgl.system.MemoryStack stack = org.lwjgl.system.MemoryStack.stackPush()) {
      var value = stack.mallocLong(1);
      config = org.lwjgl.opencl.CL10.clGetDeviceInfo(context.device.id(),
          org.lwjgl.opencl.CL10.CL_DEVICE_SINGLE_FP_CONFIG, value, null) == 0 ? value.get(0) : 0;
    }
    return (config & (1 << 7)) != 0 ? "-cl-fp32-correctly-rounded-divide-sqrt" : "";
  }
}
