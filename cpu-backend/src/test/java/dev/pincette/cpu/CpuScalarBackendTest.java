package dev.pincette.cpu;

import dev.pincette.spi.Backend;
import dev.pincette.testing.BackendContract;
import org.junit.jupiter.api.AfterAll;

/**
 * The shared suite on the scalar path (what users without {@code --add-modules jdk.incubator.vector} run), with
 * tiny serial thresholds so that the parallel paths run on small inputs too.
 */
class CpuScalarBackendTest extends BackendContract {
  private static final CpuBackend BACKEND = new CpuBackend(3, 1024, 4096, false);

  @Override
  protected Backend backend() {
    return BACKEND;
  }

  @AfterAll
  static void close() {
    BACKEND.close();
  }
}
