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

  @Test
  void indicesOutsideTheMatrixNameTheRowOrTheColumn() {
    Matrix m = Matrix.zeros(2, 3);
    assertOutside("get: row 2 is not in [0, 2)", () -> m.get(2, 0));
    assertOutside("get: col -1 is not in [0, 3)", () -> m.get(0, -1));
    try (HostMatrix h = new HostMatrix(2, 3, dev.pincette.spi.HostMemory.offHeap(24))) {
      assertOutside("get: row -2147483648 is not in [0, 2)", () -> h.get(Integer.MIN_VALUE, 0));
      assertOutside("set: col 3 is not in [0, 3)", () -> h.set(1, 3, 1f));
    }
  }

  static void assertOutside(String message, org.junit.jupiter.api.function.Executable call) {
    IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, call);
    assertEquals(IndexOutOfBoundsException.class, e.getClass(), "not from inside an array");
    assertEquals(message, e.getMessage());
  }
}
