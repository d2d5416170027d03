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

/** The matmul kernel's block shapes: extra candidates ({@code pincette.opencl.matmulTiles}) and their products. */
class ClMatmulTilesTest {
  private static final ClBackend BACKEND = new ClBackend(null, ClProgramCache.defaultDir(), false, true);
  private static final String EXTRA = "128x256x8/8x16,256x128x8/8x16,128x128x8/16x8,64x128x16/4x8";

  @BeforeAll
  static void requireDevice() {
    ClTestDevice.require(BACKEND);
  }

  @AfterAll
  static void close() {
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

  @ParameterizedTest(name = "{0}x{1} · {1}x{2}")
  @CsvSource({"256,256,256", "300,70,257", "1,33,5", "129,9,513"})
  void everyCandidateShapeMatchesTheReference(int m, int k, int n) {
    ClContext context = BACKEND.context();
    float[] a = ClResidentTest.random(m * k, m);
    float[] b = ClResidentTest.random(k * n, n);
    for (ClMatmul.Tile tile : ClMatmul.candidates(EXTRA)) {
      if (!tile.fits(context.device)) continue;
      try (ClCall call = context.begin("matmul.test")) {
        long da = call.upload(a);
        long db = call.upload(b);
        long dc = call.buffer(4L * m * n);
        ClMatmul.launch(call, tile, da, db, dc, 1, m, k, n, false);
        float[] c = call.downloadFloats(dc, m * n);
        try {
          ClResidentTest.assertProduct(a, b, m, k, n, c);
        } catch (AssertionError e) {
          throw new AssertionError("block shape " + tile + ": " + e.getMessage(), e);
        }
      }
    }
  }
}
