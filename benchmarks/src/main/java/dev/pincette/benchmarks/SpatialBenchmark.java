package dev.pincette.benchmarks;

import dev.pincette.cpu.CpuBackend;
import dev.pincette.spi.SpatialIndex;
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
 * Spatial hash on the CPU: build, all-points radius search, and update when 1% of the points change cells, over
 * uniformly random 3D points in the unit cube with about 20 neighbours per point.
 *
 * <pre>{@code java -jar benchmarks/target/benchmarks.jar SpatialBenchmark}</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx8g"})
public class SpatialBenchmark {
  @Param({"1000000"})
  public int points;

  private float[] positions, moved;
  private float radius;
  private CpuBackend cpu;
  private SpatialIndex index;
  private boolean toggle;

  @Setup(Level.Trial)
  public void setUp() {
    SplittableRandom rnd = new SplittableRandom(4);
    positions = new float[points * 3];
    for (int i = 0; i < positions.length; i++) positions[i] = (float) rnd.nextDouble();
    radius = (float) Math.cbrt(20.0 / points * 3 / (4 * Math.PI));
    moved = positions.clone();
    for (int i = 0; i < points; i += 100) moved[i * 3] = (float) rnd.nextDouble();
    cpu = new CpuBackend();
    index = cpu.buildSpatial(positions.clone(), 3, radius);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    index.close();
    cpu.close();
  }

  /**
   * Builds and closes a map. Iterations here are bimodal: 24-55 ms or 180-240 ms, without GC in the slow ones; a
   * plain loop of builds with -XX:+AlwaysPreTouch took 30-32 ms each, so the slow mode looks like fresh memory.
   */
  @Benchmark
  public int build() {
    try (SpatialIndex built = cpu.buildSpatial(positions, 3, radius)) {
      return built.size();
    }
  }

  @Benchmark
  public SpatialIndex.Csr allPointsSearch() {
    return index.neighborsWithin(radius);
  }

  /** Alternates between the two clouds, which differ in 1% of the points. */
  @Benchmark
  public SpatialIndex updateOnePercent() {
    toggle = !toggle;
    index.update(toggle ? moved : positions);
    return index;
  }
}
