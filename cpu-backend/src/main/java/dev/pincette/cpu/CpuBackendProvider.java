package dev.pincette.cpu;

import dev.pincette.spi.Backend;
import dev.pincette.spi.BackendProvider;

/** Registers the CPU backend with {@link java.util.ServiceLoader}. */
public final class CpuBackendProvider implements BackendProvider {
  /** Called by {@link java.util.ServiceLoader}. */
  public CpuBackendProvider() {}

  @Override
  public String name() {
    return "cpu";
  }

  @Override
  public Backend create() {
    return new CpuBackend();
  }
}
