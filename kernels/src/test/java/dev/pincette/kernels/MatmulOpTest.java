package dev.pincette.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The accuracy contract every backend's products are checked against. */
class MatmulOpTest {
  /**
   * A correctly rounded float32 product among the subnormals is within the bound: 3·2^-149 · 0.5 = 1.5·2^-149 rounds
   * to 2·2^-149, 2^-150 off, which no bound relative to |a·b| allows (found by the API fuzzer on PoCL: 7.44026E-40
   * against 7.4402616E-40 ± 1.3E-46).
   */
  @Test
  void aCorrectlyRoundedSubnormalResultIsWithinTheBound() {
    float[] a = {3 * Float.MIN_VALUE};
    float[] b = {0.5f};
    float product = a[0] * b[0];
    double exact = MatmulOp.reference(a, b, 1, 1, 1)[0];
    double bound = MatmulOp.errorBound(a, b, 1, 1, 1)[0];
    assertTrue(Math.abs(product - exact) > 0, "the product rounds");
    assertTrue(Math.abs(product - exact) <= bound, product + " vs " + exact + " ± " + bound);
    assertTrue(bound < 1e-40, "and the bound stays far below any normal float: " + bound);
  }
}
