package dev.pincette.spi;

/** A backend could not complete a call (device error, lost device, out of device memory); the call falls back. */
public class BackendException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public BackendException(String message) {
    super(message);
  }

  public BackendException(String message, Throwable cause) {
    super(message, cause);
  }
}
