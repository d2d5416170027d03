package dev.pincette.internal;

import dev.pincette.Precision;
import dev.pincette.spi.Backend;
import dev.pincette.spi.BackendRefusedException;
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
  /** Longest warm-up of one calibration point: enough for C2 to compile a loop it has just started to run. */
  private static final long POINT_WARM_UP_NANOS = 25_000_000L;
  /** Families measured after the warm-up besides one matmul curve per faster precision; each gets an equal share. */
  private static final int FAMILIES = 4;

  private final Backend backend;
  /**
   * Whether the backend builds spatial maps: a device without float64 refuses them (the CPU then builds them all),
   * and the family is left out of its model, which then never places a map there.
   */
  private final boolean spatial;
  /** Precisions the backend computes faster than FP32, each calibrated as a matmul curve of its own. */
  private final List<Precision> faster;
  private final long deadline;
  /** When the family being measured must stop adding points (it keeps at least two). */
  private long familyDeadline;
  private int familiesLeft;
  private final SplittableRandom rnd = new SplittableRandom(11);

  Calibrator(Backend backend, double budgetSeconds) {
    this.backend = backend;
    this.spatial = buildsSpatial(backend);
    this.deadline = System.nanoTime() + (long) (budgetSeconds * 1e9);
    this.faster = backend.fasterPrecisions().stream().filter(p -> p != Precision.FP32).sorted().toList();
    this.familiesLeft = FAMILIES + faster.size() - (spatial ? 0 : 1);
  }

  private static boolean buildsSpatial(Backend backend) {
    try (SpatialIndex index = backend.buildSpatial(new float[3], 3, 1f)) {
      return true;
    } catch (BackendRefusedException e) {
      return false;
    }
  }

  BackendModel run() {
    warmUp();
    double overhead = median(9, () -> backend.sum(new float[16]));
    Map<String, Curve> curves = new TreeMap<>();
    curves.put(CallCost.REDUCE, measure(new int[] {1 << 12, 1 << 16, 1 << 20, 1 << 22}, overhead, n -> {
      float[] x = random(n);
      return new Sample(n, 4L * n + 8, () -> backend.sum(x));
    }));
    // From 128 up, where CPUs and GPUs cross over: smaller products reach compiled speed on the CPU only after some
    // 400 calls (48³ ran at 100 µs until call 300, then 11 µs), far beyond a calibration's budget. Below the first
    // point the curve scales with the work, and online correction refines what a cold JIT got wrong.
    curves.put(CallCost.MATMUL, measure(new int[] {128, 256, 512, 1024}, overhead, n -> {
      float[] a = random(n * n), b = random(n * n);
      return new Sample(2.0 * n * n * n, 12L * n * n, () -> backend.matmul(a, b, n, n, n));
    }));
    // A precision on matrix units reaches its speed at larger sizes than FP32: its curve goes one size further.
    for (Precision p : faster) {
      curves.put(CallCost.curve(CallCost.MATMUL, p), measure(new int[] {128, 256, 512, 1024, 2048}, overhead, n -> {
        float[] a = random(n * n), b = random(n * n);
        return new Sample(2.0 * n * n * n, 12L * n * n, () -> backend.matmul(a, b, n, n, n, p));
      }));
    }
    curves.put(CallCost.BATCHED, measure(new int[] {64, 1024, 8192}, overhead, count -> {
      float[] a = random(count * 256), b = random(count * 256);
      return new Sample(2.0 * count * 4096, 3L * count * 1024, () -> backend.batchedMatmul(a, b, count, 16, 16, 16));
    }));
    if (spatial) curves.put(CallCost.SPATIAL, measure(new int[] {1 << 10, 1 << 14, 1 << 17}, overhead, n -> {
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
   * would need hundreds of interpreted calls first), for about 200 ms.
   */
  private void warmUp() {
    float[] x = random(1 << 20), y = random(1 << 20);
    float[] a = random(192 * 192), b = random(192 * 192);
    float[] pos = random(3 * (1 << 14));
    long end = System.nanoTime() + 200_000_000L;
    do {
      backend.sum(x);
      backend.dot(x, y);
      backend.max(x);
      backend.matmul(a, b, 192, 192, 192);
      for (Precision p : faster) backend.matmul(a, b, 192, 192, 192, p);
      backend.batchedMatmul(a, b, 144, 16, 16, 16);
      if (spatial) {
        try (SpatialIndex index = backend.buildSpatial(pos.clone(), 3, 0.05f)) {
          index.neighborsWithin(0.05f);
        }
      }
    } while (System.nanoTime() < end);
  }

  private record Sample(double work, long bytes, java.util.function.Supplier<Object> call) {}

  private interface SampleFactory {
    Sample at(int size);
  }

  private Curve measure(int[] sizes, double overhead, SampleFactory factory) {
    List<double[]> points = new ArrayList<>();
    long now = System.nanoTime();
    familyDeadline = now + Math.max(0, deadline - now) / Math.max(1, familiesLeft--);
    double lastWork = 0;
    double lastSeconds = 0;
    for (int size : sizes) {
      Sample s = factory.at(size);
      // A point costs about seven calls (warm-up and five timed); skip one that would overrun the family's share.
      double expected = points.isEmpty() ? 0 : 7 * lastSeconds * s.work() / lastWork;
      if (points.size() >= 2 && System.nanoTime() + expected * 1e9 > familyDeadline) break;
      double seconds = median(5, s.call());
      lastWork = s.work();
      lastSeconds = seconds;
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
   * 25 ms; {@link #warmUp} has compiled the loops already): on a cold JVM the first calls run interpreted, 100x slower
   * than compiled, and would teach the model the JIT's speed instead of the backend's.
   */
  private static double median(int runs, java.util.function.Supplier<Object> call) {
    long warmEnd = System.nanoTime() + POINT_WARM_UP_NANOS;
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
