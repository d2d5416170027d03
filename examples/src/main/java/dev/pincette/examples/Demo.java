package dev.pincette.examples;

import dev.pincette.BackendKind;
import dev.pincette.CallRecord;
import dev.pincette.Compute;
import dev.pincette.DeviceInfo;
import dev.pincette.Matrix;
import dev.pincette.spatial.Neighbors;
import dev.pincette.spatial.SpatialHashMap;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * The main demo: every op on every available backend, auto's choice, and a one-line verdict per op.
 *
 * <pre>{@code ./pincette demo}</pre>
 */
public final class Demo {
  private final PrintStream out;
  private final int scale;

  /** {@code scale} 1 is the full demo; larger values shrink the problems (for tests and slow machines). */
  public Demo(PrintStream out, int scale) {
    this.out = out;
    this.scale = Math.max(1, scale);
  }

  public static void main(String[] args) {
    new Demo(System.out, 1).run();
  }

  /**
   * Runs the demo; returns the number of ops whose results disagreed between backends or that could not be compared
   * because a backend fell back to the CPU (0 when all is well, also when the CPU is the only backend).
   */
  public int run() {
    out.println("Pincette demo: each op on every available backend, then where auto places it.");
    out.println();
    List<BackendKind> kinds = new ArrayList<>(List.of(BackendKind.CPU));
    for (DeviceInfo d : Compute.devices()) {
      out.println("  device  " + d);
      if (d.backend().equals("opencl") && d.available() && !kinds.contains(BackendKind.OPENCL)) {
        kinds.add(BackendKind.OPENCL);
      }
    }
    if (!kinds.contains(BackendKind.OPENCL)) out.println("  (no OpenCL device: the demo runs on the CPU only)");
    else if (!dev.pincette.internal.Dispatcher.get().costModel().awaitCalibration(0)) {
      out.println("  (calibrating the cost model, about two seconds, once per device)");
      dev.pincette.internal.Dispatcher.get().costModel().awaitCalibration(30);
    }
    out.println();
    SplittableRandom rnd = new SplittableRandom(42);
    int n = 1024 / scale;
    Matrix a = randomMatrix(rnd, n, n);
    Matrix b = randomMatrix(rnd, n, n);
    Matrix small = randomMatrix(rnd, 32, 32);
    float[] x = randomArray(rnd, (1 << 24) / scale);
    float[] y = randomArray(rnd, (1 << 24) / scale);
    int points = 200_000 / scale;
    float[] cloud = randomArray(rnd, points * 3);
    float radius = (float) Math.cbrt(20.0 / points * 3 / (4 * Math.PI));

    int[] outcomes = new int[3];
    outcomes[op("matmul", n + "x" + n + " · " + n + "x" + n, kinds, () -> Compute.matmul(a, b),
        c -> String.format(Locale.ROOT, "c[0,0]=%.4f", c.get(0, 0)), (c, d) -> close(c, d, n))]++;
    outcomes[op("matmul", "32x32 · 32x32", kinds, () -> Compute.matmul(small, small),
        c -> String.format(Locale.ROOT, "c[0,0]=%.4f", c.get(0, 0)), (c, d) -> close(c, d, 32))]++;
    outcomes[op("sum", "n=" + x.length, kinds, () -> Compute.sum(x),
        s -> String.format(Locale.ROOT, "%.3f", s), (s, t) -> Math.abs(s - t) <= 1e-6 * x.length)]++;
    outcomes[op("dot", "n=" + x.length, kinds, () -> Compute.dot(x, y),
        s -> String.format(Locale.ROOT, "%.3f", s), (s, t) -> Math.abs(s - t) <= 1e-6 * x.length)]++;
    outcomes[op("max", "n=" + x.length, kinds, () -> Compute.max(x), v -> Float.toString(v), Float::equals)]++;
    outcomes[op("neighbours", points + " points 3D, r=" + String.format(Locale.ROOT, "%.4f", radius), kinds,
        () -> {
          try (SpatialHashMap map = SpatialHashMap.build(cloud, 3, radius)) {
            return map.neighborsWithin(radius);
          }
        }, nb -> String.format(Locale.ROOT, "%.1f neighbours/point", (double) nb.totalPairs() / nb.size()),
        (p, q) -> java.util.Arrays.equals(p.indices(), q.indices()))]++;
    out.println();
    if (outcomes[DISAGREED] > 0) out.println(outcomes[DISAGREED] + " op(s) disagreed between backends!");
    if (outcomes[NOT_COMPARED] > 0) {
      out.println(outcomes[NOT_COMPARED] + " op(s) could not be compared: a backend fell back to the cpu.");
    }
    if (outcomes[DISAGREED] + outcomes[NOT_COMPARED] == 0) {
      out.println(kinds.size() > 1 ? "All backends agree." : "Only the cpu is available: nothing to compare.");
    }
    return outcomes[DISAGREED] + outcomes[NOT_COMPARED];
  }

