package dev.pincette.cpu;

import dev.pincette.spi.Backend;
import dev.pincette.testing.BackendContract;
import org.junit.jupiter.api.AfterAll;

/** The shared backend suite on the CPU backend as users get it (vector path when the JVM has the Vector API). */
class CpuBackendTest extends BackendContract {
  private static final CpuBackend BACKEND = new CpuBackend();

  @Override
  protected Backend backend() {
    return BACKEND;
  }

  @AfterAll
  static void close() {
    BACKEND.close();
  }
}
