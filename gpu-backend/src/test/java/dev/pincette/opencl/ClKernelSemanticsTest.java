package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.ComputeOn;
import dev.pincette.internal.Dispatcher;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every construct the translator takes, run by the same kernel on the CPU (the JVM) and on the OpenCL device, with
 * edge values (NaN, ±0, ±Infinity, MIN_VALUE, denormals): integers, floats and conversions bit for bit (NaNs compared
 * as NaNs, since Java leaves their payload open too), transcendentals within Java's bound plus OpenCL's.
 */
class ClKernelSemanticsTest {
  private static final ComputeOn CPU = Compute.on(BackendKind.CPU);
  private static final ComputeOn GPU = Compute.on(BackendKind.OPENCL);
  private static ClBackend opencl;

  @BeforeAll
  static void requireDevice() {
    ClTestDevice.require(new ClBackend(null, null, false, true));
    opencl = (ClBackend) Dispatcher.get().backend("opencl");
  }

  @BeforeEach
  void deviceOn() {
    Dispatcher.get().health().reset();
  }

  private static void assertOnDevice() {
    assertEquals("opencl", Compute.lastCall().backend(), Compute.lastCall().toString());
  }

  @Test
  void integerArithmeticWrapsShiftsAndNarrowsAsJava() {
    int n = JavaKernels.INTS.length * JavaKernels.INTS.length;
    int[] cpu = new int[n * JavaKernels.INT_RESULTS];
    int[] gpu = new int[cpu.length];
    CPU.forEach(n, JavaKernels::intOps, JavaKernels.INTS, cpu);
    GPU.forEach(n, JavaKernels::intOps, JavaKernels.INTS, gpu);
    assertOnDevice();
    assertIntsEqual(cpu, gpu, JavaKernels.INT_RESULTS);
  }

  static void narrowsBoxes(int i, Integer a, Long b, Float c, Double d, int[] out) {
    out[0] = a.byteValue();
    out[1] = a.shortValue();
    out[2] = b.byteValue();
    out[3] = b.shortValue();
    out[4] = c.byteValue();
    out[5] = c.shortValue();
    out[6] = d.byteValue();
    out[7] = d.shortValue();
    out[8] = (int) (char) a.intValue() + (byte) b.intValue();
  }

  @Test
  void byteValueAndShortValueOfBoxedScalarsNarrowAsJava() {
    int[] ints = {0, 127, 128, 255, 300, -129, 32768, 70000, Integer.MIN_VALUE, Integer.MAX_VALUE};
    long[] longs = {0, 383, -129, 1L << 40 | 0x8181, Long.MIN_VALUE, Long.MAX_VALUE};
    float[] floats = {0, 200.7f, -129.5f, 40000.5f, 3e9f, -3e9f, Float.NaN, Float.POSITIVE_INFINITY};
    double[] doubles = {0, 200.7, -40000.5, 5e9, -5e18, Double.NaN, Double.NEGATIVE_INFINITY};
    for (int k = 0; k < ints.length; k++) {
      Integer a = ints[k];
      Long b = longs[k % longs.length];
      Float c = floats[k % floats.length];
      Double d = doubles[k % doubles.length];
      int[] cpu = new int[9];
      int[] gpu = new int[9];
      CPU.forEach(1, ClKernelSemanticsTest::narrowsBoxes, a, b, c, d, cpu);
      GPU.forEach(1, ClKernelSemanticsTest::narrowsBoxes, a, b, c, d, gpu);
      assertOnDevice();
      assertArrayEquals(cpu, gpu, a + ", " + b + ", " + c + ", " + d);
    }
  }

  @Test
  void theDeviceListSaysWhetherFloatDenormalsAreKept() {
    dev.pincette.DeviceInfo info = Compute.devices().stream()
        .filter(d -> d.backend().equals("opencl") && d.available()).findFirst().orElseThrow();
    String denormals = info.properties().get("float denormals");
    assertEquals(opencl.kernels().floatDenormals(), denormals.startsWith("kept"), denormals);
  }

  @Test
  void longArithmeticAsJava() {
    int n = JavaKernels.LONGS.length * JavaKernels.LONGS.length;
    int[] shifts = {0, 1, 31, 32, 33, 63, 64, 65, -1, 127};
    long[] cpu = new long[n * JavaKernels.LONG_RESULTS];
    long[] gpu = new long[cpu.length];
    CPU.forEach(n, JavaKernels::longOps, JavaKernels.LONGS, shifts, cpu);
    GPU.forEach(n, JavaKernels::longOps, JavaKernels.LONGS, shifts, gpu);
    assertOnDevice();
    for (int k = 0; k < cpu.length; k++) {
      if (cpu[k] != gpu[k]) {
        fail("result " + k % JavaKernels.LONG_RESULTS + " of work item " + k / JavaKernels.LONG_RESULTS + ": cpu "
            + cpu[k] + ", opencl " + gpu[k]);
      }
    }
  }

