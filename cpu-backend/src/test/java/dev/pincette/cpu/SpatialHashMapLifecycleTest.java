package dev.pincette.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.kernels.SpatialOp;
import dev.pincette.spatial.SpatialHashMap;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * A spatial map's lifetime and misuse on the CPU: after {@code close()} every search and update throws, a consumer
 * of {@code forEachPair} that updates the map gets an exception instead of a deadlock, and level counts and cell
 * sizes the keys cannot hold are refused or reported.
 */
class SpatialHashMapLifecycleTest {
  static float[] cloud(int values, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] xyz = new float[values];
    for (int i = 0; i < values; i++) xyz[i] = (float) rnd.nextDouble();
    return xyz;
  }

  /** Every method that reads or changes the points throws {@link IllegalStateException} naming the call. */
  static void assertEveryCallThrowsAfterClose(SpatialHashMap map, int dims) {
    float[] center = new float[dims];
    assertClosed(() -> map.query(center, 0.1f), "query");
    assertClosed(() -> map.neighborsWithin(0.1f), "neighborsWithin");
    assertClosed(() -> map.neighborsWithin(new float[map.size()]), "neighborsWithin");
    assertClosed(() -> map.neighborCounts(0.1f), "neighborCounts");
    assertClosed(() -> map.forEachPair(0.1f, (i, j) -> {}), "forEachPair");
    assertClosed(() -> map.update(new float[map.size() * dims]), "update");
    assertTrue(map.isClosed());
    map.close();
    assertTrue(map.isClosed(), "closing twice is harmless");
  }

  private static void assertClosed(Executable call, String op) {
    IllegalStateException e = assertThrows(IllegalStateException.class, call, op);
    assertEquals(op + ": the spatial map is closed", e.getMessage());
  }

  @Test
  void afterCloseEverySearchAndUpdateThrowsAndClosingAgainIsHarmless() {
    float[] xyz = cloud(3 * 500, 1);
    SpatialHashMap map = SpatialHashMap.build(xyz, 3, new float[] {0.05f, 0.1f, 0.2f});
    assertEquals("cpu", map.backend());
    assertFalse(map.isClosed());
    map.close();
    assertEveryCallThrowsAfterClose(map, 3);
    assertEquals(500, map.size(), "the shape stays readable, like a closed DeviceMatrix's");
    assertEquals(3, map.dims());
  }

  @Test
  void aForEachPairConsumerThatUpdatesTheMapGetsAnExceptionNotADeadlock() {
    float[] xyz = cloud(2 * 400, 2);
    try (SpatialHashMap map = SpatialHashMap.build(xyz, 2, 0.05f)) {
      AtomicInteger pairs = new AtomicInteger();
      IllegalStateException e = assertTimeoutPreemptively(Duration.ofSeconds(30),
          () -> assertThrows(IllegalStateException.class, () -> map.forEachPair(0.05f, (i, j) -> {
            pairs.incrementAndGet();
            map.update(xyz);
          })));
      assertTrue(e.getMessage().startsWith("update: called from a forEachPair consumer of this map"), e.getMessage());
      assertEquals(1, pairs.get());
      // The map is still usable, and a consumer may update another map.
      try (SpatialHashMap other = SpatialHashMap.build(xyz, 2, 0.05f)) {
        map.forEachPair(0.05f, (i, j) -> other.update(xyz));
      }
      map.update(xyz);
      assertArrayEquals(SpatialOp.queryReference(xyz, 2, new float[] {0.5f, 0.5f}, 0.1f),
          map.query(new float[] {0.5f, 0.5f}, 0.1f));
    }
  }

  @Test
  void forRadiiRefusesRangesBeyondItsLevels() {
    float[] xyz = cloud(3 * 50, 3);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SpatialHashMap.forRadii(xyz, 3, 1e-20f, 1e20f));
    assertTrue(e.getMessage().contains("40 levels"), e.getMessage());
    try (SpatialHashMap map = SpatialHashMap.forRadii(xyz, 3, 1f, (float) Math.scalb(1.0, 39))) {
      assertEquals(40, map.cellSizes().length);
    }
  }

  @Test
  void cellsBeyondTheKeyRangeAreReported() {
    // 3D keys hold 2^21 cells per axis: cells of 1e-7 over [0, 1) need 10^7.
    float[] unit = SpatialOp.checkPositions(cloud(3 * 100, 4), 3);
    assertTrue(SpatialOp.beyondKeyRange(unit, 3, 1e-7f));
    assertFalse(SpatialOp.beyondKeyRange(unit, 3, 1e-3f));
    assertTrue(SpatialOp.beyondKeyRange(SpatialOp.checkPositions(new float[] {0, 0, 3e9f, 0}, 2), 2, 1f));
    assertTrue(SpatialOp.beyondKeyRange(SpatialOp.checkPositions(new float[] {-3e9f, 0}, 2), 2, 1f));
    assertFalse(SpatialOp.beyondKeyRange(SpatialOp.checkPositions(new float[0], 3), 3, 1e-30f));
    // A map over them builds and answers exactly (the warning is logged once).
    float[] far = cloud(3 * 300, 5);
    try (SpatialHashMap map = SpatialHashMap.build(far, 3, 1e-7f)) {
      assertArrayEquals(SpatialOp.queryReference(far, 3, new float[] {0.5f, 0.5f, 0.5f}, 0.2f),
          map.query(new float[] {0.5f, 0.5f, 0.5f}, 0.2f));
    }
  }
}
