package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.Explanation;
import dev.pincette.Kernel1;
import dev.pincette.internal.Dispatcher;
import dev.pincette.spi.KernelMethod;
import dev.pincette.translate.UnsupportedKernelException;
import java.lang.constant.MethodTypeDesc;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Refusals are kept and say the same every time: a translation's names the method, line and construct on every call,
 * from every call site; a kernel whose OpenCL C the device's compiler rejects is built once, then refused at once on
 * every call (explained under auto, IllegalArgumentException when forced), never counted as a device failure.
 */
class ClKernelRefusalTest {
  private static ClBackend opencl;

  @BeforeAll
  static void requireDevice() {
    ClTestDevice.require(new ClBackend(null, null, false, true));
    opencl = (ClBackend) Dispatcher.get().backend("opencl");
    Dispatcher.get().health().reset();
  }

  static void rejected(int i, float[] x) {
    x[i] = x[i] * 3 + 1;
  }

  static void allocates(int i, float[] y) {
    float[] t = new float[1];
    y[i] = t[0] + i;
  }

  @Test
  void aCachedRefusalNamesTheMethodLineAndConstructAsTheFirstDid() {
    float[] y = new float[2];
    String first = assertThrows(UnsupportedKernelException.class,
        () -> Compute.on(BackendKind.OPENCL).forEach(2, ClKernelRefusalTest::allocates, y)).getMessage();
    assertTrue(first.matches("ClKernelRefusalTest\\.allocates \\(ClKernelRefusalTest\\.java:\\d+\\): allocation of "
        + "float\\[\\] is not supported in a kernel"), first);
    // Another call site is another KernelMethod: its refusal comes from the translator's cache.
    for (int call = 0; call < 2; call++) {
      assertEquals(first, assertThrows(UnsupportedKernelException.class,
          () -> Compute.on(BackendKind.OPENCL).forEach(2, ClKernelRefusalTest::allocates, y)).getMessage());
    }
    Explanation why = Compute.explain(() -> Compute.forEach(2, ClKernelRefusalTest::allocates, y));
    assertTrue(why.reason().contains("opencl cannot run it: " + first), why.reason());
  }

  @Test
  void aProgramTheCompilerRejectsIsRefusedOnEveryLaterCallWithoutABuild() {
    KernelMethod method = new KernelMethod((Kernel1<float[]>) ClKernelRefusalTest::rejected,
        ClKernelRefusalTest.class, "rejected", MethodTypeDesc.ofDescriptor("(I[F)V"),
        List.of(int.class, float[].class), List.of("i", "x"), false);
    String program = ClJavaKernels.programName(opencl.kernels().rendered(method));
    // A macro that breaks the source: the compiler rejects it as it would a construct it cannot compile.
    System.setProperty("pincette.opencl.buildOptions." + program, "-D pincette_n=(");
    try {
      float[] x = {1, 2, 3};
      Compute.on(BackendKind.OPENCL).forEach(3, ClKernelRefusalTest::rejected, x);
      assertEquals("cpu", Compute.lastCall().backend());
      assertTrue(Compute.lastCall().fallbackReason().startsWith("opencl refused: ClKernelRefusalTest.rejected: "
          + "the OpenCL compiler of ") && Compute.lastCall().fallbackReason().contains("CL_BUILD_PROGRAM_FAILURE"),
          Compute.lastCall().fallbackReason());
      assertArrayEquals(new float[] {4, 7, 10}, x);
      long builds = opencl.context().programs.builtFromSource();
      IllegalArgumentException forced = assertThrows(IllegalArgumentException.class,
          () -> Compute.on(BackendKind.OPENCL).forEach(3, ClKernelRefusalTest::rejected, x));
      assertTrue(forced.getMessage().startsWith("ClKernelRefusalTest.rejected: the OpenCL compiler of "),
          forced.getMessage());
      assertTrue(forced.getMessage().contains("CL_BUILD_PROGRAM_FAILURE"), forced.getMessage());
      Compute.forEach(3, ClKernelRefusalTest::rejected, x);
      assertEquals("cpu", Compute.lastCall().backend());
      assertFalse(Compute.lastCall().fellBack(), "refused before placement, not failed");
      assertArrayEquals(new float[] {13, 22, 31}, x);
      Explanation why = Compute.explain(() -> Compute.forEach(3, ClKernelRefusalTest::rejected, x));
      assertTrue(why.reason().contains("opencl cannot run it: " + forced.getMessage()), why.reason());
      assertEquals(builds, opencl.context().programs.builtFromSource(), "no build is tried again");
      assertEquals(0, Dispatcher.get().health().failuresInARow("opencl"), "a refusal is no device failure");
    } finally {
      System.clearProperty("pincette.opencl.buildOptions." + program);
    }
  }
}
