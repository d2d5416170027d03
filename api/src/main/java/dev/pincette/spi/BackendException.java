package dev.pincette.spi;

/**
 * A backend could not complete a call; the call falls back to the CPU. A device failure (a device error, a lost
 * device) counts against the backend's health (see {@code Dispatcher}); a {@link BackendRefusedException} does not.
 */
public class BackendException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** A device failure described by {@code message}. */
  public BackendException(String message) {
    super(message);
  }

  /** A device failure described by {@code message}, caused by {@code cause}. */
  public BackendException(String message, Throwable cause) {
    super(message, cause);
  }
}
