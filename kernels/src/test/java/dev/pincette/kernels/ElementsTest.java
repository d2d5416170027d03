package dev.pincette.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The one element cap: sizes computed in long, never wrapped, refused past 2^31 − 8 with the op's name. */
class ElementsTest {
  @Test
  void productsThatWouldWrapSaturateInsteadOfWrapping() {
    assertEquals(65536L * 65537, Elements.product(65536, 65537));
    assertEquals(Long.MAX_VALUE, Elements.product(Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE));
    assertEquals(0, Elements.product(Integer.MAX_VALUE, 0, Integer.MAX_VALUE), "zero beats any overflow");
    assertEquals(1, Elements.product());
    assertThrows(IllegalArgumentException.class, () -> Elements.product(3, -1));
  }

  @Test
  void theCapIsTheLargestJavaArray() {
    assertEquals(Integer.MAX_VALUE - 8, Elements.checked("op", "x", Elements.MAX));
    IllegalArgumentException over = assertThrows(IllegalArgumentException.class,
        () -> Elements.of("matmul", "result", 65536, 65537));
    assertEquals("matmul: result 65536x65537 has 4295032832 elements, more than the 2147483639 an array holds",
        over.getMessage());
    // 65536 · 65536 is 2^32, which wraps to 0 as an int: the product of resident k = 0 operands once did.
    assertThrows(IllegalArgumentException.class, () -> Elements.of("matmul", "result", 65536, 65536));
    assertThrows(IllegalArgumentException.class, () -> Elements.checked("op", "x", Elements.MAX + 1));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Elements.checked("op", "x", Long.MAX_VALUE))
        .getMessage().contains("more than 2^63"));
    assertThrows(IllegalArgumentException.class, () -> Elements.checked("op", "x", -1));
    assertThrows(IllegalArgumentException.class, () -> Elements.of("op", "x", -1, 2));
    assertEquals(0, Elements.of("op", "x", 0, Integer.MAX_VALUE));
  }

  @Test
  void matmulChecksEveryPathAgainstTheCap() {
    assertThrows(IllegalArgumentException.class,
        () -> MatmulOp.check(new float[65536], 65536, 1, new float[65537], 1, 65537));
    assertThrows(IllegalArgumentException.class, () -> MatmulOp.checkShapes("65536x0", 65536, 0, "0x65536", 0, 65536));
    assertThrows(IllegalArgumentException.class, () -> MatmulOp.checkShapes("2x3", 2, 3, "2x3", 2, 3));
    MatmulOp.checkShapes("3x0", 3, 0, "0x4", 0, 4);
    // count·m·n past 2^63: refused, not wrapped into a small number.
    assertThrows(IllegalArgumentException.class,
        () -> MatmulOp.checkBatched(new float[0], new float[0], Integer.MAX_VALUE, Integer.MAX_VALUE, 0,
            Integer.MAX_VALUE));
    assertThrows(IllegalArgumentException.class,
        () -> MatmulOp.checkBatched(new float[4], new float[4], 4, 1, 1, 1 << 30));
  }
}
