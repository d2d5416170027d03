package dev.pincette.spi;

/**
 * One argument of a kernel call, checked against the method's parameter: what backends bind to the kernel.
 *
 * @param parameter the method's parameter position (1 for the first argument after the index)
 * @param name the parameter's source name
 * @param kind what the argument is
 * @param type the element type of an array, or the type of a scalar; null for {@link Kind#OTHER}
 * @param value the array, the boxed scalar, or (for {@link Kind#OTHER}) whatever the method takes
 */
public record KernelArg(int parameter, String name, Kind kind, Type type, Object value) {
  /** What an argument is to backends. */
  public enum Kind {
    /** A Java array, shared by all work items. */
    ARRAY,
    /** A primitive value (boxed here), the same for every work item. */
    SCALAR,
    /** Anything else the method takes; only the CPU, which runs the method itself, can pass it. */
    OTHER
  }

  /** Element types of arrays and types of scalars a device can take. */
  public enum Type {
    BYTE(1),
    INT(4),
    LONG(8),
    FLOAT(4),
    DOUBLE(8);

    /** Bytes per element. */
    public final int bytes;

    Type(int bytes) {
      this.bytes = bytes;
    }
  }

  /** Elements of an array argument; 0 for others. */
  public int length() {
    return kind == Kind.ARRAY ? java.lang.reflect.Array.getLength(value) : 0;
  }

  /** Bytes of an array argument, computed in long; 0 for others. */
  public long bytes() {
    return kind == Kind.ARRAY ? (long) length() * type.bytes : 0;
  }
}
