package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.kernels.ReduceOp;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The float accumulator, used on devices without cl_khr_fp64, keeps the sum and dot contract. */
class ClReduceTest {
  private static final ClBackend FLOAT_SUMS = new ClBackend(null, ClProgramCache.defaultDir(), false, false);

  @BeforeAll
  static void requireDevice() {
    ClTestDevice.require(FLOAT_SUMS);
  }

  @AfterAll
  static void close() {
    FLOAT_SUMS.close();
  }

  @ParameterizedTest(name = "n={0}")
  @ValueSource(ints = {1, 5, 4097, 65537, 1 << 20, 3_000_001})
  void floatAccumulatorMeetsTheSumAndDotContract(int n) {
    SplittableRandom rnd = new SplittableRandom(n);
    float[] x = new float[n];
    float[] y = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (rnd.nextDouble() * 2 - 1) * (i % 97 == 0 ? 1e6f : 1f);
      y[i] = (float) (rnd.nextDouble() * 2 - 1);
    }
    double sum = FLOAT_SUMS.sum(x);
    assertTrue(Math.abs(sum - ReduceOp.referenceSum(x)) <= ReduceOp.SUM_TOLERANCE * ReduceOp.absSum(x),
        sum + " vs " + ReduceOp.referenceSum(x));
    double dot = FLOAT_SUMS.dot(x, y);
    assertTrue(Math.abs(dot - ReduceOp.referenceDot(x, y)) <= ReduceOp.SUM_TOLERANCE * ReduceOp.absDot(x, y),
        dot + " vs " + ReduceOp.referenceDot(x, y));
  }

  @Test
  void floatAccumulatorIsExactOnSixteenMillionOnes() {
    float[] ones = new float[1 << 24];
    Arrays.fill(ones, 1f);
    assertEquals(1 << 24, FLOAT_SUMS.sum(ones), 0);
  }

  @Test
  void floatAccumulatorKeepsInfinitiesAndNaN() {
    assertEquals(Double.POSITIVE_INFINITY, FLOAT_SUMS.sum(new float[] {1f, Float.POSITIVE_INFINITY, 2f}));
    assertTrue(Double.isNaN(FLOAT_SUMS.sum(new float[] {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY})));
    assertTrue(Double.isNaN(FLOAT_SUMS.dot(new float[] {1f, Float.NaN}, new float[] {1f, 1f})));
  }
}
