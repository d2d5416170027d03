package dev.pincette.spatial;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class NeighborsTest {
  @Test
  void pointsOutsideTheListsAreNamed() {
    Neighbors n = new Neighbors(new int[] {0, 1, 1}, new int[] {1});
    assertEquals(1, n.count(0));
    assertArrayEquals(new int[0], n.of(1));
    assertEquals("count: point 2 is not in [0, 2)",
        assertThrows(IndexOutOfBoundsException.class, () -> n.count(2)).getMessage());
    assertEquals("of: point -1 is not in [0, 2)",
        assertThrows(IndexOutOfBoundsException.class, () -> n.of(-1)).getMessage());
  }
}
