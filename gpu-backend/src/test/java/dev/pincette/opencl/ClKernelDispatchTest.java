package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.BackendKind;
import dev.pincette.CallRecord;
import dev.pincette.Compute;
import dev.pincette.ComputeOn;
import dev.pincette.Explanation;
import dev.pincette.Kernel2;
import dev.pincette.internal.Dispatcher;
import dev.pincette.translate.UnsupportedKernelException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Kernels through the dispatcher on OpenCL and the CPU: the same errors from both, untranslatable kernels forced
 * (refused by name) or placed on the CPU (and explained), device failures rerun on the CPU, many threads at once, and
 * what crosses the bus.
 */
class ClKernelDispatchTest {
  private static final ComputeOn CPU = Compute.on(BackendKind.CPU);
  private static final ComputeOn GPU = Compute.on(BackendKind.OPENCL);
  private static ClBackend opencl;

  @BeforeAll
  static void requireDevice() {
    ClTestDevice.require(new ClBackend(null, null, false, true));
    opencl = (ClBackend) Dispatcher.get().backend("opencl");
  }

  /** Each test starts with the device on: injected failures of one test must not switch it off for the next. */
  @BeforeEach
  @AfterEach
  void disarm() {
    ClFaults.clear();
    Dispatcher.get().health().reset();
  }

  static void shifted(int i, float[] x, float[] y) {
    y[i] = x[i + 1];
  }

  static void storesPast(int i, float[] x, int[] y) {
    y[i + 3] = (int) x[i];
  }

  static void negative(int i, byte[] x, byte[] y) {
    y[i] = x[i - 1];
  }

  static void throughCallee(int i, float[] x) {
    x[i] = at(x, i * 2);
  }

  private static float at(float[] x, int k) {
    return x[k];
  }

  static void divides(int i, int[] x, long[] y) {
    x[i] = 1000 / x[i];
    y[i] = y[i] % (long) x[i];
  }

  static void floorMods(int i, int[] x) {
    x[i] = Math.floorMod(7, x[i] - 5);
  }

  static void allocates(int i, float[] y) {
    float[] tmp = new float[2];
    y[i] = tmp[0] + i;
  }

  static void scale(int i, float a, float[] x, float[] y) {
    y[i] = a * x[i];
  }

  static void offset(int i, int k, int[] y) {
    y[i] += k;
  }

  static void square(int i, double[] x) {
    x[i] = x[i] * x[i];
  }

  /** The message each backend gives, with its work item; both must be the same. */
  private static String message(ComputeOn on, Class<? extends RuntimeException> type, Runnable call) {
    return assertThrows(type, call::run).getMessage();
  }

  @Test
  void indexesOutOfBoundsAreTheSameErrorOnEveryBackend() {
    float[] x = new float[64];
    float[] y = new float[64];
    String cpu = message(CPU, ArrayIndexOutOfBoundsException.class, () -> CPU.forEach(64, ClKernelDispatchTest::shifted,
        x, y));
    String gpu = message(GPU, ArrayIndexOutOfBoundsException.class, () -> GPU.forEach(64, ClKernelDispatchTest::shifted,
        x, y));
    assertTrue(gpu.matches("ClKernelDispatchTest\\.shifted \\(ClKernelDispatchTest\\.java:\\d+\\): Index 64 out of "
        + "bounds for length 64 of x, in work item 63"), gpu);
    assertEquals(cpu, gpu);

    int[] ints = new int[10];
    assertEquals(message(CPU, ArrayIndexOutOfBoundsException.class,
            () -> CPU.forEach(8, ClKernelDispatchTest::storesPast, new float[8], ints)),
        message(GPU, ArrayIndexOutOfBoundsException.class,
            () -> GPU.forEach(8, ClKernelDispatchTest::storesPast, new float[8], ints)));
    byte[] bytes = new byte[4];
    String negative = message(GPU, ArrayIndexOutOfBoundsException.class,
        () -> GPU.forEach(1, ClKernelDispatchTest::negative, bytes, bytes));
    assertTrue(negative.contains("Index -1 out of bounds for length 4 of x, in work item 0"), negative);
    assertEquals(message(CPU, ArrayIndexOutOfBoundsException.class,
            () -> CPU.forEach(1, ClKernelDispatchTest::negative, bytes, bytes)), negative);
  }

