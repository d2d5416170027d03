package dev.pincette.cpu;

import dev.pincette.spi.Backend;
import dev.pincette.testing.BackendContract;
import org.junit.jupiter.api.AfterAll;

/** The shared suite on the vector path with tiny serial thresholds, so every parallel split runs on small inputs. */
class CpuParallelThresholdTest extends BackendContract {
  private static final CpuBackend BACKEND = new CpuBackend(3, 1024, 4096, VectorSupport.ENABLED);

  @Override
  protected Backend backend() {
    return BACKEND;
  }

  @AfterAll
  static void close() {
    BACKEND.close();
  }
}
