package dev.pincette.cpu;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.ComputeOn;
import dev.pincette.testing.SpatialResidentContract;

/** A CPU map's resident outputs: its own arrays, wrapped. */
class SpatialResidentCpuTest extends SpatialResidentContract {
  @Override
  protected ComputeOn on() {
    return Compute.on(BackendKind.CPU);
  }

  @Override
  protected String backendName() {
    return "cpu";
  }
}