  /**
   * Work items run in slices of {@link ClJavaKernels#SLICE}: ids continue across slices, and a kernel whose work items
   * fail past an array's end stops at the first slice (Integer.MAX_VALUE of them ran minutes on PoCL).
   */
  @Test
  void workItemsRunInSlicesThatStopAtTheFirstError() {
    int n = (int) ClJavaKernels.SLICE + 3;
    int[] y = new int[n];
    GPU.forEach(n, ClKernelDispatchTest::offset, 5, y);
    assertEquals("opencl", Compute.lastCall().backend());
    for (int i : new int[] {0, n - 4, n - 3, n - 2, n - 1}) assertEquals(5, y[i], "work item " + i);
    String gpu = message(GPU, ArrayIndexOutOfBoundsException.class,
        () -> GPU.forEach(Integer.MAX_VALUE, ClKernelDispatchTest::shifted, new float[38], new float[38]));
    assertTrue(gpu.contains("out of bounds for length 38 of"), gpu);
    assertEquals("opencl", Compute.lastCall().backend());
  }

  @Test
  void anErrorInACalleeNamesTheCalleesLine() {
    float[] x = new float[10];
    String gpu = message(GPU, ArrayIndexOutOfBoundsException.class,
        () -> GPU.forEach(6, ClKernelDispatchTest::throughCallee, x));
    assertTrue(gpu.startsWith("ClKernelDispatchTest.at (ClKernelDispatchTest.java:"), gpu);
    assertTrue(gpu.endsWith("Index 10 out of bounds for length 10 of x, in work item 5"), gpu);
    assertEquals(message(CPU, ArrayIndexOutOfBoundsException.class,
        () -> CPU.forEach(6, ClKernelDispatchTest::throughCallee, x.clone())), gpu);
  }

  @Test
  void integerDivisionByZeroIsAnArithmeticExceptionOnEveryBackend() {
    int[] x = {5, 0, 5, 5};
    long[] y = new long[4];
    String gpu = message(GPU, ArithmeticException.class, () -> GPU.forEach(4, ClKernelDispatchTest::divides, x.clone(),
        y));
    assertTrue(gpu.matches("ClKernelDispatchTest\\.divides \\(ClKernelDispatchTest\\.java:\\d+\\): / by zero, in work "
        + "item 1"), gpu);
    assertEquals(message(CPU, ArithmeticException.class, () -> CPU.forEach(4, ClKernelDispatchTest::divides,
        x.clone(), y)), gpu);
    int[] ones = {1000, 1000, 1000};
    GPU.forEach(3, ClKernelDispatchTest::divides, ones, y);
    assertArrayEquals(new int[] {1, 1, 1}, ones);
    int[] five = {6, 5, 4};
    assertTrue(message(GPU, ArithmeticException.class, () -> GPU.forEach(3, ClKernelDispatchTest::floorMods, five))
        .endsWith("/ by zero, in work item 1"));
  }

  @Test
  void anUnsupportedKernelForcedOntoTheDeviceIsRefusedByNameAndAutoRunsItOnTheCpu() {
    float[] y = new float[4];
    UnsupportedKernelException e = assertThrows(UnsupportedKernelException.class,
        () -> GPU.forEach(4, ClKernelDispatchTest::allocates, y));
    assertTrue(e.getMessage().matches("ClKernelDispatchTest\\.allocates \\(ClKernelDispatchTest\\.java:\\d+\\): "
        + "allocation of float\\[\\] is not supported in a kernel"), e.getMessage());
    Compute.forEach(4, ClKernelDispatchTest::allocates, y);
    assertEquals("cpu", Compute.lastCall().backend());
    assertArrayEquals(new float[] {0, 1, 2, 3}, y);
    Explanation why = Compute.explain(() -> Compute.forEach(4, ClKernelDispatchTest::allocates, y));
    assertEquals("cpu", why.chosen());
    assertTrue(why.reason().contains("opencl cannot run it: " + e.getMessage()), why.reason());
    String translatable = Compute.explain(() -> Compute.forEach(3, ClKernelDispatchTest::shifted, y, y)).reason();
    assertFalse(translatable.contains("cannot run it"), translatable);
  }

