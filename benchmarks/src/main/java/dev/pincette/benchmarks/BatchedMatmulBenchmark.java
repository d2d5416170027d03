package dev.pincette.benchmarks;

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
 * Many small products: one {@code Compute.batchedMatmul} call against a loop of single {@code Compute.matmul} calls.
 *
 * <pre>{@code java -jar benchmarks/target/benchmarks.jar BatchedMatmulBenchmark}</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Dpincette.backend=cpu"})
public class BatchedMatmulBenchmark {
  @Param({"10000"})
  public int count;

  @Param({"16"})
  public int side;

  private float[] a, b;

  @Setup(Level.Trial)
  public void setUp() {
    SplittableRandom rnd = new SplittableRandom(5);
    a = new float[count * side * side];
    b = new float[count * side * side];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) rnd.nextDouble();
      b[i] = (float) rnd.nextDouble();
    }
  }

  @Benchmark
  public float[] batched() {
    return Compute.batchedMatmul(a, b, count, side, side, side);
  }

  @Benchmark
  public float[] loopOfSingleCalls() {
    int s2 = side * side;
    float[] c = new float[count * s2];
    float[] ai = new float[s2], bi = new float[s2];
    for (int item = 0; item < count; item++) {
      System.arraycopy(a, item * s2, ai, 0, s2);
      System.arraycopy(b, item * s2, bi, 0, s2);
      System.arraycopy(Compute.matmul(ai, side, side, bi, side, side), 0, c, item * s2, s2);
    }
    return c;
  }
}
