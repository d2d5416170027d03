package dev.pincette.opencl;

import dev.pincette.spi.Backend;
import dev.pincette.testing.BackendContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The shared backend suite on the OpenCL backend as users get it (the default device, the default cache). */
class ClBackendTest extends BackendContract {
  private static final ClBackend BACKEND = new ClBackend();

  @BeforeAll
  static void requireDevice() {
    ClTestDevice.require(BACKEND);
  }

  @Override
  protected Backend backend() {
    return BACKEND;
  }

  @AfterAll
  static void close() {
    BACKEND.close();
  }
}
