package dev.pincette.benchmarks;

import dev.pincette.cpu.CpuBackend;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
 * CPU matmul beside OpenBLAS SGEMM in the same run, same thread count. GFLOP/s = 2·m·k·n / time.
 *
 * <pre>{@code java -jar benchmarks/target/benchmarks.jar MatmulBenchmark -p threads=1,2 -p shape=1024x1024x1024}</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class MatmulBenchmark {
  /** m x k x n. */
  @Param({"32x32x32", "64x64x64", "128x128x128", "512x512x512", "1024x1024x1024", "2048x2048x2048",
      "4096x4096x4096", "4096x64x4096", "64x4096x64"})
  public String shape;

  @Param({"2"})
  public int threads;

  private int m, k, n;
  private float[] a, b;
  private CpuBackend cpu;
  private CpuBackend scalar;
  private OpenBlas blas;
  private Arena arena;
  private MemorySegment na, nb, nc;

  @Setup(Level.Trial)
  public void setUp() {
    String[] p = shape.split("x");
    m = Integer.parseInt(p[0]);
    k = Integer.parseInt(p[1]);
    n = Integer.parseInt(p[2]);
    SplittableRandom rnd = new SplittableRandom(1);
    a = new float[m * k];
    b = new float[k * n];
    for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextDouble();
    for (int i = 0; i < b.length; i++) b[i] = (float) rnd.nextDouble();
    cpu = new CpuBackend(threads, CpuBackend.DEFAULT_REDUCE_SERIAL_BELOW, CpuBackend.DEFAULT_MATMUL_SERIAL_BELOW,
        dev.pincette.cpu.VectorSupport.ENABLED);
    scalar = new CpuBackend(threads, CpuBackend.DEFAULT_REDUCE_SERIAL_BELOW, CpuBackend.DEFAULT_MATMUL_SERIAL_BELOW,
        false);
    blas = new OpenBlas(threads);
    arena = Arena.ofShared();
    na = arena.allocateFrom(ValueLayout.JAVA_FLOAT, a);
    nb = arena.allocateFrom(ValueLayout.JAVA_FLOAT, b);
    nc = arena.allocate(ValueLayout.JAVA_FLOAT, (long) m * n);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    cpu.close();
    scalar.close();
    blas.close();
    arena.close();
  }

  @Benchmark
  public float[] pincetteCpu() {
    return cpu.matmul(a, b, m, k, n);
  }

  /** The path users get without {@code --add-modules jdk.incubator.vector}: blocked and parallel, no Vector API. */
  @Benchmark
  public float[] pincetteCpuScalar() {
    return scalar.matmul(a, b, m, k, n);
  }

  @Benchmark
  public MemorySegment openBlas() {
    blas.sgemm(na, nb, nc, m, k, n);
    return nc;
  }
}
