package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.BackendKind;
import dev.pincette.CallRecord;
import dev.pincette.Compute;
import dev.pincette.DeviceMatrix;
import dev.pincette.Matrix;
import dev.pincette.internal.CallCost;
import dev.pincette.internal.Dispatcher;
import dev.pincette.internal.Health;
import dev.pincette.kernels.ReduceOp;
import dev.pincette.spi.Resident;
import dev.pincette.testing.Products;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The dispatcher's health of the OpenCL backend: only device failures count, wherever they surface; refusals and a
 * caller's races do not; a call that throws an Error leaves no call counted as running; a backend switched off is
 * probed again after its cool-down ({@code pincette.retryAfterSeconds}, 1 s in these tests).
 */
class ClHealthTest {
  private static ClBackend opencl;
  private static Health health;

  @BeforeAll
  static void requireDevice() {
    ClTestDevice.require(new ClBackend(null, null, false, true));
    opencl = (ClBackend) Dispatcher.get().backend("opencl");
    health = Dispatcher.get().health();
  }

  @BeforeEach
  @AfterEach
  void reset() {
    ClFaults.clear();
    opencl.residents().setBudget(Long.MAX_VALUE);
    health.reset();
  }

  private static Matrix random(int rows, int cols, long seed) {
    return Matrix.of(rows, cols, Products.random(rows * cols, seed));
  }

  @Test
  void refusalsDoNotSwitchTheDeviceOff() {
    Matrix a = random(64, 64, 1);
    try (DeviceMatrix da = Compute.on(BackendKind.OPENCL).upload(a)) {
      // Room for the operand only: each product is refused for want of budget and runs on the CPU.
      opencl.residents().setBudget(ClBufferPool.sizeClass(4L * 64 * 64));
      for (int i = 0; i < 2 * Health.OFF_AFTER; i++) {
        try (DeviceMatrix product = Compute.on(BackendKind.OPENCL).matmul(da, da)) {
          CallRecord record = Compute.lastCall();
          assertEquals("cpu", record.backend());
          assertTrue(record.fallbackReason().startsWith("opencl refused: resident data needs"), record.toString());
        }
      }
      assertEquals(0, health.failuresInARow("opencl"));
      opencl.residents().setBudget(Long.MAX_VALUE);
      try (DeviceMatrix product = Compute.on(BackendKind.OPENCL).matmul(da, da)) {
        assertEquals("opencl", product.backend(), "the device is still in use");
        assertEquals(Compute.on(BackendKind.CPU).matmul(a, a).shape(), product.download().shape());
      }
    }
  }

  @Test
  void aMatrixClosedDuringACallIsTheCallersErrorNotTheDevices() {
    Resident closed = Compute.on(BackendKind.OPENCL).call(() -> Dispatcher.get().upload(new float[16]));
    assertEquals("opencl", closed.backend());
    closed.close();
    CallCost cost = new CallCost(CallCost.REDUCE, 16, 0, 8);
    for (int i = 0; i < 2 * Health.OFF_AFTER; i++) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> Compute.on(BackendKind.OPENCL).call(
          () -> Dispatcher.get().runOn("sum", "n=16 resident", cost, List.of(closed), (be, in) -> be.sum(in.get(0)))));
      assertTrue(e.getMessage().contains("closed during the call"), e.getMessage());
    }
    assertEquals(0, health.failuresInARow("opencl"));
    assertTrue(health.isOn("opencl"));
  }

  @Test
  void aKernelThatFailsAfterItsCallReturnedCountsAgainstTheDevice() {
    Matrix a = random(32, 32, 2);
    try (DeviceMatrix da = Compute.on(BackendKind.OPENCL).upload(a)) {
      ClFaults.failNext("kernelFailure(matmul)");
      try (DeviceMatrix product = Compute.on(BackendKind.OPENCL).matmul(da, da)) {
        assertFalse(ClFaults.armed(), "the fault fired");
        assertEquals("opencl", product.backend());
        assertEquals(0, health.failuresInARow("opencl"), "the call itself succeeded");
        Products.assertProduct(a.toArray(), a.toArray(), 32, 32, 32, product.download().toArray());
        assertEquals(1, health.failuresInARow("opencl"), "found failed when read, and computed again");
      }
    }
  }

  @Test
  void anErrorThrownInACallLeavesNoCallRunning() {
    CallCost cost = new CallCost(CallCost.REDUCE, 16, 64, 8);
    assertThrows(AssertionError.class, () -> Compute.on(BackendKind.OPENCL).call(() -> Dispatcher.get().run("sum",
        "n=16", cost, be -> {
          throw new AssertionError("an Error inside the call");
        })));
    AtomicInteger running = Dispatcher.get().costModel().started("opencl");
    try {
      assertEquals(1, running.get(), "only the call started just now");
    } finally {
      running.decrementAndGet();
    }
    assertTrue(health.isOn("opencl"));
  }

  @Test
  void aDeviceSwitchedOffIsProbedAgainAfterItsCoolDown() throws Exception {
    float[] x = Products.random(10_000, 3);
    for (int i = 0; i < Health.OFF_AFTER; i++) {
      ClFaults.failNext("clEnqueueNDRangeKernel(sum_");
      assertEquals(ReduceOp.referenceSum(x), Compute.on(BackendKind.OPENCL).sum(x), 1e-6 * ReduceOp.absSum(x));
      assertFalse(ClFaults.armed(), "the fault fired");
      assertTrue(Compute.lastCall().fellBack());
    }
    assertFalse(health.isOn("opencl"));
    Compute.on(BackendKind.OPENCL).sum(x);
    assertEquals("cpu", Compute.lastCall().backend());
    assertTrue(Compute.lastCall().fallbackReason().contains("off after repeated failures"),
        Compute.lastCall().toString());
    // The cool-down in effect (1 s under this module's surefire settings, 30 s where the property is not set, as in a
    // bundle that runs the tests on one class path): the forced call after it is the probe.
    Thread.sleep(health.coolDown().toMillis() + 100);
    assertEquals(ReduceOp.referenceSum(x), Compute.on(BackendKind.OPENCL).sum(x), 1e-6 * ReduceOp.absSum(x));
    assertEquals("opencl", Compute.lastCall().backend(), "the probe ran on the device");
    assertTrue(health.isOn("opencl"), "and switched it back on");
  }
}
