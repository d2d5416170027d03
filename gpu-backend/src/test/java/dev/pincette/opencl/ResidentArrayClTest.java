package dev.pincette.opencl;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.ComputeOn;
import dev.pincette.testing.ResidentArrayContract;
import org.junit.jupiter.api.BeforeAll;

/** Resident arrays on OpenCL (PoCL here): device buffers that kernels use in place, chained on the device. */
class ResidentArrayClTest extends ResidentArrayContract {
  @BeforeAll
  static void requireDevice() {
    ClTestDevice.require(new ClBackend(null, null, false, true));
  }

  @Override
  protected ComputeOn on() {
    return Compute.on(BackendKind.OPENCL);
  }

  @Override
  protected String backendName() {
    return "opencl";
  }
}
