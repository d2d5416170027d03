package dev.pincette.opencl;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.ComputeOn;
import dev.pincette.testing.SpatialResidentContract;
import org.junit.jupiter.api.BeforeAll;

/** An OpenCL map's resident outputs: device buffers handed to kernels with no host round trip. */
class SpatialResidentClTest extends SpatialResidentContract {
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
