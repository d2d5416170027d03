package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.pincette.cpu.CpuBackend;
import dev.pincette.spi.SpatialIndex;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Enough points that the device's prefix sum of the neighbour counts takes three levels (more than 512² counts):
 * lists, offsets and counts equal the CPU backend's.
 */
class ClSpatialScanTest {
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
  void aThreeLevelPrefixSumGivesTheCpuBackendsLists() {
    int n = 270_000;
    SplittableRandom rnd = new SplittableRandom(42);
    float[] xyz = new float[3 * n];
    for (int i = 0; i < xyz.length; i++) xyz[i] = (float) rnd.nextDouble();
    float radius = (float) Math.cbrt(6.0 / n * 3 / (4 * Math.PI));
    try (CpuBackend cpu = new CpuBackend(); SpatialIndex expected = cpu.buildSpatial(xyz.clone(), 3, radius);
        SpatialIndex got = BACKEND.buildSpatial(xyz.clone(), 3, radius)) {
      SpatialIndex.Csr want = expected.neighborsWithin(radius);
      SpatialIndex.Csr have = got.neighborsWithin(radius);
      assertArrayEquals(want.offsets(), have.offsets());
      assertArrayEquals(want.indices(), have.indices());
      assertArrayEquals(expected.neighborCounts(radius), got.neighborCounts(radius));
    }
  }
}
