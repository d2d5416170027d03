package dev.pincette.opencl;

import dev.pincette.Kernel3;
import dev.pincette.spi.KernelArg;
import dev.pincette.spi.KernelLaunch;
import dev.pincette.spi.KernelMethod;
import java.lang.constant.MethodTypeDesc;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * What the generated bounds checks cost: each kernel translated twice, with the checks and without, run alternately on
 * one context so that both see the same load (calls timed whole, transfers included); prints the median time of each
 * and their ratio. The kernels: {@code saxpy} (two loads, a store) and an SPH density over 32 neighbours (a gather).
 *
 * <pre>
 * CP=gpu-backend/target/classes:api/target/classes:kernels/target/classes:translator/target/classes:$(lwjgl jars)
 * java --enable-native-access=ALL-UNNAMED -cp "$CP" dev.pincette.opencl.ClKernelBench [log2 n] [repeats]
 * </pre>
 */
public final class ClKernelBench {
  private static final int NEIGHBOURS = 32;

  private ClKernelBench() {}

  static void saxpy(int i, float a, float[] x, float[] y) {
    y[i] = a * x[i] + y[i];
  }

  static void density(int i, float[] positions, int[] neighbours, float[] density) {
    float xi = positions[3 * i];
    float yi = positions[3 * i + 1];
    float zi = positions[3 * i + 2];
    float sum = 0;
    for (int k = 0; k < NEIGHBOURS; k++) {
      int j = neighbours[i * NEIGHBOURS + k];
      float dx = xi - positions[3 * j];
      float dy = yi - positions[3 * j + 1];
      float dz = zi - positions[3 * j + 2];
      float r2 = dx * dx + dy * dy + dz * dz;
      if (r2 < 0.0025f) {
        float w = 0.0025f - r2;
        sum += w * w * w;
      }
    }
    density[i] = sum;
  }

  public static void main(String[] args) {
    int n = 1 << (args.length > 0 ? Integer.parseInt(args[0]) : 20);
    int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 41;
    try (ClBackend backend = new ClBackend(null, ClProgramCache.defaultDir(), false, true)) {
      if (!backend.isAvailable()) {
        System.out.println("opencl unavailable: " + backend.unavailableReason());
        return;
      }
      ClContext context = backend.context();
      ClJavaKernels checked = new ClJavaKernels(backend.device(), backend.fp64(), backend.reduceOp(), true);
      ClJavaKernels unchecked = new ClJavaKernels(backend.device(), backend.fp64(), backend.reduceOp(), false);
      SplittableRandom rnd = new SplittableRandom(7);
      float[] x = new float[n];
      float[] y = new float[n];
      for (int i = 0; i < n; i++) x[i] = (float) rnd.nextDouble();
      KernelLaunch saxpy = launch("saxpy", "(IF[F[F)V", (Kernel3<Float, float[], float[]>) ClKernelBench::saxpy, n,
          arg(1, "a", KernelArg.Kind.SCALAR, 1.0001f), arg(2, "x", KernelArg.Kind.ARRAY, x),
          arg(3, "y", KernelArg.Kind.ARRAY, y));
      int particles = n / 8;
      float[] positions = new float[3 * particles];
      for (int i = 0; i < positions.length; i++) positions[i] = (float) rnd.nextDouble() * 0.5f;
      int[] neighbours = new int[particles * NEIGHBOURS];
      for (int i = 0; i < neighbours.length; i++) {
        neighbours[i] = Math.floorMod(i / NEIGHBOURS + rnd.nextInt(-200, 200), particles);
      }
      KernelLaunch density = launch("density", "(I[F[I[F)V",
          (Kernel3<float[], int[], float[]>) ClKernelBench::density, particles,
          arg(1, "positions", KernelArg.Kind.ARRAY, positions), arg(2, "neighbours", KernelArg.Kind.ARRAY, neighbours),
          arg(3, "density", KernelArg.Kind.ARRAY, new float[particles]));
      System.out.println("device: " + backend.device().name() + ", n = " + n + ", " + repeats + " calls each");
      for (KernelLaunch l : List.of(saxpy, density)) {
        long[] withChecks = new long[repeats];
        long[] without = new long[repeats];
        checked.run(context, l);
        unchecked.run(context, l);
        for (int r = 0; r < repeats; r++) {
          long start = System.nanoTime();
          checked.run(context, l);
          withChecks[r] = System.nanoTime() - start;
          start = System.nanoTime();
          unchecked.run(context, l);
          without[r] = System.nanoTime() - start;
        }
        Arrays.sort(withChecks);
        Arrays.sort(without);
        double a = withChecks[repeats / 2] / 1e6;
        double b = without[repeats / 2] / 1e6;
        System.out.println(String.format(Locale.ROOT, "%-8s checked %8.3f ms  unchecked %8.3f ms  ratio %.3f",
            l.kernel().name(), a, b, a / b));
      }
    }
  }

  private static KernelArg arg(int parameter, String name, KernelArg.Kind kind, Object value) {
    KernelArg.Type type = switch (value) {
      case float[] f -> KernelArg.Type.FLOAT;
      case int[] i -> KernelArg.Type.INT;
      case Float f -> KernelArg.Type.FLOAT;
      default -> throw new IllegalArgumentException(value.getClass().getName());
    };
    return new KernelArg(parameter, name, kind, type, value);
  }

  private static KernelLaunch launch(String name, String descriptor, Object kernel, int n, KernelArg... args) {
    MethodTypeDesc type = MethodTypeDesc.ofDescriptor(descriptor);
    List<Class<?>> types = new java.util.ArrayList<>();
    for (int p = 0; p < type.parameterCount(); p++) {
      types.add(switch (type.parameterType(p).descriptorString()) {
        case "I" -> int.class;
        case "F" -> float.class;
        case "[F" -> float[].class;
        default -> int[].class;
      });
    }
    List<String> names = new java.util.ArrayList<>(List.of("i"));
    for (KernelArg a : args) names.add(a.name());
    return new KernelLaunch(new KernelMethod(kernel, ClKernelBench.class, name, type, types, names, false), n,
        List.of(args), false);
  }
}
