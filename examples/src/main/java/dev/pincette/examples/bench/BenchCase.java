package dev.pincette.examples.bench;

import dev.pincette.Compute;
import dev.pincette.Matrix;
import dev.pincette.spatial.SpatialHashMap;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * One op at one size, as a call through {@link Compute} so that placement applies. Inputs are generated lazily and
 * dropped after the case, so a sweep never holds every size in memory at once.
 *
 * @param op op name as reports show it
 * @param shape problem size as users read it
 * @param size the x axis of charts (matrix side, elements, points)
 * @param inputs makes the call with fresh inputs
 */
public record BenchCase(String op, String shape, double size, Supplier<Supplier<Object>> inputs) {
  /** The ops × sizes of {@code pincette bench}; {@code sweep} adds sizes from tiny to large around crossovers. */
  public static List<BenchCase> cases(List<String> ops, boolean sweep) {
    List<BenchCase> out = new ArrayList<>();
    int[] sides = sweep ? new int[] {8, 16, 32, 64, 128, 256, 512, 1024} : new int[] {16, 64, 256, 512};
    int[] lengths = sweep ? new int[] {1 << 10, 1 << 13, 1 << 16, 1 << 19, 1 << 22, 1 << 25}
        : new int[] {1 << 12, 1 << 18, 1 << 24};
    int[] counts = sweep ? new int[] {10, 100, 1000, 10_000} : new int[] {100, 10_000};
    int[] points = sweep ? new int[] {1 << 10, 1 << 13, 1 << 16, 1 << 18} : new int[] {1 << 12, 1 << 17};
    if (ops.contains("matmul")) {
      for (int n : sides) {
        out.add(new BenchCase("matmul", n + "x" + n + "x" + n, n, () -> {
          Matrix a = Matrix.of(n, n, random(n * n, 1)), b = Matrix.of(n, n, random(n * n, 2));
          return () -> Compute.matmul(a, b);
        }));
      }
    }
    if (ops.contains("batchedMatmul")) {
      for (int c : counts) {
        out.add(new BenchCase("batchedMatmul", c + "x16x16x16", c, () -> {
          float[] a = random(c * 256, 3), b = random(c * 256, 4);
          return () -> Compute.batchedMatmul(a, b, c, 16, 16, 16);
        }));
      }
    }
    for (String op : List.of("sum", "dot", "max")) {
      if (!ops.contains(op)) continue;
      for (int n : lengths) {
        out.add(new BenchCase(op, "n=" + n, n, () -> {
          float[] x = random(n, 5), y = op.equals("dot") ? random(n, 6) : null;
          return switch (op) {
            case "sum" -> () -> Compute.sum(x);
            case "dot" -> () -> Compute.dot(x, y);
            default -> () -> Compute.max(x);
          };
        }));
      }
    }
    if (ops.contains("neighbours")) {
      for (int n : points) {
        out.add(new BenchCase("neighbours", n + " points 3D", n, () -> {
          float[] pos = random(3 * n, 7);
          float radius = (float) Math.cbrt(20.0 / n * 3 / (4 * Math.PI));
          return () -> {
            try (SpatialHashMap map = SpatialHashMap.build(pos, 3, radius)) {
              return map.neighborsWithin(radius);
            }
          };
        }));
      }
    }
    return out;
  }

  public static final List<String> OPS = List.of("matmul", "batchedMatmul", "sum", "dot", "max", "neighbours");

  static float[] random(int n, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = (float) rnd.nextDouble();
    return x;
  }
}