  @Test
  void aDeviceFailureReRunsTheKernelOnTheCpuWithTheSameResult() {
    SplittableRandom rnd = new SplittableRandom(1);
    float[] x = new float[5000];
    for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextDouble();
    float[] expected = new float[x.length];
    CPU.forEach(x.length, ClKernelDispatchTest::scale, 3f, x, expected);
    for (String call : new String[] {"clEnqueueNDRangeKernel(java_", "clCreateBuffer(java_",
        "clEnqueueWriteBuffer(java_", "clEnqueueReadBuffer(java_"}) {
      // A read that fails once after the kernel ran is read again on the drained queue: it fails every time here.
      if (call.startsWith("clEnqueueReadBuffer")) ClFaults.failEvery(call);
      else ClFaults.failNext(call);
      float[] y = new float[x.length];
      GPU.forEach(x.length, ClKernelDispatchTest::scale, 3f, x, y);
      if (call.startsWith("clEnqueueReadBuffer")) ClFaults.clear();
      CallRecord record = Compute.lastCall();
      assertTrue(record.fellBack(), call + ": " + record);
      assertEquals("cpu", record.backend());
      assertTrue(record.fallbackReason().contains("CL_OUT_OF_RESOURCES in " + call), record.fallbackReason());
      assertArrayEquals(expected, y, call);
      assertFalse(ClFaults.armed());
      // A success between failures keeps the device healthy (three failures in a row retire it).
      float[] again = new float[x.length];
      GPU.forEach(x.length, ClKernelDispatchTest::scale, 3f, x, again);
      assertEquals("opencl", Compute.lastCall().backend());
      assertArrayEquals(expected, again);
    }
  }

