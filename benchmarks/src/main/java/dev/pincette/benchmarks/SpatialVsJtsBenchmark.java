package dev.pincette.benchmarks;

import dev.pincette.cpu.CpuBackend;
import dev.pincette.spi.SpatialIndex;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.locationtech.jts.geom.Envelope;
import org.locationtech.jts.index.ItemVisitor;
import org.locationtech.jts.index.strtree.STRtree;
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
 * Pincette's CPU spatial hash against JTS's {@code STRtree}, the R-tree a Java user would reach for, on the same
 * uniformly random 3D points (about 20 neighbours each) and the same queries: build, and every point's neighbours
 * within the radius. JTS indexes envelopes in 2D, so its query is the square around (x, y) and each candidate is
 * then tested with the same 3D distance; both sides use every core (JTS through a parallel stream over the points,
 * which its built tree allows).
 *
 * <pre>{@code java -jar benchmarks/target/benchmarks.jar SpatialVsJtsBenchmark}</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx12g"})
public class SpatialVsJtsBenchmark {
  @Param({"1000000"})
  public int points;

  private float[] positions;
  private float radius;
  private CpuBackend cpu;
  private SpatialIndex index;
  private STRtree tree;

  @Setup(Level.Trial)
  public void setUp() {
    SplittableRandom rnd = new SplittableRandom(4);
    positions = new float[points * 3];
    for (int i = 0; i < positions.length; i++) positions[i] = (float) rnd.nextDouble();
    radius = (float) Math.cbrt(20.0 / points * 3 / (4 * Math.PI));
    cpu = new CpuBackend();
    index = cpu.buildSpatial(positions.clone(), 3, radius);
    tree = jtsBuild();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    index.close();
    cpu.close();
  }

  @Benchmark
  public SpatialIndex pincetteBuild() {
    SpatialIndex built = cpu.buildSpatial(positions.clone(), 3, radius);
    built.close();
    return built;
  }

  @Benchmark
  public STRtree jtsBuild() {
    STRtree t = new STRtree();
    for (int i = 0; i < points; i++) {
      double x = positions[3 * i], y = positions[3 * i + 1];
      t.insert(new Envelope(x, x, y, y), i);
    }
    t.build();
    return t;
  }

  @Benchmark
  public long pincetteAllPoints() {
    return index.neighborsWithin(radius).indices().length;
  }

  @Benchmark
  public long jtsAllPoints() {
    double r2 = (double) radius * radius;
    return IntStream.range(0, points).parallel().mapToLong(i -> {
      double x = positions[3 * i], y = positions[3 * i + 1], z = positions[3 * i + 2];
      long[] found = new long[1];
      ItemVisitor visitor = item -> {
        int j = (Integer) item;
        if (j == i) return;
        double dx = positions[3 * j] - x, dy = positions[3 * j + 1] - y, dz = positions[3 * j + 2] - z;
        if (dx * dx + dy * dy + dz * dz <= r2) found[0]++;
      };
      tree.query(new Envelope(x - radius, x + radius, y - radius, y + radius), visitor);
      return found[0];
    }).sum();
  }
}
