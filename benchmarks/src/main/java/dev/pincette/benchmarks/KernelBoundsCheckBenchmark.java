package dev.pincette.benchmarks;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the generated bounds checks cost on the OpenCL device: the same kernels translated with them (the default) and
 * without ({@code pincette.kernel.boundsChecks=false}, set here before the backend starts; each parameter value runs
 * in a JVM of its own). Whole calls are timed, transfers included, as users see them.
 *
 * <pre>{@code java -jar benchmarks/target/benchmarks.jar KernelBoundsCheckBenchmark}</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "-Dpincette.calibrate=false"})
public class KernelBoundsCheckBenchmark {
  @Param({"true", "false"})
  public String boundsChecks;

  @Param({"1048576"})
  public int n;

  private float[] x;
  private float[] y;
  private float[] positions;
  private int[] neighbours;
  private float[] density;

  @Setup(Level.Trial)
  public void setUp() {
    System.setProperty("pincette.kernel.boundsChecks", boundsChecks);
    SplittableRandom rnd = new SplittableRandom(7);
    x = new float[n];
    y = new float[n];
    for (int i = 0; i < n; i++) x[i] = (float) rnd.nextDouble();
    int particles = n / 8;
    positions = new float[3 * particles];
    for (int i = 0; i < positions.length; i++) positions[i] = (float) rnd.nextDouble() * 0.5f;
    neighbours = new int[particles * KernelSamples.NEIGHBOURS];
    for (int i = 0; i < neighbours.length; i++) {
      neighbours[i] = Math.floorMod(i / KernelSamples.NEIGHBOURS + rnd.nextInt(-200, 200), particles);
    }
    density = new float[particles];
  }

  @Benchmark
  public float[] saxpy() {
    Compute.on(BackendKind.OPENCL).forEach(n, KernelSamples::saxpy, 1.0001f, x, y);
    return y;
  }

  @Benchmark
  public float[] density() {
    Compute.on(BackendKind.OPENCL).forEach(density.length, KernelSamples::density, positions, neighbours, density);
    return density;
  }
}