  @Test
  @SuppressWarnings({"unchecked", "rawtypes"})
  void wrongArgumentsAreRefusedBeforeAnyBackendRuns() {
    Kernel2 raw = (Kernel2) (Kernel2<float[], float[]>) ClKernelDispatchTest::shifted;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> GPU.forEach(4, raw, new double[4], new float[4]));
    assertEquals("forEach: argument 1 (x) of ClKernelDispatchTest.shifted must be a float[] or a DeviceArray<float[]>, got a double[]",
        e.getMessage());
  }

  @Test
  void onlyArraysTheKernelWritesAreCopiedBack() {
    float[] x = {1, 2, 3};
    float[] y = new float[3];
    long before = opencl.kernels().arraysCopiedBack();
    GPU.forEach(3, ClKernelDispatchTest::scale, 2f, x, y);
    assertEquals(before + 1, opencl.kernels().arraysCopiedBack(), "y only");
    assertArrayEquals(new float[] {2, 4, 6}, y);
    // Each work item reads and writes its own element: shifted(both, both) would race, and its result would be
    // whatever order the device runs the work items in.
    float[] both = {1, 2, 3, 4};
    GPU.forEach(3, ClKernelDispatchTest::scale, 2f, both, both);
    assertEquals(before + 2, opencl.kernels().arraysCopiedBack(), "an array passed twice is one buffer");
    assertArrayEquals(new float[] {2, 4, 6, 4}, both);
  }

  @ParameterizedTest
  @EnumSource(value = BackendKind.class, names = {"CPU", "OPENCL"})
  void sixteenThreadsCallingDifferentKernelsAtOnce(BackendKind kind) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Future<?>> calls = new ArrayList<>();
      for (int t = 0; t < 16; t++) {
        int thread = t;
        calls.add(pool.submit(() -> {
          ComputeOn on = Compute.on(kind);
          SplittableRandom rnd = new SplittableRandom(thread);
          for (int round = 0; round < 6; round++) {
            int n = 1 + rnd.nextInt(3000);
            switch ((thread + round) % 3) {
              case 0 -> {
                float[] x = new float[n];
                float[] y = new float[n];
                for (int i = 0; i < n; i++) x[i] = i;
                on.forEach(n, ClKernelDispatchTest::scale, (float) thread, x, y);
                for (int i = 0; i < n; i++) assertEquals((float) thread * i, y[i]);
              }
              case 1 -> {
                int[] y = new int[n];
                on.forEach(n, ClKernelDispatchTest::offset, thread, y);
                on.forEach(n, ClKernelDispatchTest::offset, round, y);
                for (int v : y) assertEquals(thread + round, v);
              }
              default -> {
                double[] x = new double[n];
                for (int i = 0; i < n; i++) x[i] = i * 0.5;
                on.forEach(n, ClKernelDispatchTest::square, x);
                for (int i = 0; i < n; i++) assertEquals(i * 0.5 * (i * 0.5), x[i]);
              }
            }
            assertEquals(kind.id(), Compute.lastCall().backend());
          }
          return null;
        }));
      }
      for (Future<?> f : calls) f.get(5, TimeUnit.MINUTES);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aLaterBackendLoadsTheTranslatedProgramFromTheDiskCache(@TempDir Path cache) {
    float[] x = {1, 2, 3};
    float[] y = new float[3];
    try (ClBackend first = new ClBackend(null, cache, false, true)) {
      first.forEach(new dev.pincette.spi.KernelLaunch(kernel(), 3, arguments(x, y), false));
      assertEquals(0, first.context().programs.loadedFromDisk());
    }
    try (ClBackend later = new ClBackend(null, cache, false, true)) {
      later.forEach(new dev.pincette.spi.KernelLaunch(kernel(), 3, arguments(x, y), false));
      assertEquals(1, later.context().programs.loadedFromDisk());
      assertEquals(0, later.context().programs.builtFromSource());
    }
    assertArrayEquals(new float[] {2, 4, 6}, y);
  }

  static void floatRoot(int i, float[] x) {
    x[i] = (float) Math.sqrt(x[i]);
  }

  @Test
  void aKernelComputingInDoubleIsRefusedByADeviceWithoutFloat64() {
    double[] x = {1, 4, 9};
    float[] f = {1, 4, 9};
    dev.pincette.spi.KernelMethod squareMethod = new dev.pincette.spi.KernelMethod(
        (dev.pincette.Kernel1<double[]>) ClKernelDispatchTest::square, ClKernelDispatchTest.class, "square",
        java.lang.constant.MethodTypeDesc.ofDescriptor("(I[D)V"), List.of(int.class, double[].class),
        List.of("i", "x"), false);
    dev.pincette.spi.KernelMethod rootMethod = new dev.pincette.spi.KernelMethod(
        (dev.pincette.Kernel1<float[]>) ClKernelDispatchTest::floatRoot, ClKernelDispatchTest.class, "floatRoot",
        java.lang.constant.MethodTypeDesc.ofDescriptor("(I[F)V"), List.of(int.class, float[].class),
        List.of("i", "x"), false);
    try (ClBackend noFloat64 = new ClBackend(null, null, false, true, false, false)) {
      var square = new dev.pincette.spi.KernelLaunch(squareMethod, 3, List.of(new dev.pincette.spi.KernelArg(1, "x",
          dev.pincette.spi.KernelArg.Kind.ARRAY, dev.pincette.spi.KernelArg.Type.DOUBLE, x)), false);
      RuntimeException why = noFloat64.kernelRefusal(square);
      assertTrue(why instanceof IllegalStateException, String.valueOf(why));
      assertTrue(why.getMessage().startsWith("ClKernelDispatchTest.square computes in double, and "), why.getMessage());
      // (float) Math.sqrt(float) is computed in float, which gives the same bits: no float64 needed.
      var root = new dev.pincette.spi.KernelLaunch(rootMethod, 3, List.of(new dev.pincette.spi.KernelArg(1, "x",
          dev.pincette.spi.KernelArg.Kind.ARRAY, dev.pincette.spi.KernelArg.Type.FLOAT, f)), false);
      assertEquals(null, noFloat64.kernelRefusal(root));
      noFloat64.forEach(root);
      assertArrayEquals(new float[] {1, 2, 3}, f);
    }
  }

  /** The kernel {@code scale} resolved by hand, as the facade resolves a method reference. */
  private static dev.pincette.spi.KernelMethod kernel() {
    return RESOLVED;
  }

  private static final dev.pincette.spi.KernelMethod RESOLVED = new dev.pincette.spi.KernelMethod(
      (dev.pincette.Kernel3<Float, float[], float[]>) ClKernelDispatchTest::scale, ClKernelDispatchTest.class, "scale",
      java.lang.constant.MethodTypeDesc.ofDescriptor("(IF[F[F)V"),
      List.of(int.class, float.class, float[].class, float[].class), List.of("i", "a", "x", "y"), false);

  private static List<dev.pincette.spi.KernelArg> arguments(float[] x, float[] y) {
    return List.of(
        new dev.pincette.spi.KernelArg(1, "a", dev.pincette.spi.KernelArg.Kind.SCALAR,
            dev.pincette.spi.KernelArg.Type.FLOAT, 2f),
        new dev.pincette.spi.KernelArg(2, "x", dev.pincette.spi.KernelArg.Kind.ARRAY,
            dev.pincette.spi.KernelArg.Type.FLOAT, x),
        new dev.pincette.spi.KernelArg(3, "y", dev.pincette.spi.KernelArg.Kind.ARRAY,
            dev.pincette.spi.KernelArg.Type.FLOAT, y));
  }
}
