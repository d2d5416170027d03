package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pincette.Precision;
import dev.pincette.kernels.MatmulOp;
import dev.pincette.spi.BackendException;
import dev.pincette.testing.Products;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Relaxed precisions on the OpenCL backend, each against the float64 reference within its documented bound: on the
 * device as users get it (tensor cores on an NVIDIA GPU; elsewhere the float32 kernel), and through the tensor-core
 * kernels with their PTX replaced by portable code of the same semantics, so that the rounding, packing, staging,
 * fragment and edge logic runs on any device (PoCL here).
 */
class ClPrecisionTest {
  private static final ClBackend DEVICE = new ClBackend();
  private static final ClBackend EMULATED = new ClBackend(null, ClProgramCache.defaultDir(), false, true, true, true);

  @BeforeAll
  static void requireDevice() {
    ClTestDevice.require(DEVICE);
    // Every product takes the tensor-core path, however small.
    for (ClBackend b : new ClBackend[] {EMULATED, DEVICE}) {
      b.matmulOp().mma.minimumFlops(0);
      b.matmulOp().smallProducts(0);
    }
  }

  @AfterEach
  void disarm() {
    ClFaults.clear();
  }

  @AfterAll
  static void close() {
    DEVICE.close();
    EMULATED.close();
  }

  static Stream<Arguments> shapes() {
    return Stream.of(Arguments.of(1, 1, 1), Arguments.of(2, 3, 4), Arguments.of(7, 13, 11), Arguments.of(17, 8, 9),
        Arguments.of(16, 16, 8), Arguments.of(33, 31, 65), Arguments.of(64, 64, 64), Arguments.of(65, 97, 67),
        Arguments.of(130, 40, 70), Arguments.of(1, 300, 1), Arguments.of(3, 5, 300), Arguments.of(300, 5, 3),
        Arguments.of(0, 5, 3), Arguments.of(4, 0, 3), Arguments.of(4, 5, 0));
  }

  static Stream<Arguments> cases() {
    return shapes().flatMap(s -> Stream.of(Precision.TF32, Precision.BF16).flatMap(p -> Stream.of(true, false)
        .map(emulated -> Arguments.of(s.get()[0], s.get()[1], s.get()[2], p, emulated))));
  }

  private static ClBackend backend(boolean emulated) {
    return emulated ? EMULATED : DEVICE;
  }

  /** Every element of {@code c} within {@code precision}'s bound of the float64 reference. */
  static void assertWithin(Precision precision, float[] a, float[] b, int m, int k, int n, float[] c, String what) {
    double[] ref = MatmulOp.reference(a, b, m, k, n);
    double[] bound = MatmulOp.errorBound(a, b, m, k, n, precision.inputRoundoff());
    assertEquals(ref.length, c.length, what);
    for (int i = 0; i < c.length; i++) {
      if (!(Math.abs(c[i] - ref[i]) <= bound[i])) {
        fail(what + " " + precision + " " + m + "x" + k + " · " + k + "x" + n + ": element (" + i / n + "," + i % n
            + ") = " + c[i] + ", reference " + ref[i] + ", bound " + bound[i]);
      }
    }
  }

  @ParameterizedTest(name = "{0}x{1} · {1}x{2} {3} emulated={4}")
  @MethodSource("cases")
  void relaxedProductsMeetTheirBoundOnEdgeShapes(int m, int k, int n, Precision precision, boolean emulated) {
    float[] a = Products.random(m * k, 31L * m + k);
    float[] b = Products.random(k * n, 7L * n + k);
    float[] c = backend(emulated).matmul(a, b, m, k, n, precision);
    assertWithin(precision, a, b, m, k, n, c, "matmul");
  }

  @ParameterizedTest
  @EnumSource(value = Precision.class, names = {"TF32", "BF16"})
  void theEmulatedMatrixUnitsRoundTheInputs(Precision precision) {
    // A product exact in float32 (small integers plus a fraction float32 keeps and the format drops) must come out
    // rounded: proof that the relaxed path ran, and that its bound is needed.
    assertEquals(Set.of(Precision.TF32, Precision.BF16), EMULATED.fasterPrecisions());
    int m = 16;
    int k = 16;
    int n = 16;
    float[] a = new float[m * k];
    float[] b = new float[k * n];
    Arrays.fill(a, 1 + 0x1p-20f);
    Arrays.fill(b, 1f);
    float[] c = EMULATED.matmul(a, b, m, k, n, precision);
    for (float v : c) assertEquals(16f, v, "inputs rounded to " + precision);
    float[] exact = EMULATED.matmul(a, b, m, k, n, Precision.FP32);
    for (float v : exact) assertEquals(16 * (1 + 0x1p-20f), v, 1e-6f);
  }

