package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pincette.spi.SpatialIndex;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Pooled device buffers are reused: many calls leave the pool's size unchanged. */
class ClBufferPoolTest {
  private static final ClBackend BACKEND = new ClBackend(null, ClProgramCache.defaultDir(), false, true);

  @BeforeAll
  static void requireDevice() {
    ClTestDevice.require(BACKEND);
  }

  @AfterAll
  static void close() {
    BACKEND.close();
  }

  @Test
  void sizeClassesWasteAtMostAThird() {
    assertEquals(256, ClBufferPool.sizeClass(1));
    assertEquals(1024, ClBufferPool.sizeClass(1024));
    assertEquals(1536, ClBufferPool.sizeClass(1025));
    assertEquals(2048, ClBufferPool.sizeClass(1537));
    for (long bytes = 300; bytes < 1 << 24; bytes = bytes * 5 / 3) {
      long size = ClBufferPool.sizeClass(bytes);
      assertEquals(true, size >= bytes && 3 * bytes >= 2 * size, bytes + " -> " + size);
    }
  }

  @Test
  void tenThousandSmallCallsKeepThePoolFlat() {
    SplittableRandom rnd = new SplittableRandom(7);
    float[][] arrays = new float[4][];
    for (int i = 0; i < arrays.length; i++) {
      arrays[i] = new float[100 + 300 * i];
      for (int j = 0; j < arrays[i].length; j++) arrays[i][j] = (float) rnd.nextDouble();
    }
    float[] points = new float[3 * 64];
    for (int j = 0; j < points.length; j++) points[j] = (float) rnd.nextDouble();
    Runnable[] calls = {
        () -> BACKEND.sum(arrays[0]), () -> BACKEND.dot(arrays[1], arrays[1]), () -> BACKEND.argmin(arrays[2]),
        () -> BACKEND.max(arrays[3]), () -> BACKEND.matmul(arrays[0], arrays[0], 10, 10, 10),
        () -> BACKEND.batchedMatmul(arrays[1], arrays[1], 4, 10, 10, 10), () -> {
          try (SpatialIndex index = BACKEND.buildSpatial(points.clone(), 3, 0.1f)) {
            index.query(new float[] {0.5f, 0.5f, 0.5f}, 0.2f);
            index.neighborsWithin(0.1f);
          }
        }};
    for (Runnable call : calls) call.run();
    ClBufferPool pool = BACKEND.context().pool;
    int buffers = pool.allocatedCount();
    long bytes = pool.allocatedBytes();
    for (int i = 0; i < 10_000; i++) calls[i % calls.length].run();
    assertEquals(buffers, pool.allocatedCount(), "buffers");
    assertEquals(bytes, pool.allocatedBytes(), "bytes");
  }
}
