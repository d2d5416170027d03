package dev.pincette.opencl;

import dev.pincette.spi.Backend;
import dev.pincette.spi.BackendProvider;

/** Registers the OpenCL backend with {@link java.util.ServiceLoader}; loading it touches no native code. */
public final class ClBackendProvider implements BackendProvider {
  /** Called by {@link java.util.ServiceLoader}. */
  public ClBackendProvider() {}

  @Override
  public String name() {
    return "opencl";
  }

  /** Finds the OpenCL runtime and its devices; without them the backend is unavailable, it does not throw. */
  @Override
  public Backend create() {
    return new ClBackend();
  }
}
