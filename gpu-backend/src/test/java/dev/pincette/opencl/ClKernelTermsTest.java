package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.FloatKernel1;
import dev.pincette.Kernel1;
import dev.pincette.internal.Dispatcher;
import dev.pincette.spi.KernelMethod;
import java.lang.constant.MethodTypeDesc;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Only a sum has terms: forEach of a method that returns a value (a method reference may drop it) allocates no terms
 * buffer on a device and drops the value on every backend, race checking included.
 */
class ClKernelTermsTest {
  private static ClBackend opencl;

  @BeforeAll
  static void requireDevice() {
    ClTestDevice.require(new ClBackend(null, null, false, true));
    opencl = (ClBackend) Dispatcher.get().backend("opencl");
    Dispatcher.get().health().reset();
  }

  static float bump(int i, float[] x) {
    x[i] += 1;
    return x[i];
  }

  private static KernelMethod method(Object kernel, boolean sum) {
    return new KernelMethod(kernel, ClKernelTermsTest.class, "bump", MethodTypeDesc.ofDescriptor("(I[F)F"),
        List.of(int.class, float[].class), List.of("i", "x"), sum);
  }

  @Test
  void forEachOfAMethodReturningAValueHasNoTerms() {
    Kernel1<float[]> each = ClKernelTermsTest::bump;
    FloatKernel1<float[]> term = ClKernelTermsTest::bump;
    assertFalse(opencl.kernels().source(method(each, false)).contains("pincette_terms"));
    assertTrue(opencl.kernels().source(method(term, true)).contains("pincette_terms"));
    for (BackendKind kind : new BackendKind[] {BackendKind.CPU, BackendKind.OPENCL}) {
      float[] x = {1, 2, 3};
      Compute.on(kind).forEach(3, each, x);
      assertEquals(kind.id(), Compute.lastCall().backend());
      assertArrayEquals(new float[] {2, 3, 4}, x);
      assertEquals(3 + 4 + 5, Compute.on(kind).sum(3, term, x));
      assertArrayEquals(new float[] {3, 4, 5}, x);
    }
    float[] x = {1, 2, 3};
    Compute.checkingRaces().forEach(3, each, x);
    assertArrayEquals(new float[] {2, 3, 4}, x);
  }
}
