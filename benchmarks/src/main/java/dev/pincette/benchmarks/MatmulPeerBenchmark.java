package dev.pincette.benchmarks;

import dev.pincette.Compute;
import dev.pincette.Matrix;
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
 * A CPU product as a user gets it, {@code Compute.matmul(Matrix, Matrix)} with {@code pincette.backend=cpu} (the
 * result's allocation, validation, placement and the hand-off to the pool included), beside the CPU backend called
 * directly and OpenBLAS's SGEMM into a buffer it is given (see {@link OpenBlas} for which library), all with every
 * core, in one run. {@link MatmulPeerTable} runs it shape by shape and prints the ratios. Each call is timed (sample
 * mode), so the median and the fastest call can be read beside the mean on a machine shared with other work. The
 * cost model's calibration is off: with the backend forced it decides nothing, and on PoCL it would share the cores
 * with the measurement.
 *
 * <pre>{@code java -jar benchmarks/target/benchmarks.jar MatmulPeerBenchmark -p shape=1024x1024x1024}</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 6, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
    "--sun-misc-unsafe-memory-access=allow", "-Dpincette.backend=cpu", "-Dpincette.calibrate=false"})
public class MatmulPeerBenchmark {
  /** m x k x n. */
  @Param({"256x256x256", "512x512x512", "1024x1024x1024", "2048x2048x2048", "4096x4096x4096", "4096x64x4096",
      "64x4096x64", "8192x256x256"})
  public String shape;

  private int m, k, n;
  private float[] a, b;
  private Matrix ma, mb;
  private CpuBackend cpu;
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
    for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextDouble(-1, 1);
    for (int i = 0; i < b.length; i++) b[i] = (float) rnd.nextDouble(-1, 1);
    ma = Matrix.of(m, k, a);
    mb = Matrix.of(k, n, b);
    int cores = Runtime.getRuntime().availableProcessors();
    cpu = new CpuBackend();
    blas = new OpenBlas(cores);
    System.out.println("peer: OpenBLAS " + blas.description());
    arena = Arena.ofShared();
    na = arena.allocateFrom(ValueLayout.JAVA_FLOAT, a);
    nb = arena.allocateFrom(ValueLayout.JAVA_FLOAT, b);
    nc = arena.allocate(ValueLayout.JAVA_FLOAT, (long) m * n);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    cpu.close();
    blas.close();
    arena.close();
  }

  @Benchmark
  public Matrix publicApi() {
    return Compute.matmul(ma, mb);
  }

  @Benchmark
  public float[] backend() {
    return cpu.matmul(a, b, m, k, n);
  }

  /** What the JVM charges any Java API that returns a new result: allocating (and zeroing) the array of C alone. */
  @Benchmark
  public float[] resultAllocation() {
    return new float[m * n];
  }

  @Benchmark
  public MemorySegment openBlas() {
    blas.sgemm(na, nb, nc, m, k, n);
    return nc;
  }
}
