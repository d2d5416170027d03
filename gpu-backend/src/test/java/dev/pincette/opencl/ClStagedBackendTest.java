package dev.pincette.opencl;

import dev.pincette.spi.Backend;
import dev.pincette.testing.BackendContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The shared backend suite through the discrete-GPU transfer path (pinned staging chunks, pipelined), forced on
 * whatever device runs the tests; the largest arrays of the suite span several staging chunks.
 */
class ClStagedBackendTest extends BackendContract {
  private static final ClBackend BACKEND = new ClBackend(null, ClProgramCache.defaultDir(), true, true);

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