  @Test
  void floatArithmeticAndConversionsAreBitExact() {
    int n = JavaKernels.FLOATS.length * JavaKernels.FLOATS.length;
    float[] cpu = new float[n * JavaKernels.FLOAT_RESULTS];
    float[] gpu = new float[cpu.length];
    int[] cpuInts = new int[n * 8];
    int[] gpuInts = new int[n * 8];
    long[] cpuLongs = new long[n * 2];
    long[] gpuLongs = new long[n * 2];
    CPU.forEach(n, JavaKernels::floatOps, JavaKernels.FLOATS, JavaKernels.INTS, cpu, cpuInts, cpuLongs);
    GPU.forEach(n, JavaKernels::floatOps, JavaKernels.FLOATS, JavaKernels.INTS, gpu, gpuInts, gpuLongs);
    assertOnDevice();
    assertTrue(opencl.kernels().floatDenormals(), "this device flushes float denormals: results differ there");
    for (int k = 0; k < cpu.length; k++) {
      if (Float.floatToIntBits(cpu[k]) != Float.floatToIntBits(gpu[k])) {
        int item = k / JavaKernels.FLOAT_RESULTS;
        fail("result " + k % JavaKernels.FLOAT_RESULTS + " of (" + JavaKernels.FLOATS[item % JavaKernels.FLOATS.length]
            + ", " + JavaKernels.FLOATS[item / JavaKernels.FLOATS.length] + "): cpu " + cpu[k] + ", opencl " + gpu[k]);
      }
    }
    assertIntsEqual(cpuInts, gpuInts, 8);
    assertArrayEquals(cpuLongs, gpuLongs);
  }

  @Test
  void doubleArithmeticAndConversionsAreBitExact() {
    int n = JavaKernels.DOUBLES.length * JavaKernels.DOUBLES.length;
    long[] longs = {0, 1, -1, Long.MAX_VALUE, Long.MIN_VALUE, (1L << 53) + 1, -(1L << 60) - 3};
    double[] cpu = new double[n * JavaKernels.DOUBLE_RESULTS];
    double[] gpu = new double[cpu.length];
    long[] cpuLongs = new long[n * 6];
    long[] gpuLongs = new long[n * 6];
    float[] cpuFloats = new float[n];
    float[] gpuFloats = new float[n];
    CPU.forEach(n, JavaKernels::doubleOps, JavaKernels.DOUBLES, longs, cpu, cpuLongs, cpuFloats);
    GPU.forEach(n, JavaKernels::doubleOps, JavaKernels.DOUBLES, longs, gpu, gpuLongs, gpuFloats);
    assertOnDevice();
    for (int k = 0; k < cpu.length; k++) {
      int result = k % JavaKernels.DOUBLE_RESULTS;
      boolean pow = result == 19 || result == 24 || result == 25;
      if (pow ? !withinUlps(cpu[k], gpu[k], 1 + 16) : Double.doubleToLongBits(cpu[k]) != Double.doubleToLongBits(gpu[k])) {
        int item = k / JavaKernels.DOUBLE_RESULTS;
        fail("result " + result + " of (" + JavaKernels.DOUBLES[item % JavaKernels.DOUBLES.length] + ", "
            + JavaKernels.DOUBLES[item / JavaKernels.DOUBLES.length] + "): cpu " + cpu[k] + ", opencl " + gpu[k]);
      }
    }
    assertArrayEquals(cpuLongs, gpuLongs);
    for (int k = 0; k < n; k++) assertEquals(Float.floatToIntBits(cpuFloats[k]), Float.floatToIntBits(gpuFloats[k]));
  }

  /** Java's bound plus OpenCL's, per function, in ulps of the result. */
  private static final double[] TRANSCENDENTAL_ULPS = {
      1 + 3, 1 + 3, 1 + 3, 1 + 4, 1 + 4, 1 + 5, 1 + 4, 1 + 4, 1 + 5, 2.5 + 4, 2.5 + 4, 2.5 + 5, 2 + 6, 1 + 16, 1 + 4,
      1 + 2, 1 + 3, 1 + 2, 1 + 3};

