package dev.pincette.benchmarks;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.ComputeOn;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;

/**
 * {@link KernelCpuBenchmark}'s comparison made robust to a loaded machine: each call of a kernel through
 * {@code Compute.on(CPU)} alternates with the same method in the hand-written parallel loop, so both see the same
 * load, and the medians of many pairs give the ratio (hand-written time / Pincette time: 1.0 is parity, the target is
 * at least 0.9).
 *
 * <pre>{@code java -cp benchmarks/target/benchmarks.jar dev.pincette.benchmarks.KernelCpuPairs [log2 n] [pairs]}</pre>
 */
public final class KernelCpuPairs {
  private KernelCpuPairs() {}

  public static void main(String[] args) {
    int n = 1 << (args.length > 0 ? Integer.parseInt(args[0]) : 22);
    int pairs = args.length > 1 ? Integer.parseInt(args[1]) : 201;
    int threads = Runtime.getRuntime().availableProcessors();
    int chunks = 4 * threads;
    ForkJoinPool pool = new ForkJoinPool(threads);
    ComputeOn cpu = Compute.on(BackendKind.CPU);
    SplittableRandom rnd = new SplittableRandom(7);
    float[] x = new float[n];
    float[] y = new float[n];
    float[] m = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) rnd.nextDouble();
      m[i] = (float) rnd.nextDouble();
    }
    int particles = n / 8;
    float[] positions = new float[3 * particles];
    for (int i = 0; i < positions.length; i++) positions[i] = (float) rnd.nextDouble() * 0.5f;
    int[] neighbours = new int[particles * KernelSamples.NEIGHBOURS];
    for (int i = 0; i < neighbours.length; i++) {
      neighbours[i] = Math.floorMod(i / KernelSamples.NEIGHBOURS + rnd.nextInt(-200, 200), particles);
    }
    float[] density = new float[particles];
    System.out.println(threads + " threads, n = " + n + ", " + pairs + " pairs");
    compare("saxpy", pairs, () -> cpu.forEach(n, KernelSamples::saxpy, 1.0001f, x, y),
        () -> pool.submit(() -> IntStream.range(0, chunks).parallel().forEach(c -> {
          for (int i = from(n, c, chunks), to = from(n, c + 1, chunks); i < to; i++) {
            KernelSamples.saxpy(i, 1.0001f, x, y);
          }
        })).join());
    compare("density", pairs / 4 + 1,
        () -> cpu.forEach(particles, KernelSamples::density, positions, neighbours, density),
        () -> pool.submit(() -> IntStream.range(0, chunks).parallel().forEach(c -> {
          for (int i = from(particles, c, chunks), to = from(particles, c + 1, chunks); i < to; i++) {
            KernelSamples.density(i, positions, neighbours, density);
          }
        })).join());
    double[] partial = new double[chunks];
    compare("energy", pairs, () -> cpu.sum(n, KernelSamples::energy, x, m),
        () -> pool.submit(() -> IntStream.range(0, chunks).parallel().forEach(c -> {
          double s = 0;
          for (int i = from(n, c, chunks), to = from(n, c + 1, chunks); i < to; i++) {
            s += KernelSamples.energy(i, x, m);
          }
          partial[c] = s;
        })).join());
    pool.shutdown();
  }

  private static int from(int n, int c, int chunks) {
    return (int) ((long) n * c / chunks);
  }

  private static void compare(String name, int pairs, Runnable pincette, Runnable handWritten) {
    // Warm both for 5 s: on a loaded machine the JIT's threads may take that long to compile either loop.
    long warm = System.nanoTime() + 5_000_000_000L;
    while (System.nanoTime() < warm) {
      pincette.run();
      handWritten.run();
    }
    long[] a = new long[pairs];
    long[] b = new long[pairs];
    for (int p = 0; p < pairs; p++) {
      long start = System.nanoTime();
      pincette.run();
      a[p] = System.nanoTime() - start;
      start = System.nanoTime();
      handWritten.run();
      b[p] = System.nanoTime() - start;
    }
    Arrays.sort(a);
    Arrays.sort(b);
    double pa = a[pairs / 2] / 1e6;
    double pb = b[pairs / 2] / 1e6;
    System.out.println(String.format(Locale.ROOT, "%-8s pincette %8.3f ms  hand-written %8.3f ms  ratio %.3f", name,
        pa, pb, pb / pa));
  }
}
