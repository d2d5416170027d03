package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The matmul kernel's block shapes: extra candidates ({@code pincette.opencl.matmulTiles}) and their products. Every
 * shape is built here, on PoCL too, where the optimiser takes minutes over the large blocks (see
 * {@link ClMatmul#CPU_TILES}): this class builds matmul.cl without optimisations, except for one block built as users
 * get it.
 */
class ClMatmulTilesTest {
  private static final String BUILD_OPTIONS = "pincette.opencl.buildOptions.matmul";
  private static final ClBackend BACKEND = new ClBackend(null, ClProgramCache.defaultDir(), false, true);
  private static final String EXTRA = "128x256x8/8x16,256x128x8/8x16,128x128x8/16x8,64x128x16/4x8";

  @BeforeAll
  static void requireDevice() {
    ClTestDevice.require(BACKEND);
    System.setProperty(BUILD_OPTIONS, "-cl-opt-disable");
  }

  @AfterAll
  static void close() {
    System.clearProperty(BUILD_OPTIONS);
    BACKEND.close();
  }

  @Test
  void shapesReadBackAsTheyPrint() {
    for (ClMatmul.Tile t : ClMatmul.candidates(EXTRA)) assertEquals(t, ClMatmul.parse(t.toString()));
  }

  @Test
  void extraShapesJoinTheDefaultsLargestBlockFirst() {
    List<ClMatmul.Tile> all = ClMatmul.candidates(EXTRA + ",128x128x8/8x8,256x128x8/16x8");
    assertEquals(ClMatmul.TILES.size() + 4, all.size(), "defaults given again are not added twice");
    assertTrue(all.containsAll(ClMatmul.TILES));
    for (int i = 1; i < all.size(); i++) {
      assertTrue(all.get(i - 1).bm() * all.get(i - 1).bn() >= all.get(i).bm() * all.get(i).bn(), all.toString());
    }
    assertEquals(ClMatmul.TILES, ClMatmul.candidates(null));
    assertEquals(ClMatmul.TILES, ClMatmul.candidates(" "));
  }

  @ParameterizedTest(name = "{0} {1} units, {2} MB allocations: {3}")
  @CsvSource({"GPU,132,4096,2048", "GPU,160,4096,4096", "GPU,160,32,2048", "GPU,2000,4096,8192", "CPU,160,4096,256"})
  void shapesAreTimedOnAProductLargeEnoughForEveryBlock(String type, int units, long allocationMb, int side) {
    ClDevice device = new ClDevice(0, 0, "test", "test", "test", type, units, 16L << 30, 48 << 10, 1024,
        allocationMb << 20, false, "1", "OpenCL 3.0", java.util.Set.of());
    assertEquals(side, ClMatmul.tuningSide(device, ClMatmul.TILES));
  }

  @Test
  void aProductTakesTheLargestBlockThatFitsInsideIt() {
    ClContext context = BACKEND.context();
    ClMatmul matmul = new ClMatmul(BACKEND.device(), null, false);   // untuned: the largest shape is preferred
    List<ClMatmul.Tile> shapes = matmul.usableTiles();
    assertEquals(shapes.getLast(), matmul.choose(context, 1000, 16, 16, 16), "a batch of small products");
    // A batch of one product per compute unit fills the device with any block; k=1 keeps it below tuning's size.
    int count = context.device.computeUnits();
    ClMatmul.Tile wide = matmul.choose(context, count, 300, 1, 300);
    assertEquals(shapes.getFirst(), wide);
    ClMatmul.Tile narrower = matmul.choose(context, count, 200, 1, 300);
    assertTrue(narrower.bm() <= 200 && narrower.bn() <= 300, narrower.toString());
    assertEquals(shapes.stream().filter(t -> t.bm() <= 200 && t.bn() <= 300).findFirst().orElseThrow(), narrower);
  }

  @Test
  void blocksAreUsedWhileTheyKeepNineTenthsOfTheComputeUnitsBusy() {
    assertTrue(ClMatmul.fills(128, 132));
    assertTrue(ClMatmul.fills(90, 100));
    assertFalse(ClMatmul.fills(89, 100));
    assertFalse(ClMatmul.fills(0, 1));
  }

  @ParameterizedTest
  @ValueSource(strings = {"128x128x8", "128x128x8/8", "128x128x8/8xa", "0x128x8/8x8", "128x128x8/6x8",
      "100x128x8/8x8", "128x128x2/8x8", "32x32x4/4x4"})
  void malformedShapesAreRefusedWithTheShapeNamed(String spec) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ClMatmul.parse(spec));
    assertTrue(e.getMessage().contains(spec), e.getMessage());
  }

  /**
   * Every shape on full blocks (K of three 16-deep steps), partial blocks, K a multiple of 4 but not of BK (the last
   * k-step loads element by element), N a multiple of 4 with a partial last block, and a batch of three.
   */
  @ParameterizedTest(name = "{0} × {1}x{2} · {2}x{3}")
  @CsvSource({"1,256,48,256", "1,300,70,257", "1,1,33,5", "1,129,9,513", "1,260,36,388", "1,257,40,260",
      "3,130,20,132"})
  void everyCandidateShapeMatchesTheReference(int count, int m, int k, int n) {
    ClContext context = BACKEND.context();
    float[] a = ClResidentTest.random(count * m * k, m);
    float[] b = ClResidentTest.random(count * k * n, n);
    int run = 0;
    for (ClMatmul.Tile tile : ClMatmul.candidates(EXTRA)) {
      if (!tile.fits(context.device)) continue;
      run++;
      try (ClCall call = context.begin("matmul.test")) {
        long da = call.upload(a);
        long db = call.upload(b);
        long dc = call.buffer(4L * count * m * n);
        ClMatmul.launch(call, tile, da, db, dc, count, m, k, n, false);
        float[] c = call.downloadFloats(dc, count * m * n);
        for (int i = 0; i < count; i++) {
          try {
            ClResidentTest.assertProduct(java.util.Arrays.copyOfRange(a, i * m * k, (i + 1) * m * k),
                java.util.Arrays.copyOfRange(b, i * k * n, (i + 1) * k * n), m, k, n,
                java.util.Arrays.copyOfRange(c, i * m * n, (i + 1) * m * n));
          } catch (AssertionError e) {
            throw new AssertionError("block shape " + tile + ", product " + i + ": " + e.getMessage(), e);
          }
        }
      }
    }
    assertTrue(run >= ClMatmul.candidates(EXTRA).size() - 2, run + " shapes fit " + context.device.name());
  }

  /** This class builds matmul.cl unoptimised; the block with the smallest register tile is built as users get it. */
  @Test
  void aBlockBuiltWithTheCompilersOptimisationsMatchesTheReference() {
    System.clearProperty(BUILD_OPTIONS);
    try (ClBackend optimised = new ClBackend(null, null, false, true)) {
      ClContext context = optimised.context();
      ClMatmul.Tile tile = ClMatmul.TILES.stream().filter(t -> t.fits(context.device))
          .min(java.util.Comparator.comparingInt(t -> t.tm() * t.tn())).orElseThrow();
      int m = 130, k = 20, n = 132;
      float[] a = ClResidentTest.random(m * k, 3);
      float[] b = ClResidentTest.random(k * n, 4);
      try (ClCall call = context.begin("matmul.test")) {
        long dc = call.buffer(4L * m * n);
        ClMatmul.launch(call, tile, call.upload(a), call.upload(b), dc, 1, m, k, n, false);
        ClResidentTest.assertProduct(a, b, m, k, n, call.downloadFloats(dc, m * n));
      }
    } finally {
      System.setProperty(BUILD_OPTIONS, "-cl-opt-disable");
    }
  }

  @Test
  void aMalformedPropertyLeavesTheBuiltInShapes() {
    ClMatmul matmul = new ClMatmul(BACKEND.device(), "128x128", false);
    assertEquals(new ClMatmul(BACKEND.device(), null, false).usableTiles(), matmul.usableTiles());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"GPU", "CPU"})
  void cpuDevicesKeepTheDefaultsTheirCompilerBuildsQuicklyAndEveryExtraShape(String type) {
    ClDevice device = new ClDevice(0, 0, "test", "test", "test", type, 16, 16L << 30, 64 << 10, 1024, 4L << 30,
        false, "1", "OpenCL 3.0", java.util.Set.of());
    List<ClMatmul.Tile> defaults = type.equals("GPU") ? ClMatmul.TILES : ClMatmul.CPU_TILES;
    assertEquals(defaults, new ClMatmul(device, null, false).usableTiles());
    List<ClMatmul.Tile> withExtra = new ClMatmul(device, "64x128x16/4x8", false).usableTiles();
    assertTrue(withExtra.containsAll(defaults) && withExtra.contains(ClMatmul.parse("64x128x16/4x8")),
        withExtra.toString());
    assertEquals(defaults.size() + 1, withExtra.size());
  }

  /** A shape whose kernel fails while tuning is left out, and the note keeps it out in the next JVM. */
  @Test
  void aShapeThatFailsWhileTuningIsLeftOutAndStaysOut(@org.junit.jupiter.api.io.TempDir java.nio.file.Path cache) {
    List<ClMatmul.Tile> before;
    try (ClBackend fresh = new ClBackend(null, cache, false, true)) {
      ClMatmul matmul = fresh.matmulOp();
      before = matmul.usableTiles();
      ClFaults.failNext("clEnqueueNDRangeKernel(matmul)");
      try {
        matmul.tune(fresh.context());
      } finally {
        ClFaults.clear();
      }
      assertFalse(matmul.usableTiles().contains(before.getFirst()), matmul.usableTiles().toString());
      assertEquals(before.size() - 1, matmul.usableTiles().size());
      float[] a = ClResidentTest.random(300 * 200, 1);
      float[] b = ClResidentTest.random(200 * 100, 2);
      ClResidentTest.assertProduct(a, b, 300, 200, 100, fresh.matmul(a, b, 300, 200, 100));
    }
    try (ClBackend again = new ClBackend(null, cache, false, true)) {
      again.matmulOp().tune(again.context());
      assertEquals(before.subList(1, before.size()), again.matmulOp().usableTiles());
    }
  }
}