  @Test
  void transcendentalsAreWithinTheirBounds() {
    int n = JavaKernels.DOUBLES.length * JavaKernels.DOUBLES.length;
    double[] cpu = new double[n * JavaKernels.TRANSCENDENTALS];
    double[] gpu = new double[cpu.length];
    CPU.forEach(n, JavaKernels::transcendentals, JavaKernels.DOUBLES, cpu);
    GPU.forEach(n, JavaKernels::transcendentals, JavaKernels.DOUBLES, gpu);
    assertOnDevice();
    for (int k = 0; k < cpu.length; k++) {
      int f = k % JavaKernels.TRANSCENDENTALS;
      if (!withinUlps(cpu[k], gpu[k], TRANSCENDENTAL_ULPS[f])) {
        int item = k / JavaKernels.TRANSCENDENTALS;
        fail("function " + f + " of (" + JavaKernels.DOUBLES[item % JavaKernels.DOUBLES.length] + ", "
            + JavaKernels.DOUBLES[item / JavaKernels.DOUBLES.length] + "): cpu " + cpu[k] + ", opencl " + gpu[k]);
      }
    }
  }

  /** Both NaN, equal (zeros by sign), or within {@code ulps} of the larger one's ulp. */
  static boolean withinUlps(double expected, double actual, double ulps) {
    if (Double.isNaN(expected) || Double.isNaN(actual)) return Double.isNaN(expected) && Double.isNaN(actual);
    if (expected == actual) return Double.doubleToLongBits(expected) == Double.doubleToLongBits(actual)
        || expected != 0;
    if (Double.isInfinite(expected) || Double.isInfinite(actual)) {
      // Near the overflow threshold one side may round to infinity.
      double finite = Double.isInfinite(expected) ? actual : expected;
      return Math.abs(finite) >= Double.MAX_VALUE / (1 + ulps * Math.ulp(1.0));
    }
    return Math.abs(expected - actual) <= ulps * Math.max(Math.ulp(expected), Math.ulp(actual));
  }

  @Test
  void controlFlowCalleesConstantsAndBytesAsJava() {
    SplittableRandom rnd = new SplittableRandom(3);
    int n = 4096;
    int[] values = new int[n];
    for (int i = 0; i < n; i++) values[i] = i < JavaKernels.INTS.length ? JavaKernels.INTS[i] : rnd.nextInt();
    byte[] cpuBytes = new byte[n];
    for (int i = 0; i < n; i++) cpuBytes[i] = (byte) rnd.nextInt();
    byte[] gpuBytes = cpuBytes.clone();
    long[] cpu = new long[n];
    long[] gpu = new long[n];
    CPU.forEach(n, JavaKernels::control, values, cpuBytes, cpu);
    GPU.forEach(n, JavaKernels::control, values, gpuBytes, gpu);
    assertOnDevice();
    assertArrayEquals(cpu, gpu);
    assertArrayEquals(cpuBytes, gpuBytes);
  }

  @Test
  void atomicsCountEveryUpdate() {
    int n = 10_000;
    int[] values = new int[n];
    SplittableRandom rnd = new SplittableRandom(5);
    for (int i = 0; i < n; i++) values[i] = rnd.nextInt();
    int[] bins = new int[8];
    float[] total = new float[1];
    int[] extremes = {Integer.MAX_VALUE, Integer.MIN_VALUE};
    GPU.forEach(n, JavaKernels::atomics, values, bins, total, extremes);
    assertOnDevice();
    int[] expected = new int[8];
    for (int v : values) expected[v & 7]++;
    assertArrayEquals(expected, bins);
    assertEquals(n * 0.25f, total[0], "quarters add exactly in any order");
    assertEquals(Arrays.stream(values).min().orElseThrow(), extremes[0]);
    assertEquals(Arrays.stream(values).max().orElseThrow(), extremes[1]);
  }

  @Test
  void sumsOfTermsMatchTheCpuWithinTheBound() {
    int n = 100_003;
    SplittableRandom rnd = new SplittableRandom(9);
    float[] v = new float[n];
    float[] m = new float[n];
    double abs = 0;
    for (int i = 0; i < n; i++) {
      v[i] = (float) rnd.nextDouble(-2, 2);
      m[i] = (float) rnd.nextDouble(0, 1);
      abs += Math.abs(JavaKernels.energy(i, v, m));
    }
    double cpu = CPU.sum(n, JavaKernels::energy, v, m);
    double gpu = GPU.sum(n, JavaKernels::energy, v, m);
    assertOnDevice();
    assertEquals(cpu, gpu, 2e-6 * abs);
    int[] x = new int[n];
    for (int i = 0; i < n; i++) x[i] = i;
    assertEquals(n / 2, GPU.sum(n, JavaKernels::parity, x), "an int term widens to float");
  }

  private static void assertIntsEqual(int[] cpu, int[] gpu, int results) {
    for (int k = 0; k < cpu.length; k++) {
      if (cpu[k] != gpu[k]) {
        fail("result " + k % results + " of work item " + k / results + ": cpu " + cpu[k] + ", opencl " + gpu[k]);
      }
    }
  }
}
