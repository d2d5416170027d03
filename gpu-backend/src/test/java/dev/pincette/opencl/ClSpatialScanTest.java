package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.kernels.SpatialOp;
import dev.pincette.spi.SpatialIndex;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The device's three ways to group points by cell (dense grid, counted into a hash table, sorted) and the switch
 * between them on update, and enough points that the prefix sum of the neighbour counts takes three levels (more than
 * 512² counts): lists, offsets, counts and queries equal brute force's ({@link SpatialOp}'s references, which share
 * no code with either backend's index, not even the cell keys).
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

  /**
   * Offsets summed in int on the device: a total that wrapped, and one between the largest Java array and 2^31 − 1
   * (which wraps nothing, and made {@code new int[total]} an OutOfMemoryError), are both ArithmeticExceptions.
   */
  @Test
  void deviceOffsetsPastOneListAreAnArithmeticException() {
    ClSpatialHash.checkOffsets(new int[] {0, 5, (int) dev.pincette.kernels.Elements.MAX});
    for (int[] offsets : new int[][] {{0, Integer.MAX_VALUE - 5}, {0, Integer.MAX_VALUE, Integer.MIN_VALUE + 3},
        {0, 7, 3}}) {
      org.junit.jupiter.api.Assertions.assertThrows(ArithmeticException.class,
          () -> ClSpatialHash.checkOffsets(offsets), java.util.Arrays.toString(offsets));
    }
  }

  @Test
  void theGridTheCountedAndTheSortedBuildGiveBruteForcesLists() {
    int n = 20_000;
    float[] xyz = cloud(2 * n, 43);
    float radius = (float) Math.sqrt(15.0 / n / Math.PI);
    SpatialIndex.Csr want = bruteForce(xyz, 2, radius);
    for (String[] build : new String[][] {{"true", "true"}, {"false", "true"}, {"false", "false"}}) {
      String name = "spatialDense=" + build[0] + ", spatialCount=" + build[1];
      withProperties(build[0], build[1], () -> {
        try (SpatialIndex got = BACKEND.buildSpatial(xyz.clone(), 2, radius)) {
          SpatialIndex.Csr have = got.neighborsWithin(radius);
          assertArrayEquals(want.offsets(), have.offsets(), name);
          assertArrayEquals(want.indices(), have.indices(), name);
          assertArrayEquals(counts(want), got.neighborCounts(radius), name);
          for (float r : new float[] {0.1f, 0.7f, 3f}) {
            for (float[] centre : new float[][] {{0.5f, 0.5f}, {-0.5f, 1.2f}}) {
              assertArrayEquals(SpatialOp.queryReference(xyz, 2, centre, r), got.query(centre, r),
                  name + ", centre " + java.util.Arrays.toString(centre) + ", r=" + r);
            }
          }
        }
      });
    }
  }

  /**
   * Lists written at their offsets by a second search (what devices without memory for a slot per point do), and
   * lists longer than a slot (32), equal brute force's.
   */
  @Test
  void listsWithoutSlotsAndListsLongerThanASlotGiveBruteForcesLists() {
    int n = 6_000;
    float[] xyz = cloud(3 * n, 45);
    float radius = (float) Math.cbrt(30.0 / n * 3 / (4 * Math.PI));
    try (SpatialIndex got = BACKEND.buildSpatial(xyz.clone(), 3, radius)) {
      SpatialIndex.Csr want = bruteForce(xyz, 3, radius);
      int longer = 0;
      for (int i = 0; i < n; i++) longer += want.offsets()[i + 1] - want.offsets()[i] > 32 ? 1 : 0;
      assertTrue(longer > 100, longer + " lists longer than a slot");
      for (String slots : new String[] {"true", "false"}) {
        String before = System.setProperty("pincette.opencl.spatialListSlots", slots);
        try {
          SpatialIndex.Csr have = got.neighborsWithin(radius);
          assertArrayEquals(want.offsets(), have.offsets(), "spatialListSlots=" + slots);
          assertArrayEquals(want.indices(), have.indices(), "spatialListSlots=" + slots);
        } finally {
          restore("pincette.opencl.spatialListSlots", before);
        }
      }
    }
  }

  /**
   * A cloud that moves between a dense box and far-apart clusters: each update picks the grid or the hash table
   * anew, and the lists stay brute force's; the hash table counted into cells or sorted.
   */
  @ParameterizedTest(name = "spatialCount={0}")
  @ValueSource(strings = {"true", "false"})
  void updatesSwitchBetweenTheGridAndTheHashTable(String count) {
    withProperties("true", count, () -> switchBetweenTheGridAndTheHashTable());
  }

  private static void switchBetweenTheGridAndTheHashTable() {
    int n = 5_000;
    float radius = 0.06f;
    float[] box = cloud(3 * n, 44);
    float[] apart = box.clone();
    for (int i = 0; i < n; i += 50) {
      for (int d = 0; d < 3; d++) apart[3 * i + d] += 1000f * (i % 7) - 3000f;
    }
    try (SpatialIndex got = BACKEND.buildSpatial(box.clone(), 3, radius)) {
      for (float[] step : new float[][] {apart, box, apart}) {
        got.update(step.clone());
        assertArrayEquals(bruteForce(step, 3, radius).indices(), got.neighborsWithin(radius).indices());
        assertArrayEquals(counts(bruteForce(step, 3, 2 * radius)), got.neighborCounts(2 * radius));
        float[] centre = {0.5f, 0.5f, 0.5f};
        assertArrayEquals(SpatialOp.queryReference(step, 3, centre, 0.2f), got.query(centre, 0.2f));
      }
    }
  }

  /**
   * Rebuilds keep the last box while the points drift within its margin, and build anew once one leaves it: the lists
   * equal brute force's after every step, in 2D and 3D.
   */
  @Test
  void rebuildsOnTheLastBoxFollowDriftingPointsAndNoticeOnesThatLeave() {
    for (int dims : new int[] {2, 3}) {
      int n = 4_000;
      float radius = dims == 3 ? 0.08f : 0.03f;
      float[] xyz = cloud(dims * n, 45 + dims);
      SplittableRandom rnd = new SplittableRandom(dims);
      try (SpatialIndex got = BACKEND.buildSpatial(xyz.clone(), dims, radius)) {
        for (int step = 0; step < 6; step++) {
          for (int v = 0; v < xyz.length; v++) xyz[v] += (float) ((rnd.nextDouble() - 0.5) * radius * 0.6);
          if (step == 3) xyz[dims * 17] += 0.4f;  // beyond the box's margin of one cell
          if (step == 4) xyz[dims * 17] -= 0.4f;
          int reusedBefore = ((ClSpatialHash) got).reusedBoxes();
          got.update(xyz.clone());
          assertEquals(step != 3, ((ClSpatialHash) got).reusedBoxes() > reusedBefore, "box kept at step " + step);
          String at = dims + "D, step " + step;
          SpatialIndex.Csr want = bruteForce(xyz, dims, radius);
          SpatialIndex.Csr have = got.neighborsWithin(radius);
          assertArrayEquals(want.offsets(), have.offsets(), at);
          assertArrayEquals(want.indices(), have.indices(), at);
          assertArrayEquals(counts(want), got.neighborCounts(radius), at);
          float[] centre = dims == 3 ? new float[] {0.5f, 0.5f, 0.5f} : new float[] {0.5f, 0.5f};
          assertArrayEquals(SpatialOp.queryReference(xyz, dims, centre, 0.2f), got.query(centre, 0.2f), at);
        }
      }
    }
  }

  /**
   * Radii of their own, on every build: each row equals brute force at its own radius, with rows for some points
   * only, radius 0, and one radius that takes in the whole cloud among small ones (searched alone, not imposed on
   * every point).
   */
  @Test
  void eachRowIsSearchedAtItsOwnRadiusOnEveryBuild() {
    int n = 3_000;
    for (int dims : new int[] {2, 3}) {
      float[] xyz = cloud(dims * n, 60 + dims);
      SplittableRandom rnd = new SplittableRandom(dims);
      int[] points = java.util.stream.IntStream.range(0, n).filter(i -> i % 3 != 1).toArray();
      float[] radii = new float[points.length];
      for (int q = 0; q < radii.length; q++) radii[q] = (float) (0.05 * rnd.nextDouble());
      radii[1] = 0;
      radii[7] = 2f;   // the whole unit cube around it
      float[] all = new float[n];
      for (int q = 0; q < points.length; q++) all[points[q]] = radii[q];
      int[][] expected = SpatialOp.neighborsReference(xyz, dims, all);
      for (String[] build : new String[][] {{"true", "true"}, {"false", "true"}, {"false", "false"}}) {
        String name = dims + "D, spatialDense=" + build[0] + ", spatialCount=" + build[1];
        withProperties(build[0], build[1], () -> {
          try (SpatialIndex got = BACKEND.buildSpatial(xyz.clone(), dims, 0.05f)) {
            SpatialIndex.Csr rows = got.neighborsWithin(points, radii);
            assertEquals(points.length + 1, rows.offsets().length, name);
            for (int q = 0; q < points.length; q++) {
              int[] row = java.util.Arrays.copyOfRange(rows.indices(), rows.offsets()[q], rows.offsets()[q + 1]);
              assertArrayEquals(expected[points[q]], row, name + ", row " + q);
            }
            assertEquals(n - 1, rows.offsets()[8] - rows.offsets()[7], name + ": the outlier sees every point");
            assertArrayEquals(new int[1], got.neighborsWithin(new int[0], new float[0]).offsets(), name);
          }
        });
      }
    }
  }

  /** Runs {@code body} with the given {@code pincette.opencl.spatialDense} and {@code spatialCount}, then restores. */
  static void withProperties(String dense, String count, Runnable body) {
    String denseBefore = System.setProperty("pincette.opencl.spatialDense", dense);
    String countBefore = System.setProperty("pincette.opencl.spatialCount", count);
    try {
      body.run();
    } finally {
      restore("pincette.opencl.spatialDense", denseBefore);
      restore("pincette.opencl.spatialCount", countBefore);
    }
  }

  /** {@code values} coordinates uniform in [0, 1), from {@code seed}. */
  private static float[] cloud(int values, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] xyz = new float[values];
    for (int i = 0; i < values; i++) xyz[i] = (float) rnd.nextDouble();
    return xyz;
  }

  private static void restore(String key, String value) {
    if (value == null) System.clearProperty(key);
    else System.setProperty(key, value);
  }

  @Test
  void everyBuildHandlesTinyAndOddSizes() {
    for (String[] build : new String[][] {{"true", "true"}, {"false", "true"}, {"false", "false"}}) {
      withProperties(build[0], build[1], () -> {
        for (int n : new int[] {1, 2, 17, 600, 1025}) {
          float[] xyz = cloud(3 * n, n);
          float radius = 0.2f;
          String name = "n=" + n + ", spatialDense=" + build[0] + ", spatialCount=" + build[1];
          SpatialIndex.Csr want = bruteForce(xyz, 3, radius);
          try (SpatialIndex got = BACKEND.buildSpatial(xyz.clone(), 3, radius)) {
            assertArrayEquals(want.indices(), got.neighborsWithin(radius).indices(), name);
            assertArrayEquals(counts(want), got.neighborCounts(radius), name);
          }
        }
      });
    }
  }

  @Test
  void aThreeLevelPrefixSumGivesBruteForcesLists() {
    int n = 270_000;
    float[] xyz = cloud(3 * n, 42);
    float radius = (float) Math.cbrt(6.0 / n * 3 / (4 * Math.PI));
    try (SpatialIndex got = BACKEND.buildSpatial(xyz.clone(), 3, radius)) {
      SpatialIndex.Csr have = got.neighborsWithin(radius);
      int[] counts = got.neighborCounts(radius);
      assertEquals(n + 1, have.offsets().length);
      assertEquals(0, have.offsets()[0]);
      assertEquals(have.indices().length, have.offsets()[n]);
      // Brute force over every point for a sample of rows (all of them would take n² distances), spread over the
      // whole cloud and so over every block of the three-level prefix sum.
      SplittableRandom rnd = new SplittableRandom(n);
      for (int s = 0; s < 1500; s++) {
        int i = s < 3 ? new int[] {0, n / 2, n - 1}[s] : rnd.nextInt(n);
        int[] want = bruteForceRow(xyz, 3, i, radius);
        int[] row = java.util.Arrays.copyOfRange(have.indices(), have.offsets()[i], have.offsets()[i + 1]);
        assertArrayEquals(want, row, "point " + i);
        assertEquals(want.length, counts[i], "count of " + i);
      }
      for (int i = 0; i < n; i++) {
        assertEquals(have.offsets()[i + 1] - have.offsets()[i], counts[i], "the lists and the counts, point " + i);
      }
    }
  }

  /** Brute force's lists at {@code radius}, as compressed rows. */
  static SpatialIndex.Csr bruteForce(float[] xyz, int dims, float radius) {
    int[][] lists = SpatialOp.neighborsReference(xyz, dims, radius);
    int[] offsets = new int[lists.length + 1];
    for (int i = 0; i < lists.length; i++) offsets[i + 1] = offsets[i] + lists[i].length;
    int[] indices = new int[offsets[lists.length]];
    for (int i = 0; i < lists.length; i++) System.arraycopy(lists[i], 0, indices, offsets[i], lists[i].length);
    return new SpatialIndex.Csr(offsets, indices);
  }

  /** Brute force's neighbours of point {@code i} within {@code radius}, ascending. */
  static int[] bruteForceRow(float[] xyz, int dims, int i, float radius) {
    float[] centre = java.util.Arrays.copyOfRange(xyz, i * dims, (i + 1) * dims);
    return java.util.Arrays.stream(SpatialOp.queryReference(xyz, dims, centre, radius)).filter(j -> j != i)
        .toArray();
  }

  /** The length of each row. */
  static int[] counts(SpatialIndex.Csr csr) {
    int[] out = new int[csr.offsets().length - 1];
    for (int i = 0; i < out.length; i++) out[i] = csr.offsets()[i + 1] - csr.offsets()[i];
    return out;
  }
}
