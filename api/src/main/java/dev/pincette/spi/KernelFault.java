package dev.pincette.spi;

/**
 * A kernel's own error found by a backend: an array index out of bounds, or an integer division by zero. Unlike a
 * {@link BackendException} it is the user's error, never a reason to run the call elsewhere: the facade throws
 * {@link #toUserException()} to the caller. Backends build the message with {@link #outOfBounds} and
 * {@link #divisionByZero}, so that every backend says the same.
 */
public final class KernelFault extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What went wrong. */
  public enum Kind {
    INDEX_OUT_OF_BOUNDS,
    DIVISION_BY_ZERO
  }

  private final Kind kind;

  private KernelFault(Kind kind, String message, Throwable origin) {
    super(message, origin, false, false);
    this.kind = kind;
  }

  /**
   * {@code where}: an array index outside {@code parameter} (or {@code null} when the backend cannot tell which array).
   *
   * @param where the method and line, e.g. {@code Physics.density (Physics.java:42)}
   * @param origin the exception the method threw on the CPU, or null on a device
   */
  public static KernelFault outOfBounds(String where, String parameter, int index, int length, int workItem,
      Throwable origin) {
    String array = parameter == null ? "an array parameter" : parameter;
    String message = where + ": Index " + index + " out of bounds for length " + length + " of " + array
        + ", in work item " + workItem;
    return new KernelFault(Kind.INDEX_OUT_OF_BOUNDS, message, origin);
  }

  /** {@code where}: an integer division or remainder by zero. */
  public static KernelFault divisionByZero(String where, int workItem, Throwable origin) {
    return new KernelFault(Kind.DIVISION_BY_ZERO, where + ": / by zero, in work item " + workItem, origin);
  }

  public Kind kind() {
    return kind;
  }

  /** The exception the caller sees: {@link ArrayIndexOutOfBoundsException} or {@link ArithmeticException}. */
  public RuntimeException toUserException() {
    RuntimeException e = kind == Kind.INDEX_OUT_OF_BOUNDS ? new ArrayIndexOutOfBoundsException(getMessage())
        : new ArithmeticException(getMessage());
    if (getCause() != null) e.initCause(getCause());
    return e;
  }
}
