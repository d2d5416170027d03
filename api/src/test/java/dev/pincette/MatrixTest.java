package dev.pincette;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Matrices past 2^31 elements are refused with their shape named (found by the API fuzzer). */
class MatrixTest {
  @Test
  void zerosPastTwoToTheThirtyOneElementsIsRefusedWithItsShape() {
    for (int[] shape : new int[][] {{65536, 65537}, {46341, 46341}, {Integer.MAX_VALUE, 2}}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Matrix.zeros(shape[0], shape[1]));
      assertTrue(e.getMessage().contains(shape[0] + "x" + shape[1]) && e.getMessage().contains("elements"),
          e.getMessage());
    }
    IllegalArgumentException negative = assertThrows(IllegalArgumentException.class, () -> Matrix.zeros(-1, 3));
    assertTrue(negative.getMessage().contains("negative shape -1x3"), negative.getMessage());
    assertEquals(Matrix.of(2, 3, new float[6]), Matrix.zeros(2, 3));
    assertEquals(0, Matrix.zeros(0, 65537).toArray().length);
  }

  @Test
  void rowsPastTwoToTheThirtyOneElementsAreRefusedWithTheirShape() {
    float[] row = new float[65537];
    float[][] rows = new float[65536][];
    Arrays.fill(rows, row);   // 2^32 + 65536 elements, one row's memory
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Matrix.of(rows));
    assertTrue(e.getMessage().contains("65536x65537") && e.getMessage().contains("elements"), e.getMessage());
  }
}
