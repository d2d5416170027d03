package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.DeviceArray;
import dev.pincette.internal.Dispatcher;
import dev.pincette.spi.KernelArg;
import dev.pincette.spi.KernelFault;
import dev.pincette.spi.KernelLaunch;
import dev.pincette.spi.KernelMethod;
import java.lang.constant.MethodTypeDesc;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Kernels launched in groups of any size (the driver's choice, 1, 7, 256, more than a kernel may take) over counts
 * that are not multiples of it: the items beyond the count, launched to fill the last group, neither write, nor add
 * terms to a sum, nor report an error; the first failing item still does.
 */
class ClKernelGeometryTest {
  private static final int[] COUNTS = {1, 255, 256, 257, 1000, 100_003};
  private static ClBackend opencl;

  @BeforeAll
  static void requireDevice() {
    ClTestDevice.require(new ClBackend(null, null, false, true));
    opencl = (ClBackend) Dispatcher.get().backend("opencl");
    Dispatcher.get().health().reset();
  }

  static void index(int i, int[] out) {
    out[i] = i + 1;
  }

  static float one(int i, int[] x) {
    return x[i] - x[i] + 1;
  }

  static void shifted(int i, int[] x, int[] y) {
    y[i] = x[i + 1];
  }

  private static ClJavaKernels kernels(int localSize) {
    return new ClJavaKernels(opencl.device(), opencl.fp64(), opencl.reduceOp(), true, localSize);
  }

  private static KernelLaunch launch(String name, String descriptor, boolean sum, int n, Object... arrays) {
    MethodTypeDesc type = MethodTypeDesc.ofDescriptor(descriptor);
    List<Class<?>> types = new java.util.ArrayList<>(List.of(int.class));
    List<String> names = new java.util.ArrayList<>(List.of("i"));
    List<KernelArg> args = new java.util.ArrayList<>();
    for (int k = 0; k < arrays.length; k++) {
      types.add(int[].class);
      names.add(k == 0 ? "x" : "y");
      args.add(new KernelArg(k + 1, names.get(k + 1), KernelArg.Kind.ARRAY, KernelArg.Type.INT, arrays[k]));
    }
    return new KernelLaunch(new KernelMethod(null, ClKernelGeometryTest.class, name, type, types, names, sum), n,
        args, false);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 7, 256, 1 << 16})
  void itemsBeyondTheCountDoNothing(int localSize) {
    ClJavaKernels kernels = kernels(localSize);
    ClContext context = opencl.context();
    for (int n : COUNTS) {
      int[] out = new int[n];
      kernels.run(context, launch("index", "(I[I)V", false, n, out));
      int[] expected = new int[n];
      for (int i = 0; i < n; i++) expected[i] = i + 1;
      assertArrayEquals(expected, out, "n = " + n);
      assertEquals(n, kernels.run(context, launch("one", "(I[I)F", true, n, new int[n])), "sum, n = " + n);
      KernelFault fault = assertThrows(KernelFault.class,
          () -> kernels.run(context, launch("shifted", "(I[I[I)V", false, n, new int[n], new int[n])));
      assertTrue(fault.getMessage().endsWith(": Index " + n + " out of bounds for length " + n + " of x, in work item "
          + (n - 1)), fault.getMessage());
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {255, 100_003})
  void residentChainsFillWholeGroups(int n) {
    try (DeviceArray<int[]> out = Compute.on(BackendKind.OPENCL).call(() -> Compute.zeros(int[].class, n))) {
      for (int r = 0; r < 3; r++) Compute.on(BackendKind.OPENCL).forEach(n, ClKernelGeometryTest::index, out);
      assertEquals("opencl", Compute.lastCall().backend());
      int[] expected = new int[n];
      for (int i = 0; i < n; i++) expected[i] = i + 1;
      assertArrayEquals(expected, out.download());
    }
  }
}
