package dev.pincette.spi;

/**
 * A backend declines a call it cannot take as asked: more memory than its device allocates at once or than its
 * budget for resident data leaves, or a feature its device lacks. Not a device failure: the call runs on the CPU and
 * the backend stays in use for others.
 */
public class BackendRefusedException extends BackendException {
  private static final long serialVersionUID = 1L;

  public BackendRefusedException(String message) {
    super(message);
  }
}
