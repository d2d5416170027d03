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
  void theSortedBuildAndTheCountedBuildGiveTheCpuBackendsLists() {
    int n = 20_000;
    SplittableRandom rnd = new SplittableRandom(43);
    float[] xyz = new float[2 * n];
    for (int i = 0; i < xyz.length; i++) xyz[i] = (float) rnd.nextDouble();
    float radius = (float) Math.sqrt(15.0 / n / Math.PI);
    try (CpuBackend cpu = new CpuBackend(); SpatialIndex expected = cpu.buildSpatial(xyz.clone(), 2, radius)) {
      SpatialIndex.Csr want = expected.neighborsWithin(radius);
      for (String counted : new String[] {"true", "false"}) {
        String before = System.setProperty("pincette.opencl.spatialCount", counted);
        try (SpatialIndex got = BACKEND.buildSpatial(xyz.clone(), 2, radius)) {
          SpatialIndex.Csr have = got.neighborsWithin(radius);
          assertArrayEquals(want.offsets(), have.offsets(), "spatialCount=" + counted);
          assertArrayEquals(want.indices(), have.indices(), "spatialCount=" + counted);
          assertArrayEquals(expected.query(new float[] {0.5f, 0.5f}, 0.1f), got.query(new float[] {0.5f, 0.5f}, 0.1f));
        } finally {
          if (before == null) System.clearProperty("pincette.opencl.spatialCount");
          else System.setProperty("pincette.opencl.spatialCount", before);
        }
      }
    }
  }

  @Test
  void theSortedBuildHandlesTinyAndOddSizes() {
    String before = System.setProperty("pincette.opencl.spatialCount", "false");
    try (CpuBackend cpu = new CpuBackend()) {
      for (int n : new int[] {1, 2, 17, 600, 1025}) {
        SplittableRandom rnd = new SplittableRandom(n);
        float[] xyz = new float[3 * n];
        for (int i = 0; i < xyz.length; i++) xyz[i] = (float) rnd.nextDouble();
        float radius = 0.2f;
        try (SpatialIndex expected = cpu.buildSpatial(xyz.clone(), 3, radius);
            SpatialIndex got = BACKEND.buildSpatial(xyz.clone(), 3, radius)) {
          assertArrayEquals(expected.neighborsWithin(radius).indices(), got.neighborsWithin(radius).indices(),
              "n=" + n);
          assertArrayEquals(expected.neighborCounts(radius), got.neighborCounts(radius), "n=" + n);
        }
      }
    } finally {
      if (before == null) System.clearProperty("pincette.opencl.spatialCount");
      else System.setProperty("pincette.opencl.spatialCount", before);
    }
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
