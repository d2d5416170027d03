package dev.pincette.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pincette.kernels.SpatialOp;
import dev.pincette.spatial.Neighbors;
import dev.pincette.spatial.SpatialHashMap;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * Property checks of {@link SpatialHashMap} against brute force, over generated point clouds: uniform, clustered, all
 * in one cell, far apart (hash keys that collide), and on a grid with neighbours exactly on the radius. Every check
 * runs after build and again after a sequence of updates, on single-level and hierarchical maps. Seeds are fixed, so
 * a failure names the case that reproduces it. {@code placed} runs the map's calls where the test wants them.
 */
public final class SpatialProperties {
  private SpatialProperties() {}

  /** A generated cloud: its name (for messages), dimensions, positions and a radius with ~10 neighbours. */
  public record Cloud(String name, int dims, float[] xyz, float radius) {
    @Override
    public String toString() {
      return name + " " + dims + "D n=" + xyz.length / dims;
    }
  }

  /** The clouds every backend is checked on: each kind in 2D and 3D, from fixed seeds. */
  public static List<Cloud> clouds() {
    List<Cloud> out = new ArrayList<>();
    for (int dims : new int[] {2, 3}) {
      for (long seed = 1; seed <= 2; seed++) {
        out.add(uniform(dims, 400, seed));
        out.add(clustered(dims, 400, seed));
      }
      out.add(oneCell(dims, 120, 7));
      out.add(farApart(dims, 150, 8));
      out.add(grid(dims));
    }
    return out;
  }

