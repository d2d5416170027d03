package dev.pincette.benchmarks;

import dev.pincette.Compute;
import dev.pincette.Matrix;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The first products of a fresh JVM, each timed, then the steady speed: how soon {@code Compute.matmul} runs as fast
 * as it will. Run it in a JVM of its own; {@code pincette.backend} defaults to {@code cpu} here.
 *
 * <pre>{@code
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *     -cp benchmarks/target/benchmarks.jar dev.pincette.benchmarks.MatmulFirstProducts [side, 1024] [count, 10]
 * }</pre>
 */
public final class MatmulFirstProducts {
  private static final double STEADY_SECONDS = 3;

  private MatmulFirstProducts() {}

  public static void main(String[] args) {
    if (System.getProperty("pincette.backend") == null) System.setProperty("pincette.backend", "cpu");
    int side = args.length > 0 ? Integer.parseInt(args[0]) : 1024;
    int count = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    Matrix a = Matrix.of(side, side, uniform(side * side, 1));
    Matrix b = Matrix.of(side, side, uniform(side * side, 2));
    double flops = 2.0 * side * side * side;
    var runtime = ManagementFactory.getRuntimeMXBean();
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long up = runtime.getUptime();
    long start = System.nanoTime();
    Compute.currentBackend();
    System.out.printf(Locale.ROOT, "%d² products through Compute.matmul (backend %s), %d cores; JVM up %d ms, then"
        + " %.0f ms to start Pincette's backends (%s)%n", side, System.getProperty("pincette.backend"),
        Runtime.getRuntime().availableProcessors(), up, (System.nanoTime() - start) / 1e6,
        Compute.devices().stream().map(d -> d.backend() + (d.available() ? "" : " (unavailable)")).distinct().toList());
    for (int i = 1; i <= count; i++) {
      start = System.nanoTime();
      Compute.matmul(a, b);
      double ms = (System.nanoTime() - start) / 1e6;
      System.out.printf(Locale.ROOT, "product %2d: %8.2f ms  %6.0f GFLOP/s  (JVM up %d ms, %d ms of CPU)%n", i, ms,
          flops / ms / 1e6, runtime.getUptime(), os.getProcessCpuTime() / 1_000_000);
    }
    double[] steady = new double[100_000];
    int calls = 0;
    long end = System.nanoTime() + (long) (STEADY_SECONDS * 1e9);
    while (System.nanoTime() < end && calls < steady.length) {
      start = System.nanoTime();
      Compute.matmul(a, b);
      steady[calls++] = (System.nanoTime() - start) / 1e6;
    }
    double[] sorted = Arrays.copyOf(steady, calls);
    Arrays.sort(sorted);
    double median = sorted[calls / 2];
    System.out.printf(Locale.ROOT, "then %d products in %.0f s: median %.2f ms (%.0f GFLOP/s), fastest %.2f ms%n", calls,
        STEADY_SECONDS, median, flops / median / 1e6, sorted[0]);
    Compute.devices().stream().filter(d -> d.backend().equals("cpu")).forEach(d ->
        System.out.println("cpu: " + d.properties().get("simd") + "; warm-up: "
            + d.properties().getOrDefault("warm-up", "none")));
  }

  private static float[] uniform(int n, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = (float) rnd.nextDouble(-1, 1);
    return x;
  }
}
