package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.ComputeOn;
import dev.pincette.DeviceMatrix;
import dev.pincette.Matrix;
import dev.pincette.spi.BackendRefusedException;
import dev.pincette.spi.Resident;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Sizes of resident products on the device: one past 2^31 − 8 elements is refused before anything reaches the device
 * (65536x1 · 1x65537 once had the kernel write 2^32 floats into a buffer sized by the wrapped int, and the JVM died on
 * PoCL), and a product with k = 0 is zeros of its shape. The oversized products run in a JVM of their own, so that a
 * regression fails this test rather than killing the test run.
 */
class ClResidentSizeTest {
  @BeforeAll
  static void requireDevice() {
    ClTestDevice.require(new ClBackend(null, null, false, true));
  }

  @Test
  void productsPastTheElementCapAreRefusedBeforeReachingTheDevice() throws Exception {
    ForkedJvm.Result run = ForkedJvm.run(OversizedProducts.class, 120);
    assertEquals(0, run.exitCode(), run.output());
    assertTrue(run.output().contains("facade refused: matmul: result 65536x65537 has 4295032832 elements"),
        run.output());
    assertTrue(run.output().contains("facade refused k = 0: matmul: result 65536x65536 has 4294967296 elements"),
        run.output());
    assertTrue(run.output().contains("backend refused: matmul: result 65536x65537 has 4295032832 elements"),
        run.output());
    assertTrue(run.output().contains("backend refused mismatched operands"), run.output());
  }

  @Test
  void anArrayThatFitsOneAllocationIsPlacedInABufferTheDeviceTakes() {
    long max = 3L << 30;
    assertEquals(max, ClResidentStore.bufferBytes(max, max), "the size class of 3 GiB is 3 GiB");
    // 2.5 GiB fits, but its size class (4 GiB) does not: the device would refuse it every time.
    assertEquals(max, ClResidentStore.bufferBytes(5L << 29, max));
    assertEquals(ClBufferPool.sizeClass(1000), ClResidentStore.bufferBytes(1000, max));
    assertEquals(ClBufferPool.sizeClass(4), ClResidentStore.bufferBytes(0, max), "an empty array takes a buffer");
  }

  @Test
  void aProductWithAnEmptyInnerDimensionIsZerosOfItsShapeOnTheDevice() {
    ComputeOn opencl = Compute.on(BackendKind.OPENCL);
    try (DeviceMatrix a = opencl.upload(Matrix.zeros(300, 0)); DeviceMatrix b = opencl.upload(Matrix.zeros(0, 200));
        DeviceMatrix c = opencl.matmul(a, b)) {
      assertEquals("opencl", c.backend());
      assertEquals("300x200", c.shape());
      Matrix down = c.download();
      assertEquals(Matrix.zeros(300, 200), down);
      assertEquals(0f, down.get(299, 199));
    }
  }

  /**
   * Host-array products below the facade: a batch whose result count·m·n wraps an int (65536 · 1x65537 became 65536
   * floats) and independent products whose m·n does are refused with the size, not answered with a wrong length.
   */
  @Test
  void hostArrayBatchesPastTheElementCapAreRefusedBeforeAllocating() {
    try (ClBackend backend = new ClBackend(null, null, false, true)) {
      IllegalArgumentException batch = assertThrows(IllegalArgumentException.class,
          () -> backend.batchedMatmul(new float[0], new float[0], 65536, 1, 0, 65537));
      assertTrue(batch.getMessage().contains("4295032832 elements"), batch.getMessage());
      IllegalArgumentException each = assertThrows(IllegalArgumentException.class,
          () -> backend.matmulEach(new float[][] {new float[0]}, new float[][] {new float[0]}, 65536, 0, 65537));
      assertTrue(each.getMessage().contains("4295032832 elements"), each.getMessage());
      assertEquals(3 * 5 * 7, backend.batchedMatmul(new float[0], new float[0], 3, 5, 0, 7).length);
    }
  }

  /** A device on which no block shape of the kernel fits refuses products (a capacity, not a device failure). */
  @Test
  void noBlockShapeFittingTheDeviceIsARefusal() {
    try (ClBackend backend = new ClBackend(null, null, false, true)) {
      ClContext context = backend.context();
      ClDevice tiny = new ClDevice(0, 0, "tiny", "test", "test", "GPU", 1, 1L << 30, 16, 1, 1L << 30, false, "1",
          "OpenCL 3.0", java.util.Set.of());
      ClMatmul matmul = new ClMatmul(tiny, null, false);
      assertTrue(matmul.usableTiles().isEmpty());
      int n = 256;   // above the small products' path, which has no blocks
      float[] a = new float[n * n];
      assertThrows(BackendRefusedException.class, () -> matmul.multiply(context, "matmul", a, a, 1, n, n, n));
      assertThrows(BackendRefusedException.class,
          () -> matmul.multiplyEach(context, new float[][] {a}, new float[][] {a}, n, n, n));
    }
  }

  /** The calls that crashed the JVM, each expected to throw {@link IllegalArgumentException}; exit 0 when all do. */
  static final class OversizedProducts {
    public static void main(String[] args) {
      ComputeOn opencl = Compute.on(BackendKind.OPENCL);
      try (DeviceMatrix tall = opencl.upload(Matrix.zeros(65536, 1));
          DeviceMatrix wide = opencl.upload(Matrix.zeros(1, 65537));
          DeviceMatrix empty = opencl.upload(Matrix.zeros(65536, 0));
          DeviceMatrix emptyWide = opencl.upload(Matrix.zeros(0, 65536))) {
        if (!tall.backend().equals("opencl")) throw new AssertionError("uploaded to " + tall.backend());
        expectRefusal("facade refused", () -> opencl.matmul(tall, wide));
        expectRefusal("facade refused k = 0", () -> opencl.matmul(empty, emptyWide));
      }
      // Below the facade's check: the backend checks the sizes itself before it allocates or enqueues.
      try (ClBackend backend = new ClBackend(null, null, false, true);
          Resident tall = backend.upload(new float[65536]);
          Resident wide = backend.upload(new float[65537])) {
        expectRefusal("backend refused", () -> backend.matmul(tall, wide, 65536, 1, 65537));
        expectRefusal("backend refused mismatched operands", () -> backend.matmul(tall, wide, 256, 256, 256));
      }
      System.out.println("every oversized product was refused");
    }

    private static void expectRefusal(String label, Runnable call) {
      try {
        call.run();
      } catch (IllegalArgumentException e) {
        System.out.println(label + ": " + e.getMessage());
        return;
      }
      System.out.println(label + ": NOT REFUSED");
      System.exit(3);
    }
  }
}
