package dev.pincette.benchmarks;

import dev.pincette.cpu.CpuBackend;
import dev.pincette.cpu.VectorSupport;
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
 * Where forking starts to pay: the same op on a backend that always runs serially and one that always forks. The
 * CPU backend's {@code DEFAULT_*_SERIAL_BELOW} constants come from the crossover of these two.
 *
 * <pre>{@code java -jar benchmarks/target/benchmarks.jar ThresholdBenchmark}</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class ThresholdBenchmark {
  /** Two backends: one never forks, one always does. */
  @State(Scope.Benchmark)
  public static class Backends {
    CpuBackend serial, forking;

    @Setup(Level.Trial)
    public void setUp() {
      int threads = Runtime.getRuntime().availableProcessors();
      serial = new CpuBackend(threads, Integer.MAX_VALUE, Long.MAX_VALUE, VectorSupport.ENABLED);
      forking = new CpuBackend(threads, 1, 1, VectorSupport.ENABLED);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      serial.close();
      forking.close();
    }
  }

  @State(Scope.Benchmark)
  public static class SumInput {
    @Param({"65536", "131072", "262144", "524288", "1048576", "2097152"})
    public int length;

    float[] x;

    @Setup(Level.Trial)
    public void setUp() {
      x = random(length, 3);
    }
  }

  @State(Scope.Benchmark)
  public static class MatmulInput {
    @Param({"32", "64", "96", "128", "160", "192"})
    public int side;

    float[] a, b;

    @Setup(Level.Trial)
    public void setUp() {
      a = random(side * side, 4);
      b = random(side * side, 5);
    }
  }

  static float[] random(int n, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = (float) rnd.nextDouble();
    return x;
  }

  @Benchmark
  public double sumSerial(Backends b, SumInput in) {
    return b.serial.sum(in.x);
  }

  @Benchmark
  public double sumForked(Backends b, SumInput in) {
    return b.forking.sum(in.x);
  }

  @Benchmark
  public float[] matmulSerial(Backends b, MatmulInput in) {
    return b.serial.matmul(in.a, in.b, in.side, in.side, in.side);
  }

  @Benchmark
  public float[] matmulForked(Backends b, MatmulInput in) {
    return b.forking.matmul(in.a, in.b, in.side, in.side, in.side);
  }
}
