package dev.pincette.translate;

/**
 * The JVM's computational types a kernel computes with. Booleans, bytes, shorts and chars compute as {@link #INT}, as
 * they do on the JVM's operand stack.
 */
public enum Kind {
  INT,
  LONG,
  FLOAT,
  DOUBLE;

  /** Whether values of this kind take two JVM stack words. */
  boolean wide() {
    return this == LONG || this == DOUBLE;
  }
}
