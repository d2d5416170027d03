package dev.pincette.examples;

import dev.pincette.spatial.Neighbors;
import dev.pincette.spatial.SpatialHashMap;
import java.util.SplittableRandom;

/**
 * Particles that repel their neighbours inside a box: each step finds every particle's neighbours with the spatial
 * hash map, moves the particles, and updates the map (only particles that changed cells are re-binned).
 */
public final class ParticlesExample {
  private ParticlesExample() {}

  public static void main(String[] args) {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int steps = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    float radius = (float) (1.0 / Math.sqrt(n) * 2.5);
    SplittableRandom rnd = new SplittableRandom(9);
    float[] pos = new float[n * 2];
    for (int i = 0; i < pos.length; i++) pos[i] = (float) rnd.nextDouble();

    try (SpatialHashMap map = SpatialHashMap.build(pos, 2, radius)) {
      for (int step = 0; step < steps; step++) {
        long t0 = System.nanoTime();
        Neighbors nb = map.neighborsWithin(radius);
        long t1 = System.nanoTime();
        float[] next = pos.clone();
        for (int i = 0; i < n; i++) {
          for (int j : nb.of(i)) {
            float dx = pos[2 * i] - pos[2 * j], dy = pos[2 * i + 1] - pos[2 * j + 1];
            float d2 = Math.max(dx * dx + dy * dy, 1e-12f);
            next[2 * i] += 1e-3f * radius * radius * dx / d2;
            next[2 * i + 1] += 1e-3f * radius * radius * dy / d2;
          }
          next[2 * i] = Math.clamp(next[2 * i], 0f, 1f);
          next[2 * i + 1] = Math.clamp(next[2 * i + 1], 0f, 1f);
        }
        pos = next;
        long t2 = System.nanoTime();
        map.update(pos);
        long t3 = System.nanoTime();
        System.out.printf("step %2d: %.1f neighbours/particle, search %.1f ms, forces %.1f ms, update %.1f ms%n",
            step, (double) nb.totalPairs() / n, (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6);
      }
    }
  }
}
