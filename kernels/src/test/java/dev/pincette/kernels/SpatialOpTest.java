package dev.pincette.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The offsets of neighbour lists: one list holds at most {@link Elements#MAX} pairs, on every backend. */
class SpatialOpTest {
  @Test
  void offsetsArePrefixSumsOfTheCounts() {
    assertArrayEquals(new int[] {0, 3, 3, 7}, SpatialOp.offsets(new int[] {3, 0, 4}));
    assertArrayEquals(new int[] {0}, SpatialOp.offsets(new int[0]));
  }

  /**
   * Past the largest Java array, also between it and 2^31 − 1 (where a sum in int does not wrap yet, and the array
   * itself would have been an OutOfMemoryError): an {@link ArithmeticException} naming the pairs.
   */
  @Test
  void morePairsThanAnArrayHoldsAreAnArithmeticException() {
    int half = (int) (Elements.MAX / 2 + 1);
    ArithmeticException e = assertThrows(ArithmeticException.class, () -> SpatialOp.offsets(new int[] {half, half}));
    assertTrue(e.getMessage().contains("neighbour pairs"), e.getMessage());
    assertThrows(ArithmeticException.class, () -> SpatialOp.offsets(new int[] {Integer.MAX_VALUE - 5}));
    assertThrows(ArithmeticException.class, () -> SpatialOp.offsets(new int[] {Integer.MAX_VALUE, 5}));
    assertThrows(ArithmeticException.class, () -> SpatialOp.checkPairs(Elements.MAX + 1));
    assertThrows(ArithmeticException.class, () -> SpatialOp.checkPairs(-1));
    SpatialOp.offsets(new int[] {(int) Elements.MAX});
  }

  /** The check of a map's positions also finds their range, in the same pass (an update needs both). */
  @Test
  void checkingPositionsFindsTheirRange() {
    assertArrayEquals(new float[] {-3f, 7f}, SpatialOp.checkPositions(new float[] {0, 7, -3, 1}, 2));
    assertArrayEquals(new float[] {0, 0}, SpatialOp.checkPositions(new float[0], 3));
    assertArrayEquals(new float[] {1, 2}, SpatialOp.checkUpdate(new float[] {1, 2}, 2, 1));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SpatialOp.checkPositions(new float[] {0, 1, 2, Float.NaN}, 2));
    assertEquals("spatial: coordinate 1 of point 1 is not finite: NaN", e.getMessage());
  }
}
