package example.consumer;

import dev.pincette.BackendKind;
import dev.pincette.CallRecord;
import dev.pincette.Compute;
import dev.pincette.DeviceInfo;
import dev.pincette.HostMatrix;
import dev.pincette.Matrix;
import dev.pincette.spatial.Neighbors;
import dev.pincette.spatial.SpatialHashMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * What a project that depends on Pincette does, checked: a product, reductions, a spatial query, a product in native
 * memory and a Java kernel of this project's own on every backend Pincette should find, each compared with a plain
 * loop here.
 *
 * <p>{@code java ... example.consumer.Main classpath|modulepath opencl=required|optional jfr=record|none}. The first
 * argument is where the run must find itself (a "module path" run that quietly ran on the class path proves nothing).
 * With {@code jfr=record} the calls run under a JDK Flight Recorder recording that must hold Pincette's events; with
 * {@code jfr=none} the runtime must lack {@code jdk.jfr} (Pincette then records nothing and works all the same). A
 * missing piece exits with its own code, so that a run without a flag can be told to fail in exactly that way: 10 the
 * Vector API is not active ({@code --add-modules jdk.incubator.vector}); 11 OpenCL is not usable (native access,
 * natives, or no device); 12 a backend is not registered (its service provider is not found); 13 a wrong result; 14
 * Pincette's JFR events are missing; 2 bad arguments.
 */
public final class Main {
  static final int VECTOR_API_MISSING = 10;
  static final int OPENCL_UNAVAILABLE = 11;
  static final int BACKEND_NOT_REGISTERED = 12;
  static final int WRONG_RESULT = 13;
  static final int EVENTS_MISSING = 14;

  private Main() {}

  public static void main(String[] args) {
    if (args.length != 3 || !List.of("classpath", "modulepath").contains(args[0])
        || !List.of("opencl=required", "opencl=optional").contains(args[1])
        || !List.of("jfr=record", "jfr=none").contains(args[2])) {
      fail(2, "usage: Main classpath|modulepath opencl=required|optional jfr=record|none");
    }
    boolean modulePath = Main.class.getModule().isNamed();
    if (modulePath != args[0].equals("modulepath")) {
      fail(2, "expected a " + args[0] + " run, but example.consumer is " + (modulePath ? "" : "not ") + "a named module");
    }
    List<BackendKind> backends = backends(args[1].equals("opencl=required"));
    Runnable calls = () -> {
      for (BackendKind kind : backends) {
        Compute.on(kind).run(() -> {
          matmul(kind);
          reductions(kind);
          spatial(kind);
          hostMatrix(kind);
          kernels(kind);
        });
      }
    };
    boolean jfr = ModuleLayer.boot().findModule("jdk.jfr").isPresent();
    if (args[2].equals("jfr=record")) {
      if (!jfr) fail(EVENTS_MISSING, "jdk.jfr is not in this runtime");
      int events = Events.recordedDuring(calls, backends.contains(BackendKind.OPENCL));
      System.out.println("consumer: ok on the " + args[0] + " with " + backends + ", " + events + " JFR events");
    } else {
      if (jfr) fail(2, "jfr=none, but jdk.jfr is in this runtime");
      calls.run();
      System.out.println("consumer: ok on the " + args[0] + " with " + backends + ", without jdk.jfr");
    }
  }

