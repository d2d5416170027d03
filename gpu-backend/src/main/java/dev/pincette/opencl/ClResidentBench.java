package dev.pincette.opencl;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.ComputeOn;
import dev.pincette.DeviceArray;
import dev.pincette.internal.Dispatcher;
import dev.pincette.internal.ResidentHandles;
import dev.pincette.spatial.DeviceNeighbors;
import dev.pincette.spatial.SpatialHashMap;
import dev.pincette.Kernel3;
import dev.pincette.Kernel6;
import dev.pincette.spi.KernelArg;
import dev.pincette.spi.KernelLaunch;
import dev.pincette.spi.KernelMethod;
import java.lang.constant.MethodTypeDesc;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

/**
 * Java kernels on resident arrays, through {@code Compute} on the OpenCL device, against peers measured in the same
 * run. Prints lines starting {@code RESULT} for {@code tools/kernels-summary.py}.
 *
 * <ul>
 *   <li>{@code saxpy N REPS}: {@code y[i] = a * x[i] + y[i]} on resident float arrays, chains of REPS calls
 *       awaited at their end; GB/s counted as 12 bytes per element (x read, y read and written). Side by side, in
 *       rounds on one context: the call through {@code Compute} (bounds checks and launch geometry as configured),
 *       and straight through {@link ClJavaKernels} with bounds checks on and off, each in groups of
 *       {@link ClJavaKernels#LOCAL_SIZE} and with the group left to the driver (as before it was set), and its source
 *       launched bare in both geometries (no dispatch, pins, error record fill or read). The peer, torch's device
 *       copy, is measured by {@code tools/kernels-peer.py}.
 *   <li>{@code density POINTS REPS}: an SPH density over the resident neighbour lists of a spatial map of POINTS 2D
 *       points (about 20 neighbours each), the kernel translated from Java ({@link #density}) against the same
 *       algorithm hand-written in OpenCL C ({@link #HAND_WRITTEN}), all in chains of REPS launches on the same
 *       buffers, in rounds, 5 rounds: the translated kernel through {@code Compute}, through {@link ClJavaKernels}
 *       with bounds checks on and off in both geometries, its source launched bare (no dispatch, pins or error
 *       record read), and the hand-written kernel in both geometries. Each one's results are compared bit for bit
 *       with the hand-written kernel's, and the translated with the CPU's.
 *   <li>{@code source}: the OpenCL C the translator makes of {@link #density}.
 * </ul>
 *
 * <p>Lines starting {@code RESULT saxpy-variant} and {@code RESULT density-variant} give each variant's time; the
 * names say the checks ({@code checked}, {@code unchecked}) and the geometry ({@code group256}, or {@code driver}
 * for the driver's choice).
 *
 * <pre>
 * .gpu-bundle/run dev.pincette.opencl.ClResidentBench saxpy 268435456 50
 * .gpu-bundle/run dev.pincette.opencl.ClResidentBench density 1000000 50
 * </pre>
 */
