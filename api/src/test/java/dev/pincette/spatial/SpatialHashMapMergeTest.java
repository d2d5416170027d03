package dev.pincette.spatial;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.kernels.Elements;
import dev.pincette.spi.SpatialIndex.Csr;
import org.junit.jupiter.api.Test;

/**
 * Per-point radii are searched level by level; the rows of every level are merged into one list per point. The merge
 * sums the rows of all levels: past what one list holds ({@link Elements#MAX} pairs) it throws
 * {@link ArithmeticException}, as each level's own search does, instead of wrapping into a negative array size.
 */
class SpatialHashMapMergeTest {
  @Test
  void rowsOfEveryLevelMergeIntoOneListPerPoint() {
    // Points 0 and 2 on level 0 (rows 0, 1), point 1 on level 1 (row 0).
    Csr fine = new Csr(new int[] {0, 2, 3}, new int[] {1, 2, 0});
    Csr coarse = new Csr(new int[] {0, 1}, new int[] {2});
    Neighbors merged = SpatialHashMap.merge(new Csr[] {fine, coarse}, new int[] {0, 1, 0}, new int[] {0, 0, 1});
    assertArrayEquals(new int[] {1, 2}, merged.of(0));
    assertArrayEquals(new int[] {2}, merged.of(1));
    assertArrayEquals(new int[] {0}, merged.of(2));
  }

  /** Two levels each within the cap, together past it (rows claimed by offsets alone: nothing that large is made). */
  @Test
  void levelsTogetherPastTheCapAreAnArithmeticException() {
    int half = (int) (Elements.MAX / 2 + 1);
    Csr a = new Csr(new int[] {0, half}, new int[0]);
    Csr b = new Csr(new int[] {0, half}, new int[0]);
    ArithmeticException e = assertThrows(ArithmeticException.class,
        () -> SpatialHashMap.merge(new Csr[] {a, b}, new int[] {0, 1}, new int[] {0, 0}));
    assertTrue(e.getMessage().contains("neighbour pairs"), e.getMessage());
    Csr c = new Csr(new int[] {0, Integer.MAX_VALUE}, new int[0]);
    assertThrows(ArithmeticException.class,
        () -> SpatialHashMap.merge(new Csr[] {a, c}, new int[] {0, 1}, new int[] {0, 0}), "past int, not only the cap");
  }
}
