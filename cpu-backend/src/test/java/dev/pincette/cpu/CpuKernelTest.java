package dev.pincette.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.ComputeOn;
import dev.pincette.Kernel1;
import dev.pincette.Kernel2;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Kernels on the CPU through {@code Compute}: the method itself, in parallel chunks, with errors in the user's terms. */
class CpuKernelTest {
  private static final ComputeOn CPU = Compute.on(BackendKind.CPU);

  static void saxpy(int i, float a, float[] x, float[] y) {
    y[i] = a * x[i] + y[i];
  }

  static float energy(int i, float[] v, float[] m) {
    return 0.5f * m[i] * v[i] * v[i];
  }

  static int square(int i, int[] x) {
    return x[i] * x[i];
  }

  static void eight(int i, int[] a, long[] b, float[] c, double[] d, byte[] e, Integer f, Long g, Double h) {
    a[i] = (int) (b[i] + c[i] + d[i] + e[i] + f + g + h);
  }

  static void shifted(int i, float[] x, float[] y) {
    y[i] = x[i + 1];
  }

  static void divides(int i, int[] x) {
    x[i] = 100 / x[i];
  }

  static void throwsItsOwn(int i, int[] x) {
    if (i == 7) throw new IllegalStateException("kernel says no at " + i);
  }

  static void twice(int i, float[] x) {
    x[i] *= 2;
  }

  private static float[] random(int n, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = (float) rnd.nextDouble(-1, 1);
    return x;
  }

  @Test
  void saxpyRunsTheMethodForEveryIndex() {
    for (int n : new int[] {1, 63, 64, 65, 1000, 1 << 20}) {
      float[] x = random(n, n);
      float[] y = random(n, n + 1);
      float[] expected = y.clone();
      for (int i = 0; i < n; i++) expected[i] = 2f * x[i] + expected[i];
      CPU.forEach(n, CpuKernelTest::saxpy, 2f, x, y);
      assertArrayEquals(expected, y, "n=" + n);
      assertEquals("cpu", Compute.lastCall().backend());
      assertEquals("forEach", Compute.lastCall().op());
    }
  }

  @Test
  void lambdasWithBoxedScalarsRunToo() {
    float[] y = new float[100];
    Compute.on(BackendKind.CPU).forEach(100, (i, a, out) -> out[i] = a * i, 3f, y);
    for (int i = 0; i < 100; i++) assertEquals(3f * i, y[i]);
  }

  @Test
  void sumAddsEveryTermWithinTheBound() {
    int n = 1 << 20;
    float[] v = random(n, 1);
    float[] m = random(n, 2);
    double exact = 0;
    double abs = 0;
    for (int i = 0; i < n; i++) {
      exact += energy(i, v, m);
      abs += Math.abs(energy(i, v, m));
    }
    assertEquals(exact, CPU.sum(n, CpuKernelTest::energy, v, m), 1e-6 * abs);
    assertEquals(0.0, CPU.sum(0, CpuKernelTest::energy, v, m));
    int[] x = {1, 2, 3};
    assertEquals(14.0, CPU.sum(3, CpuKernelTest::square, x), "an int result widens to float");
  }

