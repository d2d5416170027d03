package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.kernels.SpatialOp;
import dev.pincette.spatial.SpatialHashMap;
import dev.pincette.spi.BackendException;
import dev.pincette.spi.SpatialIndex;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A spatial map on the device through its lifetime: closed, it stays closed (no move to the CPU); a failed update
 * closes the device index under its own lock, so no reader sees it half-built; readers that held the index a failure
 * replaced run again on the level's new one.
 */
class ClSpatialLifecycleTest {
  private static final ClBackend BACKEND = new ClBackend(null, ClProgramCache.defaultDir(), false, true);

  @BeforeAll
  static void requireDevice() {
    ClTestDevice.require(BACKEND);
  }

  @BeforeEach
  @AfterEach
  void disarm() {
    ClFaults.clear();
    dev.pincette.internal.Dispatcher.get().health().reset();
  }

  @AfterAll
  static void close() {
    BACKEND.close();
  }

  private static float[] cloud(int values, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] xyz = new float[values];
    for (int i = 0; i < values; i++) xyz[i] = (float) rnd.nextDouble();
    return xyz;
  }

  private static SpatialHashMap onDevice(float[] xyz, int dims, float... cellSizes) {
    SpatialHashMap map = Compute.on(BackendKind.OPENCL).call(() -> SpatialHashMap.build(xyz, dims, cellSizes));
    assertEquals("opencl", map.backend());
    return map;
  }

  @Test
  void aClosedMapStaysClosedInsteadOfMovingToTheCpu() {
    float[] xyz = cloud(3 * 600, 1);
    SpatialHashMap map = onDevice(xyz, 3, 0.05f, 0.1f);
    map.close();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> map.query(new float[3], 0.1f));
    assertEquals("query: the spatial map is closed", e.getMessage());
    assertEquals("opencl", map.backend(), "the map did not move to the cpu");
    assertThrows(IllegalStateException.class, () -> map.neighborsWithin(0.2f));
    assertThrows(IllegalStateException.class, () -> map.neighborCounts(0.05f));
    assertThrows(IllegalStateException.class, () -> map.update(xyz));
    map.close();
    assertTrue(map.isClosed());
  }

  /**
   * Per-point radii with one outlier that takes in every point: the level answers on the device (each point searched
   * at its own radius), like brute force, and stays there.
   */
  @Test
  void oneOutlierRadiusIsSearchedAloneAndTheMapStaysOnTheDevice() {
    int n = 4000;
    float[] xyz = cloud(3 * n, 8);
    float[] radii = new float[n];
    SplittableRandom rnd = new SplittableRandom(9);
    for (int i = 0; i < n; i++) radii[i] = (float) (0.04 * rnd.nextDouble());
    radii[123] = 5f;
    try (SpatialHashMap map = onDevice(xyz, 3, 0.05f)) {
      var got = map.neighborsWithin(radii);
      assertEquals("opencl", map.backend());
      int[][] expected = SpatialOp.neighborsReference(xyz, 3, radii);
      for (int i = 0; i < n; i++) assertArrayEquals(expected[i], got.of(i), "point " + i);
      assertEquals(n - 1, got.count(123));
      int total = 0;
      for (int[] row : expected) total += row.length;
      assertEquals(total, got.totalPairs());
    }
  }

  /** The device index itself: an update that fails midway leaves it closed, not half-built. */
  @Test
  void aFailedUpdateClosesTheDeviceIndexUnderItsLock() {
    float[] xyz = cloud(3 * 2000, 2);
    try (SpatialIndex index = BACKEND.buildSpatial(xyz.clone(), 3, 0.05f)) {
      float[] moved = cloud(3 * 2000, 3);
      // Fails after the new positions were uploaded and grouped, before they were gathered for the searches.
      ClFaults.failNext("clEnqueueNDRangeKernel(sort_positions)");
      assertThrows(BackendException.class, () -> index.update(moved.clone()));
      assertFalse(ClFaults.armed(), "the fault fired");
      BackendException e = assertThrows(BackendException.class, () -> index.query(new float[] {0.5f, 0.5f, 0.5f},
          0.1f));
      assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }
  }

  /**
   * An update whose queue cannot be drained (its wait fails): commands may still write the index's buffers, so they
   * are freed, not handed to the pool for the next call; and the update fails even though every command was enqueued.
   */
  @Test
  void anUpdateWhoseQueueCannotDrainFreesItsBuffersInsteadOfPoolingThem() {
    float[] xyz = cloud(3 * 2000, 12);
    ClSpatialHash index = (ClSpatialHash) BACKEND.buildSpatial(xyz.clone(), 3, 0.05f);
    try {
      long[] held = index.buffers();
      assertTrue(java.util.Arrays.stream(held).filter(b -> b != 0).count() >= 4, java.util.Arrays.toString(held));
      ClFaults.failNext("clFinish(spatial.update)");
      assertThrows(BackendException.class, () -> index.update(cloud(3 * 2000, 13)));
      assertFalse(ClFaults.armed(), "the fault fired");
      for (long buffer : held) {
        if (buffer != 0) assertFalse(BACKEND.context().pool.owns(buffer), "buffer " + buffer + " went back to the pool");
      }
      assertThrows(BackendException.class, () -> index.query(new float[3], 0.1f), "the index is closed");
    } finally {
      index.close();
    }
  }

  /** Through the map: the level moves to the CPU and answers for the new positions. */
  @Test
  void aMapWhoseUpdateFailsOnTheDeviceAnswersForTheNewPositionsOnTheCpu() {
    float[] xyz = cloud(3 * 2000, 4);
    try (SpatialHashMap map = onDevice(xyz, 3, 0.05f)) {
      float[] moved = cloud(3 * 2000, 5);
      ClFaults.failNext("clEnqueueNDRangeKernel(sort_positions)");
      map.update(moved);
      assertFalse(ClFaults.armed(), "the fault fired");
      assertEquals("cpu", map.backend());
      float[] center = {0.5f, 0.5f, 0.5f};
      assertArrayEquals(SpatialOp.queryReference(moved, 3, center, 0.1f), map.query(center, 0.1f));
    }
  }

  /**
   * Eight threads query a device map while an update fails on the device midway: readers waiting for the update's
   * write lock must neither read the half-built index (new positions, old runs) nor see the exception of the index
   * closed under them; each runs again on the CPU index that replaced it. Every answer is brute force's for the old
   * or the new positions, and no reader sees an exception.
   */
  @Test
  void readersWaitingForAFailedUpdateRunAgainOnTheNewIndex() throws Exception {
    float[] before = cloud(3 * 3000, 6);
    float[] after = cloud(3 * 3000, 7);
    float[] center = {0.4f, 0.5f, 0.6f};
    int[] old = SpatialOp.queryReference(before, 3, center, 0.15f);
    int[] moved = SpatialOp.queryReference(after, 3, center, 0.15f);
    try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
      for (int round = 0; round < 4; round++) {
        try (SpatialHashMap map = onDevice(before, 3, 0.15f)) {
          CountDownLatch started = new CountDownLatch(8);
          AtomicBoolean stop = new AtomicBoolean();
          List<Future<Integer>> readers = new ArrayList<>();
          for (int t = 0; t < 8; t++) {
            readers.add(pool.submit(() -> {
              started.countDown();
              int queries = 0;
              while (!stop.get()) {
                int[] got = map.query(center, 0.15f);
                if (!java.util.Arrays.equals(got, old)) assertArrayEquals(moved, got, "query " + queries);
                queries++;
              }
              return queries;
            }));
          }
          started.await();
          Thread.sleep(20);
          ClFaults.failNext("clEnqueueNDRangeKernel(sort_positions)");
          map.update(after);
          assertFalse(ClFaults.armed(), "the fault fired");
          assertEquals("cpu", map.backend());
          Thread.sleep(20);
          stop.set(true);
          for (Future<Integer> reader : readers) assertTrue(reader.get(120, TimeUnit.SECONDS) > 0);
          assertArrayEquals(moved, map.query(center, 0.15f));
        }
      }
    }
  }
}