  /** The backends to check: the CPU with the Vector API, and OpenCL when it is usable (or must be). */
  private static List<BackendKind> backends(boolean openclRequired) {
    List<DeviceInfo> devices = Compute.devices();
    DeviceInfo cpu = devices.stream().filter(d -> d.backend().equals("cpu")).findFirst()
        .orElseGet(() -> fail(BACKEND_NOT_REGISTERED, "no cpu backend: " + devices));
    String simd = cpu.properties().getOrDefault("simd", "");
    if (!simd.startsWith("Vector API active")) {
      fail(VECTOR_API_MISSING, "the CPU backend runs without the Vector API: " + simd);
    }
    List<DeviceInfo> opencl = devices.stream().filter(d -> d.backend().equals("opencl")).toList();
    if (opencl.isEmpty()) fail(BACKEND_NOT_REGISTERED, "no opencl backend registered: " + devices);
    List<BackendKind> kinds = new ArrayList<>(List.of(BackendKind.CPU));
    if (opencl.stream().anyMatch(DeviceInfo::available)) {
      kinds.add(BackendKind.OPENCL);
    } else if (openclRequired) {
      fail(OPENCL_UNAVAILABLE, "OpenCL is not usable: " + opencl);
    } else {
      System.out.println("consumer: OpenCL is not usable here, only the CPU is checked: " + opencl);
    }
    kinds.add(BackendKind.AUTO);
    return kinds;
  }

  private static void matmul(BackendKind kind) {
    Random random = new Random(18);
    Matrix a = random(random, 48, 40);
    Matrix b = random(random, 40, 56);
    Matrix c = Compute.matmul(a, b);
    ranOn(kind, "matmul");
    for (int i = 0; i < a.rows(); i++) {
      for (int j = 0; j < b.cols(); j++) {
        double exact = 0;
        double scale = 0;
        for (int p = 0; p < a.cols(); p++) {
          exact += (double) a.get(i, p) * b.get(p, j);
          scale += Math.abs((double) a.get(i, p) * b.get(p, j));
        }
        // The float32 bound every backend keeps: (k+2)·2^-24·Σ|a·b|.
        if (Math.abs(c.get(i, j) - exact) > (a.cols() + 2) * 0x1p-24 * scale) {
          fail(WRONG_RESULT, kind + " matmul: c[" + i + "," + j + "] = " + c.get(i, j) + ", expected " + exact);
        }
      }
    }
  }

  private static void reductions(BackendKind kind) {
    Random random = new Random(19);
    float[] x = new float[100_003];
    for (int i = 0; i < x.length; i++) x[i] = random.nextFloat() * 2 - 1;
    x[77_777] = 5f;
    double exact = 0;
    double scale = 0;
    for (float v : x) {
      exact += v;
      scale += Math.abs(v);
    }
    double sum = Compute.sum(x);
    ranOn(kind, "sum");
    if (Math.abs(sum - exact) > 1e-6 * scale) fail(WRONG_RESULT, kind + " sum: " + sum + ", expected " + exact);
    int argmax = Compute.argmax(x);
    ranOn(kind, "argmax");
    if (argmax != 77_777) fail(WRONG_RESULT, kind + " argmax: " + argmax + ", expected 77777");
  }

  private static void spatial(BackendKind kind) {
    Random random = new Random(20);
    int points = 2_000;
    float[] xyz = new float[3 * points];
    for (int i = 0; i < xyz.length; i++) xyz[i] = random.nextFloat();
    float radius = 0.08f;
    float[] center = {0.5f, 0.5f, 0.5f};
    try (SpatialHashMap map = SpatialHashMap.build(xyz, 3, radius)) {
      ranOn(kind, "spatial.build");
      int[] near = map.query(center, radius);
      int[] expected = within(xyz, center, radius);
      if (!Arrays.equals(near, expected)) {
        fail(WRONG_RESULT, kind + " query: " + near.length + " points, expected " + expected.length);
      }
      Neighbors all = map.neighborsWithin(radius);
      for (int i = 0; i < points; i += 97) {
        int self = i;
        int[] list = all.of(i);
        int[] around = Arrays.stream(within(xyz, Arrays.copyOfRange(xyz, 3 * i, 3 * i + 3), radius))
            .filter(j -> j != self).toArray();
        if (!Arrays.equals(list, around)) fail(WRONG_RESULT, kind + " neighbours of point " + i + " differ");
      }
    }
  }

