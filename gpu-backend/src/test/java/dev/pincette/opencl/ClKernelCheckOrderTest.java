package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.ComputeOn;
import dev.pincette.internal.Dispatcher;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The renderer writes a block's checks before its loads (so that neighbouring loads may merge): the error a kernel
 * reports is still that of its first failing statement in program order, on the device as on the CPU, also when a
 * later check needs a value an earlier load gives, when a local is reassigned between two loads, and when a division
 * and a load both fail; and kernels that do not fail compute the same bits.
 */
class ClKernelCheckOrderTest {
  private static final ComputeOn CPU = Compute.on(BackendKind.CPU);
  private static final ComputeOn GPU = Compute.on(BackendKind.OPENCL);

  @BeforeAll
  static void requireDevice() {
    ClTestDevice.require(new ClBackend(null, null, false, true));
  }

  @BeforeEach
  void deviceOn() {
    Dispatcher.get().health().reset();
  }

  static void gathers(int i, int[] indices, float[] x, float[] out) {
    int j = indices[i];
    float a = x[j];
    float b = x[i + 100];
    out[i] = a + b;
  }

  static void reassigns(int i, float[] x, float[] out) {
    int k = i + 3;
    float a = x[k];
    k = i;
    float b = x[k + 1];
    out[i] = a - b;
  }

  static void dividesThenLoads(int i, int[] x, int[] d, int[] out) {
    int q = x[i] / d[i];
    out[i] = q + x[i + 5];
  }

  static void loadsThenDivides(int i, int[] x, int[] d, int[] out) {
    int v = x[i + 5];
    out[i] = v / d[i];
  }

  /** The messages of both backends, which must be the same; returns the device's. */
  private static String sameError(Class<? extends RuntimeException> type, Executable onCpu, Executable onDevice) {
    String cpu = assertThrows(type, onCpu).getMessage();
    String gpu = assertThrows(type, onDevice).getMessage();
    assertEquals(cpu, gpu);
    return gpu;
  }

  @Test
  void theFirstFailingLoadInProgramOrderIsReported() {
    // x[j] fails before x[i + 100] does: index 7, not 100.
    String gathered = sameError(ArrayIndexOutOfBoundsException.class,
        () -> CPU.forEach(1, ClKernelCheckOrderTest::gathers, new int[] {7}, new float[3], new float[1]),
        () -> GPU.forEach(1, ClKernelCheckOrderTest::gathers, new int[] {7}, new float[3], new float[1]));
    assertTrue(gathered.endsWith("Index 7 out of bounds for length 3 of x, in work item 0"), gathered);
    String later = sameError(ArrayIndexOutOfBoundsException.class,
        () -> CPU.forEach(1, ClKernelCheckOrderTest::gathers, new int[] {1}, new float[3], new float[1]),
        () -> GPU.forEach(1, ClKernelCheckOrderTest::gathers, new int[] {1}, new float[3], new float[1]));
    assertTrue(later.endsWith("Index 100 out of bounds for length 3 of x, in work item 0"), later);
    String first = sameError(ArrayIndexOutOfBoundsException.class,
        () -> CPU.forEach(1, ClKernelCheckOrderTest::gathers, new int[0], new float[3], new float[1]),
        () -> GPU.forEach(1, ClKernelCheckOrderTest::gathers, new int[0], new float[3], new float[1]));
    assertTrue(first.endsWith("Index 0 out of bounds for length 0 of indices, in work item 0"), first);
    // k is 3 at the first load and 0 at the second: the first check sees 3.
    String reassigned = sameError(ArrayIndexOutOfBoundsException.class,
        () -> CPU.forEach(1, ClKernelCheckOrderTest::reassigns, new float[3], new float[1]),
        () -> GPU.forEach(1, ClKernelCheckOrderTest::reassigns, new float[3], new float[1]));
    assertTrue(reassigned.endsWith("Index 3 out of bounds for length 3 of x, in work item 0"), reassigned);
  }

  @Test
  void aDivisionAndALoadFailInProgramOrder() {
    String division = sameError(ArithmeticException.class,
        () -> CPU.forEach(1, ClKernelCheckOrderTest::dividesThenLoads, new int[] {4}, new int[] {0}, new int[1]),
        () -> GPU.forEach(1, ClKernelCheckOrderTest::dividesThenLoads, new int[] {4}, new int[] {0}, new int[1]));
    assertTrue(division.endsWith("/ by zero, in work item 0"), division);
    String load = sameError(ArrayIndexOutOfBoundsException.class,
        () -> CPU.forEach(1, ClKernelCheckOrderTest::loadsThenDivides, new int[] {4}, new int[] {0}, new int[1]),
        () -> GPU.forEach(1, ClKernelCheckOrderTest::loadsThenDivides, new int[] {4}, new int[] {0}, new int[1]));
    assertTrue(load.endsWith("Index 5 out of bounds for length 1 of x, in work item 0"), load);
  }

  @Test
  void kernelsThatDoNotFailComputeTheSameBits() {
    int n = 5000;
    SplittableRandom rnd = new SplittableRandom(15);
    int[] indices = new int[n];
    float[] x = new float[n + 100];
    int[] ints = new int[n + 5];
    int[] divisors = new int[n];
    for (int i = 0; i < n; i++) {
      indices[i] = rnd.nextInt(x.length);
      divisors[i] = rnd.nextBoolean() ? rnd.nextInt(1, 1000) : -rnd.nextInt(1, 1000);
    }
    for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextDouble(-1e3, 1e3);
    for (int i = 0; i < ints.length; i++) ints[i] = rnd.nextInt();
    float[] cpu = new float[n];
    float[] gpu = new float[n];
    CPU.forEach(n, ClKernelCheckOrderTest::gathers, indices, x, cpu);
    GPU.forEach(n, ClKernelCheckOrderTest::gathers, indices, x, gpu);
    assertEquals("opencl", Compute.lastCall().backend());
    assertArrayEquals(cpu, gpu);
    CPU.forEach(n, ClKernelCheckOrderTest::reassigns, x, cpu);
    GPU.forEach(n, ClKernelCheckOrderTest::reassigns, x, gpu);
    assertArrayEquals(cpu, gpu);
    int[] cpuInts = new int[n];
    int[] gpuInts = new int[n];
    CPU.forEach(n, ClKernelCheckOrderTest::dividesThenLoads, ints, divisors, cpuInts);
    GPU.forEach(n, ClKernelCheckOrderTest::dividesThenLoads, ints, divisors, gpuInts);
    assertArrayEquals(cpuInts, gpuInts);
    CPU.forEach(n, ClKernelCheckOrderTest::loadsThenDivides, ints, divisors, cpuInts);
    GPU.forEach(n, ClKernelCheckOrderTest::loadsThenDivides, ints, divisors, gpuInts);
    assertArrayEquals(cpuInts, gpuInts);
  }
}