  static Cloud uniform(int dims, int n, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] xyz = new float[n * dims];
    for (int i = 0; i < xyz.length; i++) xyz[i] = (float) rnd.nextDouble();
    return new Cloud("uniform#" + seed, dims, xyz, radiusFor(dims, n, 1.0));
  }

  static Cloud clustered(int dims, int n, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[][] centers = new float[5][dims];
    for (float[] c : centers) {
      for (int d = 0; d < dims; d++) c[d] = (float) rnd.nextDouble();
    }
    float[] xyz = new float[n * dims];
    for (int i = 0; i < n; i++) {
      float[] c = centers[rnd.nextInt(centers.length)];
      for (int d = 0; d < dims; d++) xyz[i * dims + d] = c[d] + (float) (0.03 * nextGaussian(rnd));
    }
    return new Cloud("clustered#" + seed, dims, xyz, 0.02f);
  }

  static Cloud oneCell(int dims, int n, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] xyz = new float[n * dims];
    for (int i = 0; i < xyz.length; i++) xyz[i] = 0.5f + (float) (0.001 * rnd.nextDouble());
    return new Cloud("one-cell", dims, xyz, 0.0005f);
  }

  static Cloud farApart(int dims, int n, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] xyz = new float[n * dims];
    for (int i = 0; i < n; i++) {
      // Pairs of close points scattered over ±1e6: distinct cells whose hashes collide in small tables.
      float base = (float) ((rnd.nextDouble() * 2 - 1) * 1e6);
      for (int d = 0; d < dims; d++) xyz[i * dims + d] = base + (i % 2 == 1 ? 0.5f : 0f) * (d == 0 ? 1 : 0);
      if (i % 2 == 1) System.arraycopy(xyz, (i - 1) * dims, xyz, i * dims, dims);
      if (i % 2 == 1) xyz[i * dims] += 0.5f;
    }
    return new Cloud("far-apart", dims, xyz, 0.75f);
  }

  static Cloud grid(int dims) {
    int side = dims == 2 ? 20 : 7;
    int n = (int) Math.pow(side, dims);
    float[] xyz = new float[n * dims];
    for (int i = 0; i < n; i++) {
      int rest = i;
      for (int d = 0; d < dims; d++) {
        xyz[i * dims + d] = rest % side;
        rest /= side;
      }
    }
    // Radius exactly the spacing: the axis neighbours lie exactly on it and must be included.
    return new Cloud("grid", dims, xyz, 1f);
  }

  private static float radiusFor(int dims, int n, double neighbours) {
    double volume = neighbours / n;
    return (float) (dims == 2 ? Math.sqrt(volume / Math.PI) : Math.cbrt(volume * 3 / (4 * Math.PI))) * 2;
  }

  private static double nextGaussian(SplittableRandom rnd) {
    double u = Math.max(1e-12, rnd.nextDouble());
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd.nextDouble());
  }

  /**
   * Checks every query of single-level and hierarchical maps over {@code cloud}, after build and after updates, and
   * that every level stays on {@code backend} throughout (a level that moved to the CPU would be checked on the CPU).
   */
  public static void check(Cloud cloud, java.util.function.Function<Supplier<SpatialHashMap>, SpatialHashMap> placed,
      String backend) {
    float r = cloud.radius;
    float[][] cellSizes = {{r}, {r / 4, r / 2, r, 2 * r, 4 * r}};
    for (float[] cells : cellSizes) {
      float[] xyz = cloud.xyz.clone();
      try (SpatialHashMap map = placed.apply(() -> SpatialHashMap.build(xyz, cloud.dims, cells))) {
        String what = cloud + ", " + cells.length + " level(s)";
        List<String> everyLevel = java.util.Collections.nCopies(cells.length, backend);
        assertEquals(everyLevel, map.levelBackends(), what + ", built");
        checkAll(map, xyz, cloud, what + ", built");
        assertEquals(everyLevel, map.levelBackends(), what + ", after the searches");
        SplittableRandom rnd = new SplittableRandom(xyz.length);
        for (int step = 0; step < 3; step++) {
          for (int i = 0; i < xyz.length / cloud.dims; i++) {
            if (rnd.nextInt(4) != 0) continue;
            for (int d = 0; d < cloud.dims; d++) xyz[i * cloud.dims + d] += (float) ((rnd.nextDouble() - 0.5) * r * 3);
          }
          map.update(xyz);
          checkAll(map, xyz, cloud, what + ", after update " + (step + 1));
          assertEquals(everyLevel, map.levelBackends(), what + ", after update " + (step + 1));
        }
      }
    }
  }

  private static void checkAll(SpatialHashMap map, float[] xyz, Cloud cloud, String what) {
    int dims = cloud.dims;
    int n = xyz.length / dims;
    float r = cloud.radius;
    for (float radius : new float[] {r / 3, r, 3 * r}) {
      int[][] expected = SpatialOp.neighborsReference(xyz, dims, radius);
      assertLists(expected, map.neighborsWithin(radius), what + ", radius " + radius);
      int[] counts = map.neighborCounts(radius);
      for (int i = 0; i < n; i++) assertEquals(expected[i].length, counts[i], what + ", count of " + i);
      List<long[]> pairs = new ArrayList<>();
      map.forEachPair(radius, (i, j) -> pairs.add(new long[] {i, j}));
      int p = 0;
      for (int i = 0; i < n; i++) {
        for (int j : expected[i]) {
          if (j <= i) continue;
          assertArrayEquals(new long[] {i, j}, pairs.get(p++), what + ", pair " + p + " at radius " + radius);
        }
      }
      assertEquals(p, pairs.size(), what + ", number of pairs at radius " + radius);
    }
    SplittableRandom rnd = new SplittableRandom(n);
    float[] radii = new float[n];
    for (int i = 0; i < n; i++) radii[i] = (float) (r * Math.pow(10, rnd.nextDouble() * 2 - 1.3));
    radii[0] = 0;
    assertLists(SpatialOp.neighborsReference(xyz, dims, radii), map.neighborsWithin(radii), what + ", per-point radii");
    for (int q = 0; q < 5; q++) {
      float[] center = new float[dims];
      System.arraycopy(xyz, rnd.nextInt(n) * dims, center, 0, dims);
      assertArrayEquals(SpatialOp.queryReference(xyz, dims, center, 2 * r), map.query(center, 2 * r), what + ", query");
    }
  }

  private static void assertLists(int[][] expected, Neighbors got, String what) {
    assertEquals(expected.length, got.size(), what);
    for (int i = 0; i < expected.length; i++) assertArrayEquals(expected[i], got.of(i), what + ", point " + i);
  }
}