public final class ClResidentBench {
  private static final ComputeOn GPU = Compute.on(BackendKind.OPENCL);
  /** {@link #density} as backends receive it, one for the whole run: each keeps its translation in it. */
  private static final KernelMethod DENSITY = method(ClResidentBench.class, "density", "(IFF[F[I[I[F)V",
      (Kernel6<Float, Float, float[], int[], int[], float[]>) ClResidentBench::density,
      List.of("i", "h", "mass", "pos", "offsets", "indices", "out"));

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
          .source(DENSITY));
      default -> throw new IllegalArgumentException("unknown bench " + args[0]);
    }
  }

  private static void benchSaxpy(int n, int reps) {
    float[] xs = new float[n];
    SplittableRandom rnd = new SplittableRandom(1);
    for (int i = 0; i < n; i++) xs[i] = (float) rnd.nextDouble(-1, 1);
    float a = 0.5f;
    ClBackend backend = (ClBackend) Dispatcher.get().backend("opencl");
    ClContext context = backend.context();
    KernelMethod method = method(ClResidentBench.class, "saxpy", "(IF[F[F)V",
        (Kernel3<Float, float[], float[]>) ClResidentBench::saxpy, List.of("i", "a", "x", "y"));
    try (DeviceArray<float[]> x = GPU.call(() -> Compute.upload(xs));
         DeviceArray<float[]> y = GPU.call(() -> Compute.zeros(float[].class, n))) {
      if (!x.backend().equals("opencl") || !y.backend().equals("opencl")) {
        throw new IllegalStateException("the arrays were placed on " + x.backend() + " and " + y.backend());
      }
      KernelLaunch launch = residentLaunch(method, n, a, x, y);
      List<Variant> variants = new ArrayList<>();
      variants.add(new Variant("compute", r -> {
        for (int k = 0; k < r; k++) GPU.forEach(n, ClResidentBench::saxpy, a, x, y);
        y.await();
      }));
      variants.addAll(direct(backend, new KernelLaunch[] {launch}, List.of(y)));
      ClResidentStore store = context.residents;
      ClResident[] buffers = {own(x), own(y)};
      for (ClResident r : buffers) store.settle(r);
      long[] pinned = store.pinAll(buffers);
      double[] seconds;
      long[] calls = {0};
      try {
        for (int g : new int[] {0, ClJavaKernels.LOCAL_SIZE}) {
          variants.add(new Variant(g == 0 ? "raw-driver" : "raw-group" + g, r -> runTranslatedSource(backend,
              context, method, n, g, r, kernel -> kernel.f32(2, a).mem(3, pinned[0]).i32(4, n).mem(5, pinned[1])
                  .i32(6, n))));
        }
        seconds = timeRounds(variants, reps, r -> calls[0] += r);
      } finally {
        store.deviceWritten(new ClResident[] {buffers[1]});
        for (ClResident r : buffers) store.unpin(r);
      }
      long single = System.nanoTime();
      GPU.forEach(n, ClResidentBench::saxpy, a, x, y);
      y.await();
      double oneCall = (System.nanoTime() - single) / 1e9;
      calls[0]++;
      // The CPU's values for a sample of elements, after as many calls: every call is one correctly rounded
      // multiply and add per element on both, checked or not, in any geometry.
      float[] got = y.download();
      int wrong = 0;
      for (int i = 0; i < n; i += Math.max(1, n / 4096)) {
        float v = 0;
        for (long c = 0; c < calls[0]; c++) v = a * xs[i] + v;
        if (Float.floatToRawIntBits(v) != Float.floatToRawIntBits(got[i])) wrong++;
      }
      double gbs = 12.0 * n / seconds[0] / 1e9;
      System.out.println(String.format(Locale.ROOT, "saxpy n=%d: %.3f ms per call in chains of %d (median of 5"
          + " chains), %.1f GB/s at 12 B/element; one call awaited alone %.3f ms; sampled elements wrong: %d",
          n, seconds[0] * 1e3, reps, gbs, oneCall * 1e3, wrong));
      System.out.println(String.format(Locale.ROOT, "RESULT saxpy n=%d ms=%.4f gbs=%.1f wrong=%d", n,
          seconds[0] * 1e3, gbs, wrong));
      for (int k = 0; k < variants.size(); k++) {
        double variantGbs = 12.0 * n / seconds[k] / 1e9;
        System.out.println(String.format(Locale.ROOT, "  saxpy %-18s %.4f ms  %7.1f GB/s  %.3fx the compute call's"
            + " time", variants.get(k).name(), seconds[k] * 1e3, variantGbs, seconds[k] / seconds[0]));
        System.out.println(String.format(Locale.ROOT, "RESULT saxpy-variant %s ms=%.4f gbs=%.1f vs_compute=%.3f",
            variants.get(k).name(), seconds[k] * 1e3, variantGbs, seconds[k] / seconds[0]));
      }
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
    int group = ClJavaKernels.LOCAL_SIZE;
    GPU.run(() -> {
      List<DeviceArray<float[]>> outs = new ArrayList<>();
      try (SpatialHashMap map = SpatialHashMap.build(xy, 2, h);
           DeviceNeighbors nb = map.neighborsWithinResident(h);
           DeviceArray<float[]> pos = Compute.upload(xy)) {
        if (!nb.offsets().backend().equals("opencl")) {
          throw new IllegalStateException("the map's lists are on " + nb.offsets().backend());
        }
        // One output per variant, so that each one's results are compared; the last four are written by kernels
        // launched outside the store, on buffers pinned for the whole run.
        for (int k = 0; k < 9; k++) outs.add(Compute.zeros(float[].class, points));
        KernelLaunch[] launches = new KernelLaunch[4];
        for (int k = 0; k < 4; k++) {
          launches[k] = residentLaunch(DENSITY, points, h, mass, pos, nb.offsets(), nb.indices(), outs.get(1 + k));
        }
        ClResident[] buffers = {own(pos), own(nb.offsets()), own(nb.indices()), own(outs.get(5)), own(outs.get(6)),
            own(outs.get(7)), own(outs.get(8))};
        ClResidentStore store = context.residents;
        for (ClResident r : buffers) store.settle(r);
        long[] pinned = store.pinAll(buffers);
        try {
          List<Variant> variants = new ArrayList<>();
          DeviceArray<float[]> computeOut = outs.get(0);
          variants.add(new Variant("compute", r -> {
            for (int k = 0; k < r; k++) {
              GPU.forEach(points, ClResidentBench::density, h, mass, pos, nb.offsets(), nb.indices(), computeOut);
            }
            computeOut.await();
          }));
          variants.addAll(direct(backend, launches, outs.subList(1, 5)));
          int pairs = nb.totalPairs();
          for (int g : new int[] {0, group}) {
            int out = g == 0 ? 3 : 4;
            variants.add(new Variant(g == 0 ? "raw-driver" : "raw-group" + g, r -> runTranslatedSource(backend,
                context, DENSITY, points, g, r, kernel -> kernel.f32(2, h).f32(3, mass).mem(4, pinned[0])
                    .i32(5, 2 * points).mem(6, pinned[1]).i32(7, points + 1).mem(8, pinned[2]).i32(9, pairs)
                    .mem(10, pinned[out]).i32(11, points))));
          }
          variants.add(new Variant("hand-driver", r -> runHandWritten(context, points, h, mass, pinned, 5, 0, r)));
          variants.add(new Variant("hand-group" + group, r -> runHandWritten(context, points, h, mass, pinned, 6,
              group, r)));
          double[] seconds = timeRounds(variants, reps, r -> { });
          store.deviceWritten(java.util.Arrays.copyOfRange(buffers, 3, 7));
          float[] fromHand = outs.get(7).download();
          float[] onCpu = new float[points];
          Compute.on(BackendKind.CPU).forEach(points, ClResidentBench::density, h, mass, xy, nb.offsets().download(),
              nb.indices().download(), onCpu);
          int[] differHand = new int[variants.size()];
          int cpuDiffers = 0;
          for (int k = 0; k < variants.size(); k++) {
            float[] got = outs.get(k).download();
            for (int i = 0; i < points; i++) {
              if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(fromHand[i])) differHand[k]++;
              if (k == 0 && Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(onCpu[i])) cpuDiffers++;
            }
          }
          double java = seconds[0];
          double hand = seconds[7];
          double hand256 = seconds[8];
          double raw = seconds[5];
          System.out.println(String.format(Locale.ROOT, "density of %d points, %.1f neighbours each: translated from"
              + " Java %.3f ms, hand-written OpenCL C %.3f ms (driver's group) / %.3f ms (groups of %d) per launch"
              + " (chains of %d, median of 5), ratios %.3f / %.3f; the translated source launched like the"
              + " hand-written one (no dispatch, pins or error record) %.3f ms; elements differing from the"
              + " hand-written: %d, from the CPU: %d", points, (double) pairs / points, java * 1e3, hand * 1e3,
              hand256 * 1e3, group, reps, java / hand, java / hand256, raw * 1e3, differHand[0], cpuDiffers));
          System.out.println(String.format(Locale.ROOT, "RESULT density points=%d java_ms=%.4f hand_ms=%.4f"
              + " ratio=%.3f raw_ms=%.4f differ_hand=%d differ_cpu=%d hand_group_ms=%.4f ratio_group=%.3f", points,
              java * 1e3, hand * 1e3, java / hand, raw * 1e3, differHand[0], cpuDiffers, hand256 * 1e3,
              java / hand256));
          for (int k = 0; k < variants.size(); k++) {
            System.out.println(String.format(Locale.ROOT, "  density %-18s %.4f ms  %.3fx hand-driver  %.3fx hand-group"
                + "  differing from hand-driver: %d", variants.get(k).name(), seconds[k] * 1e3, seconds[k] / hand,
                seconds[k] / hand256, differHand[k]));
            System.out.println(String.format(Locale.ROOT, "RESULT density-variant %s ms=%.4f vs_hand=%.3f"
                + " vs_hand_group=%.3f differ_hand=%d", variants.get(k).name(), seconds[k] * 1e3, seconds[k] / hand,
                seconds[k] / hand256, differHand[k]));
          }
        } finally {
          for (ClResident r : buffers) store.unpin(r);
        }
      } finally {
        for (DeviceArray<float[]> out : outs) out.close();
      }
    });
  }

  /** A chain of calls of one variant, waited for at its end. */
  private record Variant(String name, IntConsumer chain) {}

  /**
   * Median seconds per call of each variant's chains of {@code reps}, 5 rounds of all variants in turn after a chain
   * of 2 each (compilation, first allocations); {@code counted} is told the calls each chain made.
   */
  private static double[] timeRounds(List<Variant> variants, int reps, IntConsumer counted) {
    for (Variant v : variants) {
      v.chain().accept(2);
      counted.accept(2);
    }
    double[][] times = new double[variants.size()][5];
    for (int round = 0; round < 5; round++) {
      for (int k = 0; k < variants.size(); k++) {
        long start = System.nanoTime();
        variants.get(k).chain().accept(reps);
        counted.accept(reps);
        times[k][round] = (System.nanoTime() - start) / 1e9 / reps;
      }
    }
    double[] medians = new double[variants.size()];
    for (int k = 0; k < medians.length; k++) {
      Arrays.sort(times[k]);
      medians[k] = times[k][2];
    }
    return medians;
  }

  /**
   * The kernel called straight through {@link ClJavaKernels} (the path {@code Compute} takes, without the dispatcher)
   * with bounds checks on and off (as {@code pincette.kernel.boundsChecks} builds it), each in groups of
   * {@link ClJavaKernels#LOCAL_SIZE} and with the group left to the driver; each awaits its output at the end of a
   * chain. {@code launches} and {@code outs}: one per variant, or one for all.
   */
  private static List<Variant> direct(ClBackend backend, KernelLaunch[] launches, List<DeviceArray<float[]>> outs) {
    List<Variant> variants = new ArrayList<>();
    int k = 0;
    for (boolean checks : new boolean[] {true, false}) {
      for (int group : new int[] {ClJavaKernels.LOCAL_SIZE, 0}) {
        ClJavaKernels kernels = new ClJavaKernels(backend.device(), backend.fp64(), backend.reduceOp(), checks, group);
        KernelLaunch launch = launches[Math.min(k, launches.length - 1)];
        DeviceArray<float[]> out = outs.get(Math.min(k, outs.size() - 1));
        String name = (checks ? "checked-" : "unchecked-") + (group == 0 ? "driver" : "group" + group);
        variants.add(new Variant(name, r -> {
          for (int c = 0; c < r; c++) kernels.run(backend.context(), launch);
          out.await();
        }));
        k++;
      }
    }
    return variants;
  }

  /** A launch of {@code method} on resident arrays and boxed scalars, as the facade would make it. */
  private static KernelLaunch residentLaunch(KernelMethod method, int n, Object... values) {
    List<KernelArg> args = new ArrayList<>();
    for (int k = 0; k < values.length; k++) {
      String name = method.parameterNames().get(k + 1);
      if (values[k] instanceof Float f) {
        args.add(new KernelArg(k + 1, name, KernelArg.Kind.SCALAR, KernelArg.Type.FLOAT, f));
      } else {
        ClResident r = own((DeviceArray<?>) values[k]);
        args.add(new KernelArg(k + 1, name, KernelArg.Kind.RESIDENT, r.type(), r));
      }
    }
    return new KernelLaunch(method, n, args, false);
  }

  private static KernelMethod method(Class<?> owner, String name, String descriptor, Object kernel,
      List<String> names) {
    MethodTypeDesc type = MethodTypeDesc.ofDescriptor(descriptor);
    List<Class<?>> types = new ArrayList<>();
    for (int p = 0; p < type.parameterCount(); p++) {
      types.add(switch (type.parameterType(p).descriptorString()) {
        case "I" -> int.class;
        case "F" -> float.class;
        case "[F" -> float[].class;
        case "[I" -> int[].class;
        default -> throw new IllegalArgumentException(descriptor);
      });
    }
    return new KernelMethod(kernel, owner, name, type, types, names, false);
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

  /**
   * {@code reps} hand-written kernels on one queue writing pinned buffer {@code out}, waited for at the end; groups of
   * {@code group} items (the count rounded up to whole groups, as {@link ClJavaKernels} does), or the driver's (0).
   */
  private static void runHandWritten(ClContext context, int points, float h, float mass, long[] buffers, int out,
      int group, int reps) {
    String options = backendOptions(context);
    try (ClCall call = context.begin("density.hand")) {
      ClKernel kernel = call.queue.kernel("bench:density.hand", HAND_WRITTEN, options, "density").i32(0, points)
          .f32(1, h).f32(2, mass).mem(3, buffers[0]).mem(4, buffers[1]).mem(5, buffers[2]).mem(6, buffers[out]);
      for (int r = 0; r < reps; r++) call.launch(kernel, global(points, group), group == 0 ? null : new long[] {group});
      call.queue.finish("density.hand");
    }
  }

  /**
   * {@code reps} launches of the translated kernel's own source, bound by {@code bind} after its count and error
   * record (the renderer's argument order: then each parameter, an array with its length) and launched as the
   * hand-written one is: what the generated code costs without the call's dispatch, pins and error record read.
   */
  private static void runTranslatedSource(ClBackend backend, ClContext context, KernelMethod method, int n,
      int group, int reps, java.util.function.Consumer<ClKernel> bind) {
    String source = backend.kernels().source(method);
    String entry = source.substring(source.indexOf("__kernel void ") + 14, source.indexOf('(',
        source.indexOf("__kernel void ")));
    try (ClCall call = context.begin(method.name() + ".raw")) {
      long errors = call.buffer(4 * 8);
      call.fill(errors, 0, 4 * 8);
      ClKernel kernel = call.queue.kernel("bench:" + method.name() + ".raw", source, backendOptions(context), entry)
          .i32(0, n).mem(1, errors);
      bind.accept(kernel);
      for (int r = 0; r < reps; r++) call.launch(kernel, global(n, group), group == 0 ? null : new long[] {group});
      call.queue.finish(method.name() + ".raw");
    }
  }

  private static long[] global(int n, int group) {
    return new long[] {group == 0 ? n : ((long) n + group - 1) / group * group};
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