  @ParameterizedTest
  @EnumSource(value = Precision.class, names = {"TF32", "BF16"})
  void largeSquaresAndBatchesMeetTheBound(Precision precision) {
    for (boolean emulated : new boolean[] {true, false}) {
      int n = 200;
      float[] a = Products.random(n * n, 5);
      float[] b = Products.random(n * n, 6);
      assertWithin(precision, a, b, n, n, n, backend(emulated).matmul(a, b, n, n, n, precision), "square");
      for (int[] batch : new int[][] {{37, 9, 21, 5}, {600, 2, 3, 4}, {3, 70, 33, 65}}) {
        int count = batch[0];
        int m = batch[1];
        int k = batch[2];
        int p = batch[3];
        float[] as = Products.random(count * m * k, 8);
        float[] bs = Products.random(count * k * p, 9);
        float[] c = backend(emulated).batchedMatmul(as, bs, count, m, k, p, precision);
        for (int item = 0; item < count; item++) {
          assertWithin(precision, Arrays.copyOfRange(as, item * m * k, (item + 1) * m * k),
              Arrays.copyOfRange(bs, item * k * p, (item + 1) * k * p), m, k, p,
              Arrays.copyOfRange(c, item * m * p, (item + 1) * m * p), "batch item " + item);
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(value = Precision.class, names = {"TF32", "BF16"})
  void gatheredHostAndResidentProductsMeetTheBound(Precision precision) {
    int m = 70;
    int k = 45;
    int n = 90;
    float[][] as = {Products.random(m * k, 11), Products.random(m * k, 12)};
    float[][] bs = {Products.random(k * n, 13), Products.random(k * n, 14)};
    for (boolean emulated : new boolean[] {true, false}) {
      ClBackend backend = backend(emulated);
      float[][] each = backend.matmulEach(as, bs, m, k, n, precision);
      for (int i = 0; i < 2; i++) {
        assertWithin(precision, as[i], bs[i], m, k, n, each[i], "gathered");
        assertArrayEquals(backend.matmul(as[i], bs[i], m, k, n, precision), each[i], "gathered equals alone");
      }
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment sa = arena.allocateFrom(ValueLayout.JAVA_FLOAT, as[0]);
        MemorySegment sb = arena.allocateFrom(ValueLayout.JAVA_FLOAT, bs[0]);
        MemorySegment sc = arena.allocate(4L * m * n);
        backend.matmul(sa, sb, sc, m, k, n, precision);
        assertWithin(precision, as[0], bs[0], m, k, n, sc.toArray(ValueLayout.JAVA_FLOAT), "host memory");
      }
      try (var ra = backend.upload(as[0]); var rb = backend.upload(bs[0]);
          var product = backend.matmul(ra, rb, m, k, n, precision)) {
        assertWithin(precision, as[0], bs[0], m, k, n, backend.download(product), "resident");
      }
    }
  }

  @Test
  void nanAndInfinityPropagateThroughTheMatrixUnits() {
    float[] a = {1, 2, Float.NaN, 4, 1, Float.POSITIVE_INFINITY};
    float[] b = {1, 0, 0, 1};
    for (Precision p : new Precision[] {Precision.TF32, Precision.BF16}) {
      float[] c = EMULATED.matmul(a, b, 3, 2, 2, p);
      assertEquals(1f, c[0]);
      assertEquals(2f, c[1]);
      assertTrue(Float.isNaN(c[2]) && Float.isNaN(c[3]), Arrays.toString(c));
      assertTrue(Float.isNaN(c[4]), "1·1 + ∞·0");
      assertEquals(Float.POSITIVE_INFINITY, c[5]);
    }
  }

  @Test
  void aBlockShapeWhoseProgramIsRefusedIsLeftOutAndAFailedKernelFallsToTheCaller(@TempDir Path cache) {
    try (ClBackend fresh = new ClBackend(null, cache, false, true, true, true)) {
      fresh.matmulOp().mma.minimumFlops(0);
      fresh.matmulOp().smallProducts(0);
      // The build of one TF32 shape fails, as with a driver that refuses the PTX: that shape is left out. The fault
      // names the shape's own options, so that no other backend's build (an NVIDIA device probes its real tensor-core
      // shapes meanwhile) takes it.
      ClMatmulMma.Shape refused = ClMatmulMma.EMULATED_SHAPES.getFirst();
      ClFaults.failNext("clBuildProgram(matmul_mma.cl " + refused.options(Precision.TF32, true));
      List<ClMatmulMma.Shape> tf32 = fresh.matmulOp().mma.shapes(fresh.context(), Precision.TF32);
      assertFalse(ClFaults.armed());
      List<ClMatmulMma.Shape> offered = fresh.matmulOp().mma.shapes(fresh.context(), Precision.BF16);
      assertTrue(offered.contains(refused), "the device offers the refused shape: " + offered);
      List<ClMatmulMma.Shape> expected = new java.util.ArrayList<>(offered);
      expected.remove(refused);
      assertFalse(expected.isEmpty(), "a shape is left: " + offered);
      assertEquals(expected, tf32);
      float[] a = Products.random(40 * 30, 1);
      float[] b = Products.random(30 * 50, 2);
      assertWithin(Precision.TF32, a, b, 40, 30, 50, fresh.matmul(a, b, 40, 30, 50, Precision.TF32), "remaining shape");
      // A kernel failing on the device is the caller's to rerun (Compute reruns it on the CPU).
      ClFaults.failNext("clEnqueueNDRangeKernel(matmul_mma)");
      BackendException e = assertThrows(BackendException.class, () -> fresh.matmul(a, b, 40, 30, 50, Precision.BF16));
      assertTrue(e.getMessage().contains("clEnqueueNDRangeKernel(matmul_mma)"), e.getMessage());
      assertWithin(Precision.BF16, a, b, 40, 30, 50, fresh.matmul(a, b, 40, 30, 50, Precision.BF16), "after");
    }
  }

  @Test
  void aDeviceThatRefusesEveryShapeComputesRelaxedProductsInFloat32(@TempDir Path cache) {
    try (ClBackend fresh = new ClBackend(null, cache, false, true, true, true)) {
      fresh.matmulOp().mma.minimumFlops(0);
      fresh.matmulOp().smallProducts(0);
      ClFaults.failEvery("clBuildProgram(matmul_mma.cl)");
      assertEquals(List.of(), fresh.matmulOp().mma.shapes(fresh.context(), Precision.TF32));
      ClFaults.clear();
      assertFalse(fresh.fasterPrecisions().contains(Precision.TF32));
      float[] a = Products.random(40 * 30, 1);
      float[] b = Products.random(30 * 50, 2);
      assertArrayEquals(fresh.matmul(a, b, 40, 30, 50), fresh.matmul(a, b, 40, 30, 50, Precision.TF32));
    }
  }

  @Test
  void fp32StaysExactlyTheFloat32Kernel() {
    float[] a = Products.random(65 * 33, 1);
    float[] b = Products.random(33 * 17, 2);
    assertArrayEquals(EMULATED.matmul(a, b, 65, 33, 17), EMULATED.matmul(a, b, 65, 33, 17, Precision.FP32));
    assertFalse(EMULATED.fasterPrecisions().contains(Precision.FP32));
  }

  @Test
  void devicesWithoutMatrixUnitsComputeRelaxedProductsInFloat32() {
    // On PoCL (no tensor cores) the relaxed precisions take the float32 kernel: bit for bit the FP32 product.
    if (DEVICE.device().vendor().toLowerCase(java.util.Locale.ROOT).contains("nvidia")) return;
    assertEquals(Set.of(), DEVICE.fasterPrecisions());
    float[] a = Products.random(50 * 40, 3);
    float[] b = Products.random(40 * 30, 4);
    float[] fp32 = DEVICE.matmul(a, b, 50, 40, 30);
    assertArrayEquals(fp32, DEVICE.matmul(a, b, 50, 40, 30, Precision.TF32));
    assertArrayEquals(fp32, DEVICE.matmul(a, b, 50, 40, 30, Precision.BF16));
  }
}
