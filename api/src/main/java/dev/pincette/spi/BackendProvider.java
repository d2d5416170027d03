package dev.pincette.spi;

/**
 * Found with {@link java.util.ServiceLoader}; creating the provider must be cheap and must not touch native code,
 * so that a broken driver cannot break class loading. {@link #create()} may fail: the failure becomes the backend's
 * unavailable reason.
 */
public interface BackendProvider {
  /** The backend's short name, e.g. {@code opencl}. */
  String name();

  /** Creates the backend; called at most once per JVM by the dispatcher. */
  Backend create();
}