  @Test
  void eightArgumentsOfEveryType() {
    int n = 300;
    int[] a = new int[n];
    long[] b = new long[n];
    float[] c = new float[n];
    double[] d = new double[n];
    byte[] e = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = i;
      c[i] = 0.5f;
      d[i] = 0.25;
      e[i] = (byte) -i;
    }
    CPU.forEach(n, CpuKernelTest::eight, a, b, c, d, e, 10, 20L, 0.25);
    for (int i = 0; i < n; i++) assertEquals((int) (i + 0.5f + 0.25 + (byte) -i + 10 + 20 + 0.25), a[i]);
  }

  @Test
  void zeroWorkItemsDoNothingAndNegativeOnesAreRefused() {
    float[] y = {1};
    CPU.forEach(0, CpuKernelTest::twice, y);
    assertEquals(1f, y[0]);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> CPU.forEach(-1, CpuKernelTest::twice, y));
    assertEquals("forEach: n is negative: -1", e.getMessage());
  }

  @Test
  void aCapturingLambdaIsRefusedByName() {
    float scale = 3;
    float[] y = new float[4];
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> CPU.forEach(4, (i, out) -> out[i] = scale, y));
    assertTrue(e.getMessage().startsWith("forEach: the kernel CpuKernelTest.lambda$"), e.getMessage());
    assertTrue(e.getMessage().contains("(CpuKernelTest.java:"), e.getMessage());
    assertTrue(e.getMessage().contains("captures 1 value"), e.getMessage());
  }

  private final float[] field = new float[4];

  void instanceKernel(int i, float[] y) {
    y[i] = field[i];
  }

  @Test
  void anInstanceMethodIsRefusedByName() {
    Kernel1<float[]> kernel = this::instanceKernel;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> CPU.forEach(4, kernel, new float[4]));
    assertTrue(e.getMessage().contains("CpuKernelTest.instanceKernel"), e.getMessage());
  }

  @Test
  @SuppressWarnings({"unchecked", "rawtypes"})
  void wrongArgumentsNameTheParameter() {
    Kernel2 raw = (Kernel2) (Kernel2<float[], float[]>) CpuKernelTest::shifted;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> CPU.forEach(4, raw, new float[4], new int[4]));
    assertEquals("forEach: argument 2 (y) of CpuKernelTest.shifted must be a float[] or a DeviceArray<float[]>, got a int[]", e.getMessage());
    NullPointerException npe = assertThrows(NullPointerException.class,
        () -> CPU.forEach(4, CpuKernelTest::shifted, new float[4], null));
    assertEquals("forEach: argument 2 (y) of CpuKernelTest.shifted is null", npe.getMessage());
    Kernel1 boxed = (Kernel1) (Kernel1<float[]>) CpuKernelTest::twice;
    e = assertThrows(IllegalArgumentException.class, () -> CPU.forEach(4, boxed, 3f));
    assertEquals("forEach: argument 1 (x) of CpuKernelTest.twice must be a float[] or a DeviceArray<float[]>, got a Float", e.getMessage());
  }

  @Test
  void anIndexOutOfBoundsNamesTheArrayTheIndexAndTheWorkItem() {
    float[] x = new float[100];
    float[] y = new float[100];
    ArrayIndexOutOfBoundsException e = assertThrows(ArrayIndexOutOfBoundsException.class,
        () -> CPU.forEach(100, CpuKernelTest::shifted, x, y));
    assertTrue(e.getMessage().matches("CpuKernelTest\\.shifted \\(CpuKernelTest\\.java:\\d+\\): Index 100 out of bounds"
        + " for length 100 of x, in work item 99"), e.getMessage());
  }

  /** Arrays of one length: the message still names the one indexed out of bounds, in a sum's kernel too. */
  @Test
  void aSumsIndexOutOfBoundsNamesTheArrayAmongArraysOfOneLength() {
    float[] v = new float[100];
    float[] m = new float[100];
    ArrayIndexOutOfBoundsException e = assertThrows(ArrayIndexOutOfBoundsException.class,
        () -> CPU.sum(101, CpuKernelTest::energy, v, m));
    assertTrue(e.getMessage().matches("CpuKernelTest\\.energy \\(CpuKernelTest\\.java:\\d+\\): Index 100 out of bounds"
        + " for length 100 of m, in work item 100"), e.getMessage());
  }

  /**
   * Once the JIT has compiled a kernel that throws often, it throws a preallocated exception with no message or stack
   * (OmitStackTraceInFastThrow): here after some 2,000 failing calls. The message must name the same things all along.
   */
  @Test
  void errorsOfAKernelThatFailsOftenStayNamed() {
    int[] zeros = new int[8];
    for (int call = 0; call < 20_000; call++) {
      ArrayIndexOutOfBoundsException e = assertThrows(ArrayIndexOutOfBoundsException.class,
          () -> CPU.forEach(8, CpuKernelTest::shifted, new float[8], new float[8]));
      String index = String.valueOf(e.getMessage());
      if (!index.contains("Index 8 out of bounds for length 8 of x, in work item 7")) fail("call " + call + ": " + index);
      ArithmeticException d = assertThrows(ArithmeticException.class,
          () -> CPU.forEach(8, CpuKernelTest::divides, zeros));
      String division = String.valueOf(d.getMessage());
      if (!division.matches("CpuKernelTest\\.divides \\(CpuKernelTest\\.java:\\d+\\): / by zero, in work item \\d")) {
        fail("call " + call + ": " + division);
      }
    }
  }

  @Test
  void integerDivisionByZeroIsAnArithmeticException() {
    int[] x = new int[200];
    java.util.Arrays.fill(x, 1);
    x[150] = 0;
    ArithmeticException e = assertThrows(ArithmeticException.class, () -> CPU.forEach(200, CpuKernelTest::divides, x));
    assertTrue(e.getMessage().matches("CpuKernelTest\\.divides \\(CpuKernelTest\\.java:\\d+\\): / by zero, in work "
        + "item 150"), e.getMessage());
  }

  @Test
  void aKernelsOwnExceptionReachesTheCaller() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> CPU.forEach(20, CpuKernelTest::throwsItsOwn, new int[1]));
    assertEquals("kernel says no at 7", e.getMessage());
  }

  @Test
  void theSameArrayMayBePassedTwice() {
    // Race-free: each work item reads and writes its own element (shifted(x, x) would race between work items, and
    // its result would depend on whether the call forks).
    int n = 5000;
    float[] x = random(n, 7);
    float[] expected = x.clone();
    for (int i = 0; i < n; i++) expected[i] = 2f * expected[i] + expected[i];
    CPU.forEach(n, CpuKernelTest::saxpy, 2f, x, x);
    assertArrayEquals(expected, x);
  }

  @Test
  void asyncKernelsCompleteTheirFutures() throws Exception {
    float[] y = {1, 2, 3};
    CompletableFuture<Void> done = Compute.async().forEach(3, CpuKernelTest::twice, y);
    done.get();
    assertArrayEquals(new float[] {2, 4, 6}, y);
    assertEquals(14.0, Compute.async().sum(3, CpuKernelTest::square, new int[] {1, 2, 3}).get());
    CompletableFuture<Void> bad = Compute.async().forEach(-1, CpuKernelTest::twice, y);
    assertTrue(assertThrows(java.util.concurrent.ExecutionException.class, bad::get)
        .getCause() instanceof IllegalArgumentException);
  }
}
