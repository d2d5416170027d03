package dev.pincette.benchmarks;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.ComputeOn;
import dev.pincette.HostMatrix;
import dev.pincette.Matrix;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A product of heap matrices against the same product of {@link HostMatrix}es (native memory, pinned when a GPU is
 * present), on each backend in one run: on a discrete GPU the host matrices skip the staging copies and the result's
 * allocation, and their transfers overlap the kernels.
 *
 * <pre>{@code java -jar benchmarks/target/benchmarks.jar HostMatrixBenchmark -p backend=cpu,opencl -p side=1024}</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
    "--sun-misc-unsafe-memory-access=allow", "-Dpincette.calibrate=false"})
public class HostMatrixBenchmark {
  @Param({"cpu", "opencl"})
  public String backend;

  @Param({"512"})
  public int side;

  private ComputeOn on;
  private Matrix a, b;
  private HostMatrix hostA, hostB, hostC;

  @Setup(Level.Trial)
  public void setUp() {
    on = Compute.on(BackendKind.parse(backend));
    SplittableRandom rnd = new SplittableRandom(7);
    a = Matrix.of(side, side, random(rnd, side * side));
    b = Matrix.of(side, side, random(rnd, side * side));
    hostA = on.hostMatrix(side, side).copyFrom(a);
    hostB = on.hostMatrix(side, side).copyFrom(b);
    hostC = on.hostMatrix(side, side);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    hostA.close();
    hostB.close();
    hostC.close();
  }

  private static float[] random(SplittableRandom rnd, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) v[i] = (float) rnd.nextDouble();
    return v;
  }

  @Benchmark
  public Matrix heapMatrices() {
    return on.matmul(a, b);
  }

  @Benchmark
  public HostMatrix hostMatrices() {
    return on.matmul(hostA, hostB, hostC);
  }
}
