package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.Assumptions;

/** The device check every OpenCL test starts with: skip without a device, but fail on CI ({@code CI=true}). */
final class ClTestDevice {
  private ClTestDevice() {}

  static void require(ClBackend backend) {
    if (backend.isAvailable()) return;
    String why = "no OpenCL device: " + backend.unavailableReason();
    if ("true".equalsIgnoreCase(System.getenv("CI"))) fail(why + " (CI=true: OpenCL tests must run)");
    Assumptions.abort(why);
  }
}
