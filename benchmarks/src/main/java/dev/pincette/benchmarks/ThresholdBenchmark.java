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
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class ThresholdBenchmark {
  @Param({"8192", "16384", "32768", "65536", "131072", "262144"})
  public int sumLength;

  @Param({"24", "32", "48", "64", "96"})
  public int matmulSide;

  private float[] x, a, b;
  private CpuBackend serial, forking;

  @Setup(Level.Trial)
  public void setUp() {
    SplittableRandom rnd = new SplittableRandom(3);
    x = new float[sumLength];
    for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextDouble();
    a = new float[matmulSide * matmulSide];
    b = new float[matmulSide * matmulSide];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) rnd.nextDouble();
      b[i] = (float) rnd.nextDouble();
    }
    int threads = Runtime.getRuntime().availableProcessors();
    serial = new CpuBackend(threads, Integer.MAX_VALUE, Long.MAX_VALUE, VectorSupport.ENABLED);
    forking = new CpuBackend(threads, 1, 1, VectorSupport.ENABLED);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    serial.close();
    forking.close();
  }

  @Benchmark
  public double sumSerial() {
    return serial.sum(x);
  }

  @Benchmark
  public double sumForked() {
    return forking.sum(x);
  }

  @Benchmark
  public float[] matmulSerial() {
    return serial.matmul(a, b, matmulSide, matmulSide, matmulSide);
  }

  @Benchmark
  public float[] matmulForked() {
    return forking.matmul(a, b, matmulSide, matmulSide, matmulSide);
  }
}
