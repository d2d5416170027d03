package dev.pincette.examples.soak;

import dev.pincette.examples.check.Checks;
import dev.pincette.kernels.SpatialOp;
import dev.pincette.spatial.SpatialHashMap;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * One spatial map every soak thread searches while some of them move its points between two fixed clouds: a search
 * must answer for one cloud or the other, never a mix.
 */
final class SharedMap implements AutoCloseable {
  private static final int POINTS = 4000;
  private static final float CELL = 0.08f;

  private final float[] first;
  private final float[] second;
  private final SpatialHashMap map;

  SharedMap(long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    first = SoakOps.values(rnd, 3 * POINTS);
    second = first.clone();
    for (int i = 0; i < second.length; i++) second[i] += (float) (rnd.nextDouble() - 0.5) * CELL;
    map = SpatialHashMap.build(first, 3, CELL);
  }

  void query(SplittableRandom rnd, Tally tally) {
    float[] center = SoakOps.values(rnd, 3);
    float radius = (float) rnd.nextDouble() * CELL * 2;
    int[] got = map.query(center, radius);
    tally.call("spatial.shared");
    int[] onFirst = SpatialOp.queryReference(first, 3, center, radius);
    if (!Arrays.equals(got, onFirst) && !Arrays.equals(got, SpatialOp.queryReference(second, 3, center, radius))) {
      tally.wrong("spatial.shared", "a query matched neither cloud: " + Checks.sameIndices("query", onFirst, got));
    }
  }

  void update(SplittableRandom rnd, Tally tally) {
    map.update(rnd.nextBoolean() ? first : second);
    tally.call("spatial.update");
  }

  @Override
  public void close() {
    map.close();
  }
}
