package dev.pincette.benchmarks;

import dev.pincette.cpu.CpuBackend;
import dev.pincette.cpu.VectorSupport;
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
 * Reductions against the machine's read bandwidth, measured in the same run by a parallel plain copy of the same
 * array ({@code copy} reads n floats and writes n: bandwidth = 8·n / time; a reduction reads 4·n, dot 8·n).
 *
 * <pre>{@code java -jar benchmarks/target/benchmarks.jar ReduceBenchmark}</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx8g"})
public class ReduceBenchmark {
  @Param({"268435456"})
  public int length;

  @Param({"2"})
  public int threads;

  private float[] x, y, copy;
  private CpuBackend cpu;
  private ForkJoinPool pool;

  @Setup(Level.Trial)
  public void setUp() {
    SplittableRandom rnd = new SplittableRandom(2);
    x = new float[length];
    y = new float[length];
    copy = new float[length];
    for (int i = 0; i < length; i++) {
      x[i] = (float) rnd.nextDouble();
      y[i] = (float) rnd.nextDouble();
    }
    cpu = new CpuBackend(threads, CpuBackend.DEFAULT_REDUCE_SERIAL_BELOW, CpuBackend.DEFAULT_MATMUL_SERIAL_BELOW,
        VectorSupport.ENABLED);
    pool = new ForkJoinPool(threads);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    cpu.close();
    pool.shutdown();
  }

  /** The bandwidth yardstick: each thread copies its slice with System.arraycopy. */
  @Benchmark
  public float[] copy() {
    int chunks = 4 * threads;
    pool.submit(() -> IntStream.range(0, chunks).parallel().forEach(c -> {
      int from = (int) ((long) length * c / chunks), to = (int) ((long) length * (c + 1) / chunks);
      System.arraycopy(x, from, copy, from, to - from);
    })).join();
    return copy;
  }

  @Benchmark
  public double sum() {
    return cpu.sum(x);
  }

  @Benchmark
  public float min() {
    return cpu.min(x);
  }

  @Benchmark
  public float max() {
    return cpu.max(x);
  }

  @Benchmark
  public double dot() {
    return cpu.dot(x, y);
  }
}