  /** A product in native memory: on the module path it needs native access for dev.pincette.api. */
  private static void hostMatrix(BackendKind kind) {
    try (HostMatrix a = Compute.hostMatrix(3, 2);
        HostMatrix b = Compute.hostMatrix(2, 2);
        HostMatrix c = Compute.hostMatrix(3, 2)) {
      a.copyFrom(Matrix.of(3, 2, 1, 2, 3, 4, 5, 6));
      b.copyFrom(Matrix.of(2, 2, 1, 0, 1, 1));
      Compute.matmul(a, b, c);
      ranOn(kind, "matmul");
      float[] expected = {3, 2, 7, 4, 11, 6};
      for (int i = 0; i < 6; i++) {
        if (c.get(i / 2, i % 2) != expected[i]) fail(WRONG_RESULT, kind + " HostMatrix product differs at " + i);
      }
    }
  }

  private static int[] within(float[] xyz, float[] center, float radius) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < xyz.length / 3; i++) {
      double d2 = 0;
      for (int d = 0; d < 3; d++) {
        double delta = (double) xyz[3 * i + d] - center[d];
        d2 += delta * delta;
      }
      if (d2 <= (double) radius * radius) out.add(i);
    }
    return out.stream().mapToInt(Integer::intValue).toArray();
  }

  /** A forced call must run where it was sent, without falling back. */
  /** A kernel of this project: Pincette reads its bytecode from this module (on the module path, a closed package). */
  static void saxpy(int i, float a, float[] x, float[] y) {
    y[i] = a * x[i] + y[i];
  }

  /** A term per index, for {@code Compute.sum}. */
  static float distanceTerm(int i, float[] x, float[] y) {
    float d = x[i] - y[i];
    return d * d;
  }

  private static void kernels(BackendKind kind) {
    Random random = new Random(21);
    int n = 10_007;
    float[] x = new float[n];
    float[] y = new float[n];
    float[] expected = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = random.nextFloat() * 2 - 1;
      y[i] = random.nextFloat();
      expected[i] = 2f * x[i] + y[i];
    }
    Compute.forEach(n, Main::saxpy, 2f, x, y);
    ranOn(kind, "forEach");
    for (int i = 0; i < n; i++) {
      // Java's float rules hold on every backend: each element bit for bit.
      if (Float.floatToRawIntBits(y[i]) != Float.floatToRawIntBits(expected[i])) {
        fail(WRONG_RESULT, kind + " forEach saxpy: y[" + i + "] = " + y[i] + ", expected " + expected[i]);
      }
    }
    double exact = 0;
    for (int i = 0; i < n; i++) exact += distanceTerm(i, x, y);
    double sum = Compute.sum(n, Main::distanceTerm, x, y);
    ranOn(kind, "sum");
    // Terms are non-negative: the bound of Compute.sum is 1e-6 of their sum.
    if (Math.abs(sum - exact) > 1e-6 * exact) fail(WRONG_RESULT, kind + " kernel sum: " + sum + ", expected " + exact);
  }

  private static void ranOn(BackendKind kind, String op) {
    CallRecord last = Compute.lastCall();
    if (!last.op().equals(op)) fail(WRONG_RESULT, "the last call was " + last.op() + ", expected " + op);
    if (last.fellBack()) fail(WRONG_RESULT, kind + " " + op + " fell back: " + last.fallbackReason());
    if (kind != BackendKind.AUTO && !last.backend().equals(kind.id())) {
      fail(WRONG_RESULT, op + " ran on " + last.backend() + ", expected " + kind.id());
    }
  }

  private static Matrix random(Random random, int rows, int cols) {
    float[] values = new float[rows * cols];
    for (int i = 0; i < values.length; i++) values[i] = random.nextFloat() * 2 - 1;
    return Matrix.of(rows, cols, values);
  }

  static <T> T fail(int code, String why) {
    System.out.println("consumer: FAILED (" + code + "): " + why);
    System.exit(code);
    throw new AssertionError(why);
  }
}
