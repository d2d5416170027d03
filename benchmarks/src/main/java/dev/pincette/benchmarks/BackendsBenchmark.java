package dev.pincette.benchmarks;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.ComputeOn;
import dev.pincette.Matrix;
import dev.pincette.spatial.Neighbors;
import dev.pincette.spatial.SpatialHashMap;
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
 * Every op through {@link Compute} forced onto each backend (host arrays in, results out: what a caller waits for).
 * A backend that is not available fails its trial with the reason.
 *
 * <pre>{@code java -jar benchmarks/target/benchmarks.jar BackendsBenchmark -p backend=cpu,opencl}</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
    "--sun-misc-unsafe-memory-access=allow", "-Dpincette.calibrate=false"})
public class BackendsBenchmark {
  @Param({"cpu", "opencl"})
  public String backend;

  @Param({"512"})
  public int side;

  @Param({"4194304"})
  public int length;

  @Param({"65536"})
  public int points;

  private ComputeOn on;
  private Matrix a, b;
  private float[] x, y, batchA, batchB, cloud;
  private float radius;

  @Setup(Level.Trial)
  public void setUp() {
    on = Compute.on(BackendKind.parse(backend));
    SplittableRandom rnd = new SplittableRandom(6);
    a = Matrix.of(side, side, random(rnd, side * side));
    b = Matrix.of(side, side, random(rnd, side * side));
    x = random(rnd, length);
    y = random(rnd, length);
    batchA = random(rnd, 1000 * 256);
    batchB = random(rnd, 1000 * 256);
    cloud = random(rnd, 3 * points);
    radius = (float) Math.cbrt(20.0 / points * 3 / (4 * Math.PI));
  }

  private static float[] random(SplittableRandom rnd, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) v[i] = (float) rnd.nextDouble();
    return v;
  }

  @Benchmark
  public Matrix matmul() {
    return on.matmul(a, b);
  }

  @Benchmark
  public float[] batchedMatmul1000x16() {
    return on.batchedMatmul(batchA, batchB, 1000, 16, 16, 16);
  }

  @Benchmark
  public double sum() {
    return on.sum(x);
  }

  @Benchmark
  public double dot() {
    return on.dot(x, y);
  }

  @Benchmark
  public float max() {
    return on.max(x);
  }

  @Benchmark
  public Neighbors neighbours() {
    return on.call(() -> {
      try (SpatialHashMap map = SpatialHashMap.build(cloud, 3, radius)) {
        return map.neighborsWithin(radius);
      }
    });
  }
}
