package dev.pincette.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The float64 references the backends are checked against. */
class ReduceOpTest {
  private static final float INF = Float.POSITIVE_INFINITY;

  @Test
  void sumsWithInfinitiesAreTheirIeeeSumNotNaN() {
    assertEquals(Double.POSITIVE_INFINITY, ReduceOp.referenceSum(new float[] {1, INF, 2}));
    assertEquals(Double.NEGATIVE_INFINITY, ReduceOp.referenceSum(new float[] {-INF, 3, -INF}));
    assertEquals(Double.NaN, ReduceOp.referenceSum(new float[] {INF, 1, -INF}));
    assertEquals(Double.NaN, ReduceOp.referenceSum(new float[] {1, Float.NaN, INF}));
    assertEquals(Double.POSITIVE_INFINITY, ReduceOp.referenceDot(new float[] {2, INF}, new float[] {1, 3}));
    assertEquals(Double.NaN, ReduceOp.referenceDot(new float[] {INF, 1}, new float[] {0, 1}), "inf · 0");
  }

  @Test
  void finiteSumsStayCompensated() {
    float[] x = {1e8f, 1, -1e8f, 1e-8f};
    assertEquals(1 + 1e-8, ReduceOp.referenceSum(x), 1e-15);
    assertEquals(3 * (double) Float.MAX_VALUE, ReduceOp.referenceSum(new float[] {Float.MAX_VALUE, Float.MAX_VALUE,
        Float.MAX_VALUE}), 1e25);
    assertEquals((double) Float.MAX_VALUE * 2, ReduceOp.referenceDot(new float[] {Float.MAX_VALUE}, new float[] {2}));
  }
}
