package dev.pincette.benchmarks;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Per-point radii spanning two orders of magnitude (from r to 100·r, log-uniform or two particle sizes; the largest
 * reaches {@code largestNeighbours} neighbours) on uniformly random 3D points, on the CPU: a hierarchical map (one
 * level per doubling from r) against a single level sized for the largest radius (Pincette's, which visits only the
 * cells each radius reaches, and the textbook grid of {@link ClassicGrid}, which visits the 27 cells around every
 * point), and the counts-only search against listing the neighbours.
 *
 * <pre>{@code java -jar benchmarks/target/benchmarks.jar SpatialLevelsBenchmark}</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx8g",
    "--enable-native-access=ALL-UNNAMED", "-Dpincette.backend=cpu"})
public class SpatialLevelsBenchmark {
  @Param({"200000"})
  public int points;

  /** Neighbours of a point with the largest radius; the smallest radius, 100 times less, has 10^6 times fewer. */
  @Param({"2000"})
  public int largestNeighbours;

  /**
   * How the radii spread from r to 100·r: {@code logUniform}, or {@code mixed} (particles of two sizes: 99% at r,
   * 1% at 100·r).
   */
  @Param({"logUniform", "mixed"})
  public String radii;

  private float[] perPoint;
  private float smallRadius;
  private SpatialHashMap levels;
  private SpatialHashMap single;
  private SpatialHashMap fixed;
  private ClassicGrid classic;

  @Setup(Level.Trial)
  public void setUp() {
    SplittableRandom rnd = new SplittableRandom(5);
    float[] xyz = new float[points * 3];
    for (int i = 0; i < xyz.length; i++) xyz[i] = (float) rnd.nextDouble();
    float largest = (float) Math.cbrt((double) largestNeighbours / points * 3 / (4 * Math.PI));
    float smallest = largest / 100;
    perPoint = new float[points];
    for (int i = 0; i < points; i++) {
      perPoint[i] = radii.equals("mixed") ? (rnd.nextInt(100) == 0 ? largest : smallest)
          : (float) (smallest * Math.pow(100, rnd.nextDouble()));
    }
    smallRadius = (float) Math.cbrt(20.0 / points * 3 / (4 * Math.PI));
    levels = Compute.on(BackendKind.CPU).call(() -> SpatialHashMap.forRadii(xyz, 3, smallest, largest));
    single = Compute.on(BackendKind.CPU).call(() -> SpatialHashMap.build(xyz, 3, largest));
    fixed = Compute.on(BackendKind.CPU).call(() -> SpatialHashMap.build(xyz, 3, smallRadius));
    classic = new ClassicGrid(xyz, largest);
    Neighbors expected = levels.neighborsWithin(perPoint);
    int[][] got = classic.neighborsWithin(perPoint);
    if (!java.util.Arrays.equals(expected.offsets(), got[0]) || !java.util.Arrays.equals(expected.indices(), got[1])) {
      throw new IllegalStateException("the classic grid's lists differ from the map's");
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    levels.close();
    single.close();
    fixed.close();
  }

  @Benchmark
  public Neighbors perPointRadiiHierarchical() {
    return levels.neighborsWithin(perPoint);
  }

  @Benchmark
  public Neighbors perPointRadiiSingleLevel() {
    return single.neighborsWithin(perPoint);
  }

  /** The textbook single level: cells of the largest radius, 27 of them scanned for every point. */
  @Benchmark
  public int[][] perPointRadiiClassicGrid() {
    return classic.neighborsWithin(perPoint);
  }

  /** About 20 neighbours per point: the lists. */
  @Benchmark
  public Neighbors fixedRadiusLists() {
    return fixed.neighborsWithin(smallRadius);
  }

  /** The same search counting only. */
  @Benchmark
  public int[] fixedRadiusCounts() {
    return fixed.neighborCounts(smallRadius);
  }

  /** The same search as a stream of pairs on one thread, nothing stored. */
  @Benchmark
  public long fixedRadiusPairs() {
    long[] sum = new long[1];
    fixed.forEachPair(smallRadius, (i, j) -> sum[0] += i ^ j);
    return sum[0];
  }
}
