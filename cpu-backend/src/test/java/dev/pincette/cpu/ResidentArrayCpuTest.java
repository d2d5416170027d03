package dev.pincette.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.ComputeOn;
import dev.pincette.DeviceArray;
import dev.pincette.Explanation;
import dev.pincette.spi.HostResident;
import dev.pincette.spi.KernelArg;
import dev.pincette.spi.KernelLaunch;
import dev.pincette.testing.ResidentArrayContract;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Resident arrays on the CPU: plain Java arrays that kernels use with no copy. */
class ResidentArrayCpuTest extends ResidentArrayContract {
  @Override
  protected ComputeOn on() {
    return Compute.on(BackendKind.CPU);
  }

  @Override
  protected String backendName() {
    return "cpu";
  }

  static void saxpy(int i, float a, float[] x, float[] y) {
    y[i] = a * x[i] + y[i];
  }

  static void lengthOnly(int i, float[] x, int[] out) {
    out[i] = x.length;
  }

  @Test
  void aCpuResidentIsTheArrayItselfForKernels() {
    float[] values = {1, 2, 3};
    HostResident resident = (HostResident) new CpuBackend(1, 1, 1, false).uploadArray(values);
    assertSame(values, resident.hostArray());
    KernelArg arg = new KernelArg(1, "x", KernelArg.Kind.RESIDENT, KernelArg.Type.FLOAT, resident, true, true);
    KernelLaunch launch = new KernelLaunch(null, 3, List.of(arg, arg), false);
    KernelLaunch host = launch.onHost();
    assertSame(values, host.arguments().get(0).value());
    assertSame(values, host.arguments().get(1).value());
    assertEquals(KernelArg.Kind.ARRAY, host.arguments().get(0).kind());
  }

  @Test
  void explainCountsOnlyTheBytesThatMove() {
    float[] x = new float[1000];
    float[] y = new float[1000];
    Explanation plain = Compute.explain(() -> Compute.forEach(1000, ResidentArrayCpuTest::saxpy, 2f, x, y));
    try (DeviceArray<float[]> dx = Compute.on(BackendKind.CPU).call(() -> Compute.upload(x))) {
      Explanation mixed = Compute.explain(() -> Compute.forEach(1000, ResidentArrayCpuTest::saxpy, 2f, dx, y));
      int[] out = new int[1000];
      Explanation lengths = Compute.explain(() -> Compute.forEach(1000, ResidentArrayCpuTest::lengthOnly, dx, out));
      if (Compute.devices().stream().filter(d -> d.available()).map(d -> d.backend()).distinct().count() > 1) {
        // With a device to weigh against, the translator's read and write sets count: y is read and written, x read.
        assertTrue(plain.shape().contains("moves 7.8 kB to a device, 3.9 kB back"), plain.shape());
        assertTrue(mixed.shape().contains("moves 3.9 kB to a device, 3.9 kB back; resident 3.9 kB on cpu"),
            mixed.shape());
        assertTrue(lengths.shape().contains("moves 3.9 kB to a device, 3.9 kB back)"), lengths.shape());
      } else {
        assertTrue(mixed.shape().contains("resident 3.9 kB on cpu"), mixed.shape());
      }
    }
  }

  @Test
  void theCpuWritesTheArrayAResidentHolds() {
    try (DeviceArray<float[]> dx = Compute.on(BackendKind.CPU).call(() -> Compute.upload(new float[] {1, 2}));
         DeviceArray<float[]> dy = Compute.on(BackendKind.CPU).call(() -> Compute.upload(new float[] {10, 20}))) {
      for (int k = 0; k < 3; k++) Compute.on(BackendKind.CPU).forEach(2, ResidentArrayCpuTest::saxpy, 2f, dx, dy);
      assertArrayEquals(new float[] {16, 32}, dy.download());
      assertEquals("cpu", Compute.lastCall().backend());
    }
  }
}
