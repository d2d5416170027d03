package dev.pincette.benchmarks;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.ComputeOn;
import java.util.SplittableRandom;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Kernels on the CPU backend through {@code Compute.on(CPU)} against the same methods in a hand-written parallel loop
 * (a ForkJoin pool of as many threads as the backend's, {@code 4·threads} chunks, each a plain {@code for} over the
 * method): the target is at least 0.9 times the hand-written loop's speed.
 *
 * <pre>{@code java -jar benchmarks/target/benchmarks.jar KernelCpuBenchmark}</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 6, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g", "-Dpincette.calibrate=false"})
public class KernelCpuBenchmark {
  @Param({"4194304"})
  public int n;

  private final ComputeOn cpu = Compute.on(BackendKind.CPU);
  private ForkJoinPool pool;
  private int chunks;
  private float[] x;
  private float[] y;
  private float[] positions;
  private int[] neighbours;
  private float[] density;
  private float[] mass;

  @Setup(Level.Trial)
  public void setUp() {
    int threads = Runtime.getRuntime().availableProcessors();
    pool = new ForkJoinPool(threads);
    chunks = 4 * threads;
    SplittableRandom rnd = new SplittableRandom(7);
    x = new float[n];
    y = new float[n];
    mass = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) rnd.nextDouble();
      y[i] = (float) rnd.nextDouble();
      mass[i] = (float) rnd.nextDouble();
    }
    int particles = n / 8;
    positions = new float[3 * particles];
    for (int i = 0; i < positions.length; i++) positions[i] = (float) rnd.nextDouble() * 0.5f;
    neighbours = new int[particles * KernelSamples.NEIGHBOURS];
    for (int i = 0; i < neighbours.length; i++) {
      // Mostly near neighbours in index order, as a cell-sorted neighbour list is.
      int p = i / KernelSamples.NEIGHBOURS;
      neighbours[i] = Math.floorMod(p + rnd.nextInt(-200, 200), particles);
    }
    density = new float[particles];
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    pool.shutdown();
  }

  private interface Range {
    void run(int from, int to);
  }

  private void handWritten(int count, Range body) {
    pool.submit(() -> IntStream.range(0, chunks).parallel()
        .forEach(c -> body.run((int) ((long) count * c / chunks), (int) ((long) count * (c + 1) / chunks)))).join();
  }

  @Benchmark
  public float[] saxpyPincette() {
    cpu.forEach(n, KernelSamples::saxpy, 1.0001f, x, y);
    return y;
  }

  @Benchmark
  public float[] saxpyHandWritten() {
    handWritten(n, (from, to) -> {
      for (int i = from; i < to; i++) KernelSamples.saxpy(i, 1.0001f, x, y);
    });
    return y;
  }

  @Benchmark
  public float[] densityPincette() {
    cpu.forEach(density.length, KernelSamples::density, positions, neighbours, density);
    return density;
  }

  @Benchmark
  public float[] densityHandWritten() {
    handWritten(density.length, (from, to) -> {
      for (int i = from; i < to; i++) KernelSamples.density(i, positions, neighbours, density);
    });
    return density;
  }

  @Benchmark
  public double energyPincette() {
    return cpu.sum(n, KernelSamples::energy, x, mass);
  }

  @Benchmark
  public double energyHandWritten() {
    double[] partial = new double[chunks];
    pool.submit(() -> IntStream.range(0, chunks).parallel().forEach(c -> {
      double s = 0;
      for (int i = (int) ((long) n * c / chunks), to = (int) ((long) n * (c + 1) / chunks); i < to; i++) {
        s += KernelSamples.energy(i, x, mass);
      }
      partial[c] = s;
    })).join();
    double total = 0;
    for (double p : partial) total += p;
    return total;
  }
}