  /** What {@link #op} found: the results agreed (or there was one backend), disagreed, or could not be compared. */
  private static final int AGREED = 0, DISAGREED = 1, NOT_COMPARED = 2;

  private interface Agree<T> {
    boolean test(T a, T b);
  }

  private <T> int op(String name, String shape, List<BackendKind> kinds, Supplier<T> call,
      java.util.function.Function<T, String> show, Agree<T> agree) {
    Map<String, Double> times = new LinkedHashMap<>();
    T first = null;
    boolean agreed = true;
    boolean compared = true;
    for (BackendKind kind : kinds) {
      T result = Compute.on(kind).call(call);
      // Where the result came from: a call that fell back to the cpu compares the cpu with itself.
      CallRecord rec = Compute.lastCall();
      compared &= rec != null && rec.backend().equals(kind.id());
      double seconds = dev.pincette.examples.bench.Bench.median(() -> Compute.on(kind).call(call), 0.4);
      String ran = rec == null ? kind.id() : rec.backend() + (rec.fellBack() ? " (fell back: " + rec.fallbackReason()
          + ")" : "");
      times.put(kind.id(), seconds);
      if (first == null) first = result;
      else agreed &= agree.test(first, result);
      out.printf(Locale.ROOT, "  %-10s %-34s %-8s %10s   %s%n", name, shape, ran, formatTime(seconds),
          show.apply(result));
    }
    dev.pincette.Explanation plan = Compute.explain(call::get);
    double predicted = plan.predictions().stream().filter(p -> p.backend().equals(plan.chosen()))
        .mapToDouble(dev.pincette.Prediction::totalSeconds).findFirst().orElse(Double.NaN);
    long start = System.nanoTime();
    call.get();
    double measured = (System.nanoTime() - start) * 1e-9;
    CallRecord auto = Compute.lastCall();
    String chosen = auto == null ? "cpu" : auto.backend();
    String fastest = times.entrySet().stream().min(Map.Entry.comparingByValue()).orElseThrow().getKey();
    String timing = String.format(Locale.ROOT, "predicted %s, measured %s", Double.isNaN(predicted) || predicted == 0
        ? "-" : formatTime(predicted), formatTime(measured));
    String verdict = chosen.equals(fastest) ? "auto chose " + chosen + " (" + timing + "): the fastest"
        : String.format(Locale.ROOT, "auto chose %s (%s); %s was %.1fx faster here", chosen, timing, fastest,
            times.getOrDefault(chosen, Double.NaN) / times.get(fastest));
    out.printf(Locale.ROOT, "  %-10s -> %s%s%n", name, verdict, !compared ? "  NOT COMPARED: a backend fell back"
        : agreed ? "" : "  RESULTS DISAGREE");
    return !compared ? NOT_COMPARED : agreed ? AGREED : DISAGREED;
  }

  static String formatTime(double seconds) {
    if (seconds < 1e-3) return String.format(Locale.ROOT, "%.1f us", seconds * 1e6);
    if (seconds < 1) return String.format(Locale.ROOT, "%.2f ms", seconds * 1e3);
    return String.format(Locale.ROOT, "%.2f s", seconds);
  }

  private static boolean close(Matrix c, Matrix d, int k) {
    for (int i = 0; i < c.rows(); i++) {
      for (int j = 0; j < c.cols(); j++) {
        if (Math.abs(c.get(i, j) - d.get(i, j)) > 2 * (k + 2) * 0x1p-24 * k) return false;
      }
    }
    return true;
  }

  static Matrix randomMatrix(SplittableRandom rnd, int rows, int cols) {
    return Matrix.of(rows, cols, randomArray(rnd, rows * cols));
  }

  static float[] randomArray(SplittableRandom rnd, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = (float) rnd.nextDouble();
    return x;
  }
}
