package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.internal.Dispatcher;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A class whose static initialiser calls a kernel that reads the class's own constants (a class warming its kernels
 * up): the call inside the initialiser runs on the CPU, which reads the fields as Java does, and the kernel runs on
 * the device once the class is ready. Neither call deadlocks or fails on a recursive update of a cache.
 */
class ClKernelClassInitTest {
  @BeforeAll
  static void requireDevice() {
    ClTestDevice.require(new ClBackend(null, null, false, true));
    Dispatcher.get().health().reset();
  }

  static void readsWarming(int i, float[] y) {
    y[i] = Warming.K;
  }

  static final class Warming {
    static final float K = (float) Math.sqrt(5);
    static final float[] WARMED = new float[4];

    static {
      Compute.forEach(WARMED.length, ClKernelClassInitTest::readsWarming, WARMED);
    }
  }

  @Test
  void aKernelCalledFromTheInitialiserOfAClassItReadsRunsThereAndOnTheDeviceLater() {
    float[] y = new float[4];
    // The first call translates the kernel, which reads Warming.K and so runs Warming's initialiser.
    Compute.forEach(y.length, ClKernelClassInitTest::readsWarming, y);
    float k = (float) Math.sqrt(5);
    assertArrayEquals(new float[] {k, k, k, k}, y);
    y = new float[4];
    Compute.on(BackendKind.OPENCL).forEach(y.length, ClKernelClassInitTest::readsWarming, y);
    assertArrayEquals(new float[] {k, k, k, k}, y);
    assertEquals("opencl", Compute.lastCall().backend());
    assertArrayEquals(new float[] {k, k, k, k}, Warming.WARMED, "the call inside the initialiser ran on the cpu");
  }
}
