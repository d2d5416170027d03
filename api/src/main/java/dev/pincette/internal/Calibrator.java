package dev.pincette.internal;

import dev.pincette.spi.Backend;
import dev.pincette.spi.SpatialIndex;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Short micro-benchmarks of one backend through the SPI, as a caller would see them (transfers included), fitted
 * into a {@link BackendModel}. Stays within a time budget: sizes not reached in time are left to the curve's
 * extrapolation and to online correction.
 */
final class Calibrator {
  private final Backend backend;
  private final long deadline;
  private final SplittableRandom rnd = new SplittableRandom(11);

  Calibrator(Backend backend, double budgetSeconds) {
    this.backend = backend;
    this.deadline = System.nanoTime() + (long) (budgetSeconds * 1e9);
  }

  BackendModel run() {
    warmUp();
    double overhead = median(9, () -> backend.sum(new float[16]));
    Map<String, Curve> curves = new TreeMap<>();
    curves.put(CallCost.REDUCE, measure(new int[] {1 << 12, 1 << 16, 1 << 20, 1 << 22}, overhead, n -> {
      float[] x = random(n);
      return new Sample(n, 4L * n + 8, () -> backend.sum(x));
    }));
    curves.put(CallCost.MATMUL, measure(new int[] {16, 48, 128, 256, 512}, overhead, n -> {
      float[] a = random(n * n), b = random(n * n);
      return new Sample(2.0 * n * n * n, 12L * n * n, () -> backend.matmul(a, b, n, n, n));
    }));
    curves.put(CallCost.BATCHED, measure(new int[] {64, 1024, 8192}, overhead, count -> {
      float[] a = random(count * 256), b = random(count * 256);
      return new Sample(2.0 * count * 4096, 3L * count * 1024, () -> backend.batchedMatmul(a, b, count, 16, 16, 16));
    }));
    curves.put(CallCost.SPATIAL, measure(new int[] {1 << 10, 1 << 14, 1 << 17}, overhead, n -> {
      float[] pos = random(3 * n);
      float radius = (float) Math.cbrt(20.0 / n * 3 / (4 * Math.PI));
      return new Sample(n, 12L * n + 80L * n, () -> {
        try (SpatialIndex index = backend.buildSpatial(pos.clone(), 3, radius)) {
          return index.neighborsWithin(radius);
        }
      });
    }));
    return new BackendModel(backend.calibrationKey(), overhead, backend.transferBytesPerSecond(), curves);
  }

  /**
   * Runs every op on inputs large enough that their loops get compiled by the JIT within a few calls (small inputs
   * would need thousands of interpreted calls first), for about 250 ms.
   */
  private void warmUp() {
    float[] x = random(1 << 20), y = random(1 << 20);
    float[] a = random(192 * 192), b = random(192 * 192);
    float[] pos = random(3 * (1 << 14));
    long end = System.nanoTime() + 250_000_000L;
    do {
      backend.sum(x);
      backend.dot(x, y);
      backend.max(x);
      backend.matmul(a, b, 192, 192, 192);
      backend.matmul(a, b, 48, 48, 48);
      backend.batchedMatmul(a, b, 144, 16, 16, 16);
      try (SpatialIndex index = backend.buildSpatial(pos.clone(), 3, 0.05f)) {
        index.neighborsWithin(0.05f);
      }
    } while (System.nanoTime() < end);
  }

  private record Sample(double work, long bytes, java.util.function.Supplier<Object> call) {}

  private interface SampleFactory {
    Sample at(int size);
  }

  private Curve measure(int[] sizes, double overhead, SampleFactory factory) {
    List<double[]> points = new ArrayList<>();
    for (int size : sizes) {
      if (!points.isEmpty() && System.nanoTime() > deadline) break;
      Sample s = factory.at(size);
      double seconds = median(5, s.call());
      double transfer = backend.transferBytesPerSecond() == Double.POSITIVE_INFINITY ? 0
          : s.bytes() / backend.transferBytesPerSecond();
      points.add(new double[] {s.work(), Math.max(seconds - overhead - transfer, seconds * 0.05)});
    }
    double[] w = new double[points.size()], t = new double[points.size()];
    for (int i = 0; i < w.length; i++) {
      w[i] = points.get(i)[0];
      t[i] = points.get(i)[1];
    }
    return new Curve(w, t);
  }

  /**
   * Median wall time of {@code runs} calls after a warm-up that lasts until the call's time stops falling (at most
   * 150 ms): on a cold JVM the first calls run interpreted, 100x slower than compiled, and would teach the model the
   * JIT's speed instead of the backend's.
   */
  private static double median(int runs, java.util.function.Supplier<Object> call) {
    long warmEnd = System.nanoTime() + 150_000_000L;
    double best = Double.POSITIVE_INFINITY;
    int steady = 0;
    while (steady < 5 && System.nanoTime() < warmEnd) {
      long start = System.nanoTime();
      call.get();
      double t = (System.nanoTime() - start) * 1e-9;
      steady = t < 1.3 * best ? steady + 1 : 0;
      best = Math.min(best, t);
    }
    double[] t = new double[runs];
    for (int i = 0; i < runs; i++) {
      long start = System.nanoTime();
      call.get();
      t[i] = (System.nanoTime() - start) * 1e-9;
    }
    java.util.Arrays.sort(t);
    return t[runs / 2];
  }

  private float[] random(int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = (float) rnd.nextDouble();
    return x;
  }
}
